"""`twophase alias promote | rollback`."""

from __future__ import annotations

from typing import Any

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.durations import FORMAT, Duration
from twophase.cli.help import examples
from twophase.cli.output import show

pass_app = click.make_pass_decorator(AppContext)


@click.group(
    epilog=examples(
        "twophase alias promote api -e prod",
        "twophase alias promote api -e prod --canary 10 --interval 5m",
        "twophase alias rollback api -e prod",
    )
)
def alias() -> None:
    """Move aliases along the chain (next → live), at once or gradually."""


@alias.command(
    epilog=examples(
        "twophase alias promote api -e prod",
        "twophase alias promote api -e prod --canary 10 --interval 5m --alarm api-errors",
        "twophase alias promote api -e prod --linear 25 --interval 2m",
        "twophase alias promote api -e prod --version 7 --dry-run",
        note=f"--interval takes a duration: {FORMAT}. Re-running a gradual promotion attaches "
        "to the deployment under way.",
    )
)
@click.argument("function")
@click.option("--from", "from_alias", help="Alias to promote from (default: the first).")
@click.option("--to", "to_alias", help="Alias to move (default: the one after --from).")
@click.option("--version", help="Promote this version instead of the one --from serves.")
@click.option("--canary", type=click.IntRange(1, 99), help="Percent on the first step.")
@click.option("--linear", type=click.IntRange(1, 99), help="Percent added per step.")
@click.option(
    "--interval",
    type=Duration(),
    default="5m",
    show_default=True,
    help=f"Time between steps ({FORMAT}).",
)
@click.option("--alarm", "alarms", multiple=True, help="CloudWatch alarm that must stay OK.")
@click.option("--dry-run", is_flag=True, help="Print the steps; change nothing.")
@pass_app
def promote(app: AppContext, /, function: str, dry_run: bool, **kwargs: Any) -> None:
    """Point the next alias (default `live`) at the previous one's version."""
    from twophase.cli.wiring import for_app
    from twophase.release.promote import PromoteOptions, apply_promote, plan_promote

    if kwargs["canary"] and kwargs["linear"]:
        from twophase.errors import UsageError

        raise UsageError("--canary and --linear exclude each other", hint="choose one")
    deps = for_app(app).promote()
    options = PromoteOptions(function=function, **{**kwargs, "alarms": tuple(kwargs["alarms"])})
    plan = plan_promote(deps, options)
    if dry_run:
        steps = plan.describe()
        show(
            app.terminal, "alias promote", shapes.promote_dry_run(steps), lambda: _steps(app, steps)
        )
        return
    result = apply_promote(deps, plan)

    def human() -> None:
        if result.unchanged:
            app.terminal.line(f"{function}  {result.alias} already serves v{result.version}")
        else:
            app.terminal.line(
                f"{function}  {result.alias}: v{result.previous_version} → v{result.version}"
                f"  ({result.seconds:.1f} s)"
            )

    show(app.terminal, "alias promote", shapes.promote(result), human)


@alias.command(
    epilog=examples(
        "twophase alias rollback api -e prod",
        "twophase alias rollback api -e prod --to 6",
        "twophase alias rollback api -e prod --alias next --dry-run",
    )
)
@click.argument("function")
@click.option("--alias", "alias_name", help="Alias to move back (default: the last, `live`).")
@click.option(
    "--to",
    "to_version",
    help="Version to move to (default: the one served before, never the dummy).",
)
@click.option("--dry-run", is_flag=True, help="Print the step; change nothing.")
@pass_app
def rollback(
    app: AppContext, function: str, alias_name: str | None, to_version: str | None, dry_run: bool
) -> None:
    """Move an alias back to the release it served before.

    The dummy (no code pushed) is passed over: only `--to` can put it back, and a rollback with
    nothing but the dummy left is refused.
    """
    from twophase.cli.wiring import for_app
    from twophase.release.rollback import RollbackOptions, apply_rollback, plan_rollback

    deps = for_app(app).rollback()
    plan = plan_rollback(
        deps, RollbackOptions(function=function, alias=alias_name, to_version=to_version)
    )
    if dry_run:
        steps = plan.describe()
        show(
            app.terminal,
            "alias rollback",
            shapes.rollback_dry_run(steps),
            lambda: _steps(app, steps),
        )
        return
    result = apply_rollback(deps, plan)
    moved = f"{function}  {result.alias}: v{result.from_version} → v{result.to_version}"
    show(app.terminal, "alias rollback", shapes.rollback(result), lambda: app.terminal.line(moved))


def _steps(app: AppContext, steps: list[str]) -> None:
    for step in steps:
        app.terminal.line(step)
