"""`twophase init`: write a commented twophase.yml for the folder's functions."""

from __future__ import annotations

import click

from twophase.cli.context import AppContext

pass_app = click.make_pass_decorator(AppContext)


@click.command()
@click.option("--app", "app_name", help="App name (default: the folder's name).")
@pass_app
def init(app: AppContext, app_name: str | None) -> None:
    """Write a commented twophase.yml listing the function folders found here."""
    from twophase.config.scaffold import plan_init, write_init

    plan = plan_init(app.config_path, app_name)
    write_init(plan)
    for passed_over in plan.skipped:
        app.terminal.warn(f"skipped {passed_over}")
    if app.terminal.json:
        found = [vars(f) | {"runtime": f.runtime} for f in plan.functions]
        data = {"path": str(plan.path), "app": plan.app, "functions": found}
        app.terminal.envelope("init", data | {"skipped": list(plan.skipped)})
        return
    app.terminal.line(
        f"wrote {plan.path} for app {plan.app}, with {len(plan.functions)} function(s):"
    )
    for fn in plan.functions:
        app.terminal.line(f"  {fn.name}  {fn.source}  ({fn.runtime}, {fn.handler})")
    app.terminal.line("next: twophase -e local infra up, then twophase -e local push FUNCTION")
