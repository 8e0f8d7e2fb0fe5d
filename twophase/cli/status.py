"""`twophase status`: per function, dummy or real code, alias targets, last release."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.cli.output import show

if TYPE_CHECKING:
    from twophase.release.status import FunctionStatus, StatusResult

pass_app = click.make_pass_decorator(AppContext)


@click.command(
    epilog=examples("twophase status -e prod", "twophase status api worker -e prod --output json")
)
@click.argument("functions", nargs=-1)
@pass_app
def status(app: AppContext, functions: tuple[str, ...]) -> None:
    """Per function: dummy or real code, alias → version (weights), last release."""
    from twophase.cli.wiring import for_app
    from twophase.release.status import StatusOptions
    from twophase.release.status import status as read_status

    env = app.env_name
    deps = for_app(app).status()
    result = read_status(deps, StatusOptions(functions=functions))
    failure = result.failure()
    show(
        app.terminal,
        "status",
        shapes.status(result),
        lambda: _table(app, result, env),
        exit_code=int(failure.exit_status) if failure else 0,
        errors=[f"{f.function}: {f.error}" for f in result.functions if f.error],
    )
    if failure is not None:
        raise failure


def _table(app: AppContext, result: StatusResult, env: str) -> None:
    rows = []
    for f in result.functions:
        aliases = "  ".join(
            f"{a.alias}→v{a.version}"
            + (" (dummy)" if a.dummy else "")
            + "".join(f" (+v{v} {w:.0%})" for v, w in sorted(a.weights.items()))
            for a in f.aliases
        )
        last = f"v{f.last_release.version} {f.last_release.at}" if f.last_release else ""
        code = str(f.code) + (" +unpublished" if f.unpublished else "")
        code += _pushed_elsewhere(f)
        code += " ($LATEST is the dummy)" if f.latest_dummy else ""
        rows.append((f.function, str(f.error or code), aliases, _configuration(f), last))
    app.terminal.table(["function", "code", "aliases", "configuration", "last release"], rows)
    behind = [f.function for f in result.functions if f.serves_older_configuration]
    if behind:
        app.terminal.info(
            "ship the configuration phase one deployed: "
            + "; ".join(f"`twophase -e {env} push {name}`" for name in behind)
            + ", then `alias promote`"
        )


def _configuration(f: FunctionStatus) -> str:
    """`current`, or which aliases serve older configuration and in which settings (names)."""
    if f.code in ("missing", "unknown"):
        return ""
    older = [
        f"{a.alias}: older {', '.join(a.older_settings)}" for a in f.aliases if a.older_settings
    ]
    return "; ".join(older) or "current"


def _pushed_elsewhere(f: FunctionStatus) -> str:
    """While the serving alias serves the dummy: which aliases serve pushed code already."""
    if f.code != "dummy":
        return ""
    pushed = [f"{a.alias} v{a.version}" for a in f.aliases if a.dummy is False]
    return f" (pushed: {', '.join(pushed)}; promote it)" if pushed else ""
