"""`twophase env list | prune`: the app's environments that exist, and deleting expired previews.

Platform (or CI) operations: they list the stacks of every place the app's environments live in
and delete stacks, buckets and log groups (CloudFormation ListStacks/DescribeStacks and delete
rights), which no function's deployer policy grants.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.cli.output import show
from twophase.errors import UsageError

if TYPE_CHECKING:
    from twophase.infra.environments import EnvironmentInfo, EnvPruneResult, Found, PlaceServices

pass_app = click.make_pass_decorator(AppContext)


@click.group(
    epilog=examples(
        "twophase env list",
        "twophase env prune --dry-run",
        "twophase env prune --yes --output json",
        note="Previews come from pattern entries of `environments:` in twophase.yml, e.g. "
        'preview: {match: "pr-*", from: dev, ttl: 7d}; `twophase -e pr-42 infra up` makes one.',
    )
)
def env() -> None:
    """List the app's environments; delete previews past their ttl."""


@env.command(
    "list",
    epilog=examples("twophase env list", "twophase env list --output json"),
)
@pass_app
def list_(app: AppContext) -> None:
    """The environments that exist: kind, age, ttl, last push and who pushed."""
    from twophase.infra.environments import find_environments

    found = find_environments(app.settings, _connect(app))
    for line in _unreachable(found):  # the others are still listed
        app.terminal.warn(line)
    show(
        app.terminal,
        "env list",
        shapes.env_list(found),
        lambda: _table(app, found),
        errors=_unreachable(found),
    )


@env.command(
    epilog=examples(
        "twophase env prune --dry-run",
        "twophase env prune --yes",
        note="Deletes each preview older than its ttl: its stack, its artifact bucket and stack, "
        "and its functions' log groups. Declared environments are never touched.",
    )
)
@click.option("--dry-run", is_flag=True, help="Print which previews would go; delete nothing.")
@pass_app
def prune(app: AppContext, dry_run: bool) -> None:
    """Delete preview environments past their ttl."""
    from twophase.infra.environments import find_environments, prune_environments

    connect = _connect(app)
    found = find_environments(app.settings, connect, pushes=False, previews_only=True)
    if found.unreachable:  # a preview there could be past its ttl: say so, delete nothing
        raise found.unreachable[0][1]
    expired = [e.name for e in found.expired()]
    if expired and not dry_run:
        question = f"Delete {len(expired)} expired preview(s): {', '.join(expired)}?"
        if not app.terminal.confirm(question, assume_yes=app.options.yes):
            raise UsageError("not confirmed", hint="pass --yes to delete without a prompt")
    result = prune_environments(app.settings, connect, found, dry_run=dry_run)
    errors = [f"{name}: {exc}" for name, exc in result.failures]
    show(
        app.terminal,
        "env prune",
        shapes.env_prune(result),
        lambda: _summary(app, result),
        exit_code=int(result.failures[0][1].exit_status) if result.failures else 0,
        errors=errors,
    )
    if result.failures:
        raise result.failures[0][1]


def _unreachable(found: Found) -> list[str]:
    return [f"{', '.join(envs)}: not read: {exc}" for envs, exc in found.unreachable]


def _connect(app: AppContext) -> Callable[[str], PlaceServices]:
    """The services of a declared environment's place, each made once."""
    from twophase.infra.environments import PlaceServices
    from twophase.infra.services import InfraServices

    made: dict[str, PlaceServices] = {}

    def connect(env: str) -> PlaceServices:
        if env not in made:
            clients = app.clients_for(env)
            infra = InfraServices.from_clients(clients, app.terminal)
            made[env] = PlaceServices(infra, clients.client("logs"))
        return made[env]

    return connect


def _table(app: AppContext, found: Found) -> None:
    if not found.environments:
        app.terminal.line("no environment of this app exists (run `twophase infra up -e ENV`)")
        return
    rows = [_row(e) for e in found.environments]
    columns = ["name", "kind", "base", "age", "ttl", "last push", "by"]
    app.terminal.table(columns, rows)


def _row(e: EnvironmentInfo) -> list[str]:
    ttl = (
        "" if e.ttl_seconds is None else _span(e.ttl_seconds) + (" (expired)" if e.expired else "")
    )
    return [
        e.name,
        e.kind,
        e.base or "",
        _span(e.age_seconds),
        ttl,
        e.last_push or "",
        e.pushed_by or "",
    ]


def _span(seconds: int) -> str:
    """`3d 4h`, `5h 10m`, `12m`, `40s`: the two largest units."""
    units = (("d", 86_400), ("h", 3_600), ("m", 60), ("s", 1))
    parts: list[str] = []
    for unit, size in units:
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
        if len(parts) == 2:
            break
    return " ".join(parts)


def _summary(app: AppContext, result: EnvPruneResult) -> None:
    verb = "would delete" if result.dry_run else "deleted"
    for name in result.pruned:
        app.terminal.line(f"{name}: {verb}")
    for name in result.kept:
        app.terminal.line(f"{name}: kept (not expired)")
    if not result.pruned and not result.failures:
        app.terminal.line("no preview is past its ttl")
