"""`twophase init`: write a commented twophase.yml for the folder's functions."""

from __future__ import annotations

from pathlib import Path

import click

from twophase.cli import shapes
from twophase.cli.context import DEFAULT_CONFIG, AppContext
from twophase.cli.help import examples
from twophase.cli.output import show

pass_app = click.make_pass_decorator(AppContext)


@click.command(
    epilog=examples(
        "twophase init", "twophase init --app shop", "twophase init -c app/twophase.yml"
    )
)
@click.option("--app", "app_name", help="App name (default: the folder's name).")
@pass_app
def init(app: AppContext, app_name: str | None) -> None:
    """Write a commented twophase.yml listing the function folders found here."""
    from twophase.config.scaffold import plan_init, write_init

    plan = plan_init(app.given_config or Path(DEFAULT_CONFIG), app_name)  # here, not above
    write_init(plan)
    for passed_over in plan.skipped:
        app.terminal.warn(f"skipped {passed_over}")

    def human() -> None:
        app.terminal.line(
            f"wrote {plan.path} for app {plan.app}, with {len(plan.functions)} function(s):"
        )
        for fn in plan.functions:
            app.terminal.line(f"  {fn.name}  {fn.source}  ({fn.runtime}, {fn.handler})")
        app.terminal.line(
            "next: `twophase infra up -e local`, then `twophase push FUNCTION -e local`"
        )

    show(app.terminal, "init", shapes.init(plan), human)
