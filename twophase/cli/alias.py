"""`twophase alias promote | rollback`."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.durations import FORMAT, Duration
from twophase.cli.help import examples
from twophase.cli.output import show
from twophase.errors import UsageError

if TYPE_CHECKING:
    from twophase.release.promote import PromoteResult

pass_app = click.make_pass_decorator(AppContext)
_OPTION_NAMES = {"from_alias": "--from", "to_alias": "--to", "alarms": "--alarm"}


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
        "twophase alias promote api -e prod --canary 10 --interval 5m --alarm api-latency",
        "twophase alias promote api -e prod --linear 25 --interval 2m",
        "twophase alias promote api -e prod --stop",
        "twophase alias promote api -e prod --version 7 --dry-run",
        note="--canary/--linear run on CodeDeploy, which shifts the traffic, watches the alarms "
        "and rolls back by itself; --interval is whole minutes (1m, 5m, 1h). Ctrl-C detaches: "
        "running the command again attaches to the deployment under way, --stop stops it.",
    )
)
@click.argument("function")
@click.option("--from", "from_alias", help="Alias to promote from (default: the first).")
@click.option("--to", "to_alias", help="Alias to move (default: the one after --from).")
@click.option("--version", help="Promote this published version instead of the one --from serves.")
@click.option(
    "--canary", type=click.IntRange(1, 99), help="Percent first, the rest after --interval."
)
@click.option("--linear", type=click.IntRange(1, 99), help="Percent more every --interval.")
@click.option(
    "--interval",
    type=Duration(),
    help=f"Time between shifts, in whole minutes; default 5m ({FORMAT}).",
)
@click.option(
    "--alarm",
    "alarms",
    multiple=True,
    help="CloudWatch alarm that stops and rolls back the shift, besides the group's.",
)
@click.option("--stop", is_flag=True, help="Stop the deployment under way and roll it back.")
@click.option("--dry-run", is_flag=True, help="Print the steps; change nothing.")
@pass_app
def promote(app: AppContext, /, function: str, stop: bool, dry_run: bool, **kwargs: Any) -> None:
    """Point the next alias (default `live`) at the previous one's version."""
    if stop:
        _stop(app, function, dry_run, kwargs)
        return
    from twophase.cli.wiring import for_app
    from twophase.release.promote import PromoteOptions, apply_promote, plan_promote

    deps = for_app(app).promote()
    options = PromoteOptions(function=function, **{**kwargs, "alarms": tuple(kwargs["alarms"])})
    plan = plan_promote(deps, options)
    if dry_run:
        _dry_run(app, plan.describe())
        return
    _show_promotion(app, lambda: apply_promote(deps, plan))


def _stop(app: AppContext, function: str, dry_run: bool, others: dict[str, Any]) -> None:
    from twophase.cli.wiring import for_app
    from twophase.release.promote_gradual import plan_stop, stop_promotion

    given = [_OPTION_NAMES.get(k, f"--{k}") for k, v in others.items() if v]
    if given:
        raise UsageError(
            f"--stop takes no other promotion option ({', '.join(given)})",
            hint="`twophase alias promote FUNCTION --stop` stops the deployment under way",
        )
    deps = for_app(app).promote()
    plan = plan_stop(deps, function)
    if dry_run:
        _dry_run(app, plan.describe())
        return
    _show_promotion(app, lambda: stop_promotion(deps, plan))


def _show_promotion(app: AppContext, run: Callable[[], PromoteResult]) -> None:
    """The result, or a followed deployment's result with the error it ended with (shown in
    the JSON envelope, then said once like any error)."""
    from twophase.release.promote_follow import Followed

    try:
        result = run()
    except Followed as exc:
        show(
            app.terminal,
            "alias promote",
            shapes.promote(exc.result),
            lambda: None,
            exit_code=int(exc.exit_status),
            errors=list(exc.lines()),
        )
        raise
    show(app.terminal, "alias promote", shapes.promote(result), lambda: _said(app, result))


def _said(app: AppContext, result: PromoteResult) -> None:
    name, alias, deployment = result.function, result.alias, result.deployment
    if result.unchanged:
        app.terminal.line(f"{name}  {alias} already serves v{result.version}")
        return
    moved = f"{name}  {alias}: v{result.previous_version} → v{result.version}"
    if deployment is not None and deployment.rolled_back:  # --stop
        moved = (
            f"{name}  {alias}: deployment {deployment.deployment_id} stopped, back on "
            f"v{result.previous_version}"
        )
    elif deployment is not None:
        moved += f"  (CodeDeploy {deployment.deployment_id}, {deployment.config})"
    app.terminal.line(f"{moved}  ({result.seconds:.1f} s)")


def _dry_run(app: AppContext, steps: list[str]) -> None:
    show(app.terminal, "alias promote", shapes.promote_dry_run(steps), lambda: _steps(app, steps))


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
