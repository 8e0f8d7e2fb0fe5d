"""`twophase prune FUNCTION… | --all [--keep N] [--dry-run]`: delete old published versions."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.errors import TwophaseError

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
    from twophase.release.context import PhaseTwo
    from twophase.release.prune import PruneOptions
    from twophase.release.prune import prune as run_prune

    ctx = PhaseTwo.create(app.settings, app.env_name, app.clients, reporter=app.terminal)
    options = PruneOptions(functions=functions, all=all_, keep=keep, dry_run=dry_run)
    report = run_prune(ctx, options)
    _render(app, report, dry_run)
    errors = [o.error for o in report.outcomes if o.error is not None]
    if not errors:
        return
    if len(report.outcomes) == 1:
        raise errors[0]
    failed = TwophaseError(f"{len(errors)} of {len(report.outcomes)} functions failed to prune")
    failed.exit_status = report.exit_status
    raise failed


def _render(app: AppContext, report: PruneReport, dry_run: bool) -> None:
    if app.terminal.json:
        app.terminal.envelope(
            "prune",
            [_outcome_data(o, dry_run) for o in report.outcomes],
            exit_code=int(report.exit_status),
            errors=[f"{o.function}: {o.error}" for o in report.outcomes if o.error],
        )
        return
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


def _outcome_data(o: PruneOutcome, dry_run: bool) -> dict[str, Any]:
    """The declared JSON of one function's prune (stable field names)."""
    data: dict[str, Any] = {"function": o.function}
    if o.plan is not None:
        data["physical"] = o.plan.physical
        data["keep"] = o.plan.keep
        data["kept"] = [
            {"version": k.version, "reason": k.reason.name.lower(), "alias": k.alias}
            for k in o.plan.kept
        ]
        if dry_run:
            data["would_delete"] = [s.version for s in o.plan.steps]
    if o.result is not None:
        data["deleted"] = list(o.result.deleted)
        data["skipped"] = [{"version": s.version, "note": s.note} for s in o.result.skipped]
    if o.error is not None:
        data["error"] = str(o.error)
        data["exit_code"] = int(o.error.exit_status)
    return data
