"""`twophase releases FUNCTION`: versions newest first, who shipped them, where aliases point."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.cli.output import show

if TYPE_CHECKING:
    from twophase.release.releases import ReleasesResult

pass_app = click.make_pass_decorator(AppContext)


@click.command(
    epilog=examples("twophase releases api -e prod", "twophase releases api -e prod --output json")
)
@click.argument("function")
@pass_app
def releases(app: AppContext, function: str) -> None:
    """A function's release history: version, code sha, who, when, commit, aliases."""
    from twophase.cli.wiring import for_app
    from twophase.release.releases import list_releases

    deps = for_app(app).releases()
    result = list_releases(deps, function)
    show(app.terminal, "releases", shapes.releases(result), lambda: _table(app, result))


def _table(app: AppContext, result: ReleasesResult) -> None:
    rows = []
    for r in result.releases:
        aliases = ", ".join(
            a.alias if a.weight >= 1 else f"{a.alias} ({a.weight:.0%})" for a in r.aliases
        )
        commit = (r.commit or "")[:10] + ("+dirty" if r.dirty else "")
        by = "dummy (phase one, no code pushed)" if r.dummy else r.by or ""
        rows.append((f"v{r.version}", r.code_sha256[:12], by, r.at, commit, aliases))
    app.terminal.table(["version", "sha256", "by", "at", "commit", "aliases"], rows)
