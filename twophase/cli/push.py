"""`twophase push FUNCTION… | --all`: build, upload, update code, publish, move the first alias."""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.cli.output import show
from twophase.errors import UsageError

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from twophase.cli.terminal import Terminal
    from twophase.release.push import PushOutcome, PushReport
    from twophase.release.push_apply import PushResult
    from twophase.release.push_plan import ArtifactLike

pass_app = click.make_pass_decorator(AppContext)
KINDS = ("pushed", "unchanged", "failed")  # what a function's push came to, as counted


@click.command(
    epilog=examples(
        "twophase push api -e dev",
        "twophase push api worker -e prod --profile shop-prod",
        "twophase push --all -e prod --dry-run",
        "twophase push api -e prod --artifact dist/api.zip",
    )
)
@click.argument("functions", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Push every function.")
@click.option("--dry-run", is_flag=True, help="Print the steps that would run; change nothing.")
@click.option(
    "--artifact",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Push this prebuilt .zip/.jar (from `twophase build FUNCTION`) instead of building.",
)
@click.option("-j", "--jobs", default=8, show_default=True, help="Functions pushed in parallel.")
@pass_app
def push(
    app: AppContext,
    functions: tuple[str, ...],
    all_: bool,
    dry_run: bool,
    artifact: Path | None,
    jobs: int,
) -> None:
    """Ship code: UpdateFunctionCode, PublishVersion and move the first alias, compare-and-set."""
    from twophase.cli.wiring import for_app
    from twophase.release.push import PushOptions
    from twophase.release.push import push as run_push

    if artifact is not None and (all_ or len(functions) != 1):
        raise UsageError(
            "--artifact goes with exactly one function", hint="push FUNCTION --artifact FILE"
        )
    deps = for_app(app).push()
    options = PushOptions(functions=functions, all=all_, dry_run=dry_run, max_workers=jobs)
    several = all_ or len(set(functions)) > 1
    tally = Tally(app.terminal) if several and not dry_run and app.terminal.interactive else None
    try:
        report = run_push(deps, options, _artifact_source(app, artifact), tally)
    finally:
        if tally is not None:
            tally.close()
    _render(app, report, dry_run, tallied=tally is not None)
    failure = report.failure()
    if failure is not None:
        raise failure  # said once, by the CLI


def _artifact_source(app: AppContext, artifact: Path | None) -> Callable[[str], ArtifactLike]:
    from twophase.build import build_artifact, read_artifact
    from twophase.cli.build import report_left_out

    config = app.settings
    cache_dir = config.root / ".twophase" / "cache"

    def artifact_for(name: str) -> ArtifactLike:
        fn = config.function(name)
        if artifact is not None:
            return read_artifact(artifact, fn)
        built = build_artifact(fn, cache_dir=cache_dir, reporter=app.terminal)
        report_left_out(app, name, built)
        return built

    return artifact_for


@dataclass
class Tally:
    """The terminal's view of a push of many functions: one line with a bar and the counts,
    not a line per function (those stay in `--output json` and on a non-terminal)."""

    terminal: Terminal
    total: int = 0
    counts: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def started(self, functions: Sequence[str]) -> None:
        self.total = len(functions)
        self._draw()

    def finished(self, outcome: PushOutcome) -> None:
        with self._lock:
            self.counts[_kind(outcome)] += 1
            self._draw()

    def close(self) -> None:
        """Clear the line, also when the push stopped short (an interrupt)."""
        self.terminal.tally("push", self.total, self.total, {})

    def _draw(self) -> None:
        done = sum(self.counts.values())
        shown = {k: self.counts[k] for k in KINDS}
        self.terminal.tally("push", done, self.total, {**shown, "remaining": self.total - done})


def _kind(outcome: PushOutcome) -> str:
    if outcome.error is not None:
        return "failed"
    return "unchanged" if outcome.result is not None and outcome.result.unchanged else "pushed"


def _render(app: AppContext, report: PushReport, dry_run: bool, *, tallied: bool) -> None:
    show(
        app.terminal,
        "push",
        shapes.push(report),
        lambda: _tallied(app, report) if tallied else _human(app, report, dry_run),
        exit_code=int(report.exit_status),
        errors=[f"{o.function}: {o.error}" for o in report.outcomes if o.error],
    )


def _human(app: AppContext, report: PushReport, dry_run: bool) -> None:
    several = len(report.outcomes) > 1
    for outcome in report.outcomes:
        if outcome.error is not None and several:  # one line each; the count follows
            app.terminal.error(f"{outcome.function}: {outcome.error}")
        elif dry_run and outcome.plan is not None:
            app.terminal.line(f"{outcome.function}: would run")
            for line in outcome.plan.describe():
                app.terminal.line(f"  {line}")
        elif outcome.result is not None:
            app.terminal.line(_summary(outcome))


def _tallied(app: AppContext, report: PushReport) -> None:
    """After the bar: each failure on its own line, then the counts."""
    for outcome in report.outcomes:
        if outcome.error is not None:
            app.terminal.error(f"{outcome.function}: {outcome.error}")
    counts = Counter(_kind(o) for o in report.outcomes)
    app.terminal.line(", ".join(f"{k} {counts[k]}" for k in KINDS))


def _summary(outcome: PushOutcome) -> str:
    assert outcome.result is not None
    pruned = ", ".join(f"v{v}" for v in outcome.pruned)
    return summary(outcome.result) + (f"; deleted {pruned} (retention)" if pruned else "")


def summary(result: PushResult) -> str:
    """`api  v7 → next  (sha 9f2c…, 1.2 MB, 0.4 s)`, the configuration-only form
    `api  v8 → next  (configuration: memory, environment; code unchanged)`, or unchanged."""
    from twophase.files import human_size

    sha = f"sha {result.code_sha256[:8]}…"
    if result.unchanged:
        return f"{result.function}  unchanged  (v{result.version} = {result.alias}, {sha})"
    config = f"configuration: {', '.join(result.settings_changed)}"
    if not result.code_changed:
        what = f"{config}; code unchanged" if result.settings_changed else "code unchanged"
    else:
        what = f"{sha}, {human_size(result.size)}, {result.seconds:.1f} s"
        what += f"; {config}" if result.settings_changed else ""
    return f"{result.function}  v{result.version} → {result.alias}  ({what})"
