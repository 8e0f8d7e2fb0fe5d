"""`twophase push FUNCTION… | --all`: build, upload, update code, publish, move the first alias."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.errors import TwophaseError, UsageError

if TYPE_CHECKING:
    from twophase.release.push import PushOutcome, PushReport

pass_app = click.make_pass_decorator(AppContext)


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
    from twophase.release.context import PhaseTwo
    from twophase.release.push import PushOptions
    from twophase.release.push import push as run_push

    if artifact is not None and (all_ or len(functions) != 1):
        raise UsageError(
            "--artifact goes with exactly one function", hint="push FUNCTION --artifact FILE"
        )
    config, env = app.settings, app.env_name
    ctx = PhaseTwo.create(config, env, app.clients, reporter=app.terminal)
    options = PushOptions(functions=functions, all=all_, dry_run=dry_run, max_workers=jobs)
    report = run_push(ctx, options, _artifact_source(app, artifact))
    _render(app, report, dry_run)
    if not report.ok:
        errors = [o for o in report.outcomes if o.error is not None]
        first = errors[0].error
        assert first is not None
        if len(report.outcomes) == 1:
            raise first  # said once, by the CLI
        failed = TwophaseError(f"{len(errors)} of {len(report.outcomes)} pushes failed")
        failed.exit_status = report.exit_status
        raise failed


def _artifact_source(app: AppContext, artifact: Path | None) -> Any:
    from twophase.build import build_artifact, read_artifact
    from twophase.cli.build import report_left_out

    config = app.settings
    cache_dir = config.root / ".twophase" / "cache"

    def artifact_for(name: str) -> Any:
        fn = config.resolved(name)
        if artifact is not None:
            return read_artifact(artifact, fn)
        built = build_artifact(fn, cache_dir=cache_dir, reporter=app.terminal)
        report_left_out(app, name, built)
        return built

    return artifact_for


def _render(app: AppContext, report: PushReport, dry_run: bool) -> None:
    if app.terminal.json:
        app.terminal.envelope(
            "push",
            [_outcome_data(o) for o in report.outcomes],
            exit_code=int(report.exit_status),
            errors=[f"{o.function}: {o.error}" for o in report.outcomes if o.error],
        )
        return
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


def _summary(outcome: PushOutcome) -> str:
    assert outcome.result is not None
    pruned = ", ".join(f"v{v}" for v in outcome.pruned)
    return outcome.result.summary() + (f"; deleted {pruned} (retention)" if pruned else "")


def _outcome_data(o: PushOutcome) -> dict[str, Any]:
    data: dict[str, Any] = {"function": o.function}
    if o.plan is not None:
        data["plan"] = o.plan.describe()
    if o.result is not None:
        data["result"] = {k: v for k, v in o.result.__dict__.items()}
        data["pruned"] = list(o.pruned)
    if o.error is not None:
        data["error"] = str(o.error)
        data["exit_code"] = int(o.error.exit_status)
    return data
