"""`twophase build FUNCTION [-o FILE]`: exactly the artifact `push` would upload, no AWS."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import TYPE_CHECKING

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.cli.output import show

if TYPE_CHECKING:
    from twophase.build import Artifact

pass_app = click.make_pass_decorator(AppContext)


@click.command(
    epilog=examples(
        "twophase build api",
        "twophase build api -o dist/api.zip",
        "twophase push api -e prod --artifact dist/api.zip",
    )
)
@click.argument("function")
@click.option(
    "-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path), help="Copy it here."
)
@pass_app
def build(app: AppContext, function: str, output_file: Path | None) -> None:
    """Build FUNCTION's artifact; `push FUNCTION --artifact FILE` pushes the same bytes."""
    from twophase.build import build_artifact

    config = app.settings
    artifact = build_artifact(
        config.function(function),
        cache_dir=config.root / ".twophase" / "cache",
        reporter=app.terminal,
    )
    report_left_out(app, function, artifact)
    path = artifact.path
    if output_file is not None and path is not None:
        output_file.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, output_file)
        path = output_file
    where = path or artifact.image_uri
    said = f"{function}  {where}  (sha {artifact.code_sha256}, {artifact.size} B)"
    shape = shapes.build(function, artifact, str(path) if path else None)
    show(app.terminal, "build", shape, lambda: app.terminal.line(said))


def report_left_out(app: AppContext, function: str, artifact: Artifact) -> None:
    """With --verbose, one stderr line per file or folder the build left out, and why."""
    if app.options.verbose:
        for left in artifact.excluded:
            app.terminal.info(f"{function}: left out {left.name} ({left.reason})")
