"""`twophase prune FUNCTION… | --all [--keep N] [--dry-run]`: delete old published versions."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.cli.output import show

if TYPE_CHECKING:
    from twophase.release.prune import PruneOutcome, PruneReport

pass_app = click.make_pass_decorator(AppContext)
DEFAULT_KEEP = 10  # twophase.release.prune.DEFAULT_KEEP (not imported: `--help` stays light)


@click.command(
    epilog=examples(
        "twophase prune api -e prod --dry-run",
        "twophase prune api worker -e prod --keep 5",
        "twophase prune --all -e dev",
        note="Never deleted: a version an alias routes to (weights included), the one "
        "`alias rollback` would return to, the dummy, and the last --keep releases. "
        "`retention: N` in twophase.yml does the same after every push.",
    )
)
@click.argument("functions", nargs=-1)
@click.option("--all", "all_", is_flag=True, help="Prune every function.")
@click.option(
    "--keep",
    type=click.IntRange(min=0),
    default=DEFAULT_KEEP,
    show_default=True,
    help="Releases (the newest versions, the dummy not counted) always kept.",
)
@click.option("--dry-run", is_flag=True, help="Print what would be deleted; change nothing.")
@pass_app
def prune(
    app: AppContext, functions: tuple[str, ...], all_: bool, keep: int, dry_run: bool
) -> None:
    """Delete old published versions: they count against the Region's 75 GB of code storage."""
    from twophase.cli.wiring import for_app
    from twophase.release.prune import PruneOptions
    from twophase.release.prune import prune as run_prune

    deps = for_app(app).prune()
    options = PruneOptions(functions=functions, all=all_, keep=keep, dry_run=dry_run)
    report = run_prune(deps, options)
    _render(app, report, dry_run)
    failure = report.failure()
    if failure is not None:
        raise failure


def _render(app: AppContext, report: PruneReport, dry_run: bool) -> None:
    show(
        app.terminal,
        "prune",
        shapes.prune(report, dry_run=dry_run),
        lambda: _human(app, report, dry_run),
        exit_code=int(report.exit_status),
        errors=[f"{o.function}: {o.error}" for o in report.outcomes if o.error],
    )


def _human(app: AppContext, report: PruneReport, dry_run: bool) -> None:
    several = len(report.outcomes) > 1
    for outcome in report.outcomes:
        if outcome.error is not None:
            if several:  # one line each; the count follows
                app.terminal.error(f"{outcome.function}: {outcome.error}")
        elif dry_run and outcome.plan is not None:
            app.terminal.line(f"{outcome.function}: would run")
            for line in outcome.plan.describe():
                app.terminal.line(f"  {line}")
        elif outcome.result is not None:
            app.terminal.line(_summary(outcome))


def _summary(outcome: PruneOutcome) -> str:
    """`api  deleted v3, v4  (kept 12: v1 the dummy, …)`."""
    result = outcome.result
    assert result is not None
    deleted = ", ".join(f"v{v}" for v in result.deleted) or "nothing"
    kept = ", ".join(f"v{k.version}" for k in result.kept)
    text = f"{outcome.function}  deleted {deleted}  (kept {len(result.kept)}: {kept})"
    for skip in result.skipped:
        text += f"; v{skip.version} {skip.note}"
    return text
