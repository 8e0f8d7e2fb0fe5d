"""`twophase init`: write a commented twophase.yml for the folder's functions."""

from __future__ import annotations

from pathlib import Path

import click

from twophase.cli.context import AppContext
from twophase.errors import UsageError

pass_app = click.make_pass_decorator(AppContext)


@click.command()
@click.option("--app", "app_name", help="App name (default: the folder's name).")
@pass_app
def init(app: AppContext, app_name: str | None) -> None:
    """Write a commented twophase.yml listing the function folders found here."""
    from twophase.config import rules
    from twophase.config.scaffold import as_name, find_functions, render_config
    from twophase.files import write_atomically

    path = app.config_path
    if path.exists():
        raise UsageError(
            f"{path} already exists; twophase init never overwrites it",
            hint="edit it, or move it away to start over",
        )
    root = path.absolute().parent
    name = app_name if app_name is not None else as_name(root.name)
    try:
        rules.check_name(name)
    except ValueError as exc:
        raise UsageError(
            f"app name {name!r}: {exc}", hint="pass --app NAME (lowercase letters, digits, -)"
        ) from None
    functions = find_functions(root)
    if not functions:
        raise UsageError(
            f"no function folders found under {root}",
            hint="a function folder holds a handler (app.py with `def handler(`, index.js "
            "exporting `handler`, a Ruby `def handler`, or a `bootstrap`); add one, or start "
            "from twophase.yml.example",
        )
    text = render_config(name, functions)
    _check(path, text)
    write_atomically(path, text)
    if app.terminal.json:
        found = [vars(f) | {"runtime": f.runtime} for f in functions]
        app.terminal.envelope("init", {"path": str(path), "app": name, "functions": found})
        return
    app.terminal.line(f"wrote {path} for app {name}, with {len(functions)} function(s):")
    for fn in functions:
        app.terminal.line(f"  {fn.name}  {fn.source}  ({fn.runtime}, {fn.handler})")
    app.terminal.line("next: twophase -e local infra up, then twophase -e local push FUNCTION")


def _check(path: Path, text: str) -> None:
    """Validate the text as twophase will read it (same folder, so sources resolve the same),
    before anything is written."""
    import os

    from twophase.config.load import load_config

    draft = path.absolute().with_name(f".{path.name}.init-{os.getpid()}.yml")
    try:
        draft.write_text(text, encoding="utf-8")
        load_config(draft)
    finally:
        draft.unlink(missing_ok=True)
