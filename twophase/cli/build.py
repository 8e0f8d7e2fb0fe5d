"""`twophase build FUNCTION [-o FILE]`: exactly the artifact `push` would upload, no AWS."""

from __future__ import annotations

import shutil
from pathlib import Path

import click

from twophase.cli.context import AppContext

pass_app = click.make_pass_decorator(AppContext)


@click.command()
@click.argument("function")
@click.option(
    "-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path), help="Copy it here."
)
@pass_app
def build(app: AppContext, function: str, output_file: Path | None) -> None:
    """Build FUNCTION's artifact; `push FUNCTION --artifact FILE` pushes the same bytes."""
    from twophase.build import build_artifact

    config = app.settings
    config.check_function(function)
    artifact = build_artifact(
        config.resolved(function),
        cache_dir=config.root / ".twophase" / "cache",
        reporter=app.terminal,
    )
    path = artifact.path
    if output_file is not None and path is not None:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, output_file)
        path = output_file
    data = {
        "function": function,
        "path": str(path) if path else None,
        "kind": artifact.kind,
        "size": artifact.size,
        "code_sha256": artifact.code_sha256,
        "image_uri": artifact.image_uri,
    }
    if app.terminal.json:
        app.terminal.envelope("build", data)
    else:
        where = path or artifact.image_uri
        app.terminal.line(f"{function}  {where}  (sha {artifact.code_sha256}, {artifact.size} B)")
