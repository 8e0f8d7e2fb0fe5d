"""`twophase infra render | plan | up | down`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.cli.output import show
from twophase.errors import PendingChanges, UsageError

if TYPE_CHECKING:
    from twophase.infra.apply import ServedConfiguration
    from twophase.infra.plan import InfraPlan
    from twophase.infra.services import InfraServices

pass_app = click.make_pass_decorator(AppContext)


@click.group(
    epilog=examples(
        "twophase infra plan -e prod",
        "twophase infra up -e prod --yes",
        "twophase infra render -e local --offline",
    )
)
def infra() -> None:
    """Phase one: the stack with shared infrastructure and every function (dummy bodies)."""


@infra.command(
    epilog=examples(
        "twophase infra render -e prod > template.json",
        "twophase infra render -e local --offline",
    )
)
@click.option("--offline", is_flag=True, help="Render without reading the deployed stack.")
@pass_app
def render(app: AppContext, offline: bool) -> None:
    """Print the CloudFormation template `infra up` would deploy."""
    from twophase.infra.plan_up import template_for

    svc = None if offline else _services(app)
    app.terminal.raw(template_for(app.config, app.env_name, svc))


allow_delete_option = click.option(
    "--allow-delete",
    "--allow-replace",
    "allow_delete",
    multiple=True,
    metavar="FUNCTION",
    help="Allow deleting this function even though it holds pushed code (its versions are lost).",
)


@infra.command(
    epilog=examples(
        "twophase infra plan -e prod",
        "twophase infra plan -e prod --exit-code --output json",
        "twophase infra plan -e prod --allow-replace worker",
    )
)
@click.option("--exit-code", is_flag=True, help="Exit 3 when changes are pending.")
@allow_delete_option
@pass_app
def plan(app: AppContext, exit_code: bool, allow_delete: tuple[str, ...]) -> None:
    """Preview what `infra up` would change (dangerous rows marked)."""
    from twophase.infra.plan_up import plan_up

    svc = _checked_services(app)
    result = plan_up(app.config, app.env_name, svc, allow_delete=frozenset(allow_delete))
    pending = None
    if exit_code and result.has_changes:
        pending = PendingChanges(f"{len(result.changes)} change(s) pending for {result.stack}")
    show(
        app.terminal,
        "infra plan",
        shapes.infra_plan(result),
        lambda: _show_plan(app, result),
        exit_code=int(pending.exit_status) if pending else 0,
        errors=pending.lines() if pending else (),
    )
    if pending is not None:
        raise pending


@infra.command(
    epilog=examples(
        "twophase infra up -e local",
        "twophase infra up -e prod --profile shop-prod --yes",
        "twophase infra up -e prod --allow-replace worker",
    )
)
@allow_delete_option
@pass_app
def up(app: AppContext, allow_delete: tuple[str, ...]) -> None:
    """Create or update the stack through a change set; a no-op when nothing changed."""
    from twophase.infra.up import UpOptions
    from twophase.infra.up import up as run_up

    def preview(plan: InfraPlan) -> None:
        if plan.has_changes:
            _show_plan(app, plan, to_stderr=True)

    result = run_up(
        app.config,
        app.env_name,
        _checked_services(app),
        UpOptions(allow_delete=frozenset(allow_delete)),
        show=preview,
        confirm=lambda plan: _confirm(app, plan),
    )
    outputs = _reachable(app, result.outputs)

    def human() -> None:
        if not result.changed:
            app.terminal.line(f"{result.stack}: no changes")
            return
        app.terminal.line(f"{result.stack}: {result.status} ({result.changes} change(s))")
        for key, value in sorted(outputs.items()):
            app.terminal.line(f"  {key:<32} {value}")
        _show_behind(app, result.behind)

    show(app.terminal, "infra up", shapes.infra_up(result, outputs), human)


def _reachable(app: AppContext, outputs: Mapping[str, str]) -> dict[str, str]:
    """The stack's outputs as the user can use them: on the embedded AWS, an HTTP API's endpoint
    is the local URL that reaches it (the template and the stack keep AWS's URL)."""
    target = app.clients.target
    if not target.local or not target.endpoint_url:
        return dict(outputs)
    from twophase.local.execute_api import local_url

    return {key: local_url(target.endpoint_url, value) for key, value in outputs.items()}


def _show_behind(app: AppContext, behind: Sequence[ServedConfiguration]) -> None:
    """Functions whose aliases serve older configuration, and the commands that ship it."""
    if not behind:
        return
    env = app.env_name
    app.terminal.line("not serving this configuration yet (a release is code and configuration):")
    for b in behind:
        fn = b.function
        ship = f"`twophase push {fn} -e {env}`, then `twophase alias promote {fn} -e {env}`"
        for alias, names in b.aliases:
            app.terminal.line(f"  {b.function}  {alias} serves older {', '.join(names)}: {ship}")
        if b.latest_dummy:
            app.terminal.line(
                f"  {b.function}  $LATEST holds the dummy again (its architecture changed): "
                f"push it to rebuild for the new architecture; aliases keep their versions"
            )


@infra.command(
    epilog=examples(
        "twophase infra down -e dev",
        "twophase infra down -e pr-42 --yes --purge",
        "twophase infra down -e prod --force",
    )
)
@click.option("--force", is_flag=True, help="Delete even a protected environment.")
@click.option("--purge", is_flag=True, help="Also delete the artifact bucket and retained data.")
@pass_app
def down(app: AppContext, force: bool, purge: bool) -> None:
    """Delete the stack (keeps tables, buckets and the artifact bucket unless --purge)."""
    from twophase.infra.down import check_protected
    from twophase.infra.down import down as run_down

    config, env = app.config, app.env_name
    check_protected(config, env, force=force)
    if not app.terminal.confirm(
        f"Delete stack {config.stack_name(env)}?", assume_yes=app.options.yes
    ):
        raise UsageError("not confirmed", hint="pass --yes to delete without a prompt")
    result = run_down(config, env, _services(app), force=force, purge=purge)

    def human() -> None:
        app.terminal.line(f"{result.stack}: {'deleted' if result.deleted else 'nothing to delete'}")
        if result.purged_bucket:
            app.terminal.line(f"{result.purged_bucket}: artifact bucket deleted")

    show(app.terminal, "infra down", shapes.infra_down(result), human)


def _services(app: AppContext) -> InfraServices:
    from twophase.infra.services import InfraServices

    return InfraServices.from_clients(app.clients, app.terminal)


def _checked_services(app: AppContext) -> InfraServices:
    """The services, once the owners are known to be of the caller's account (else refused before
    anything changes); Identity Center owners are told where their policies go."""
    from twophase.infra.owners import permission_set_notes, refuse_other_accounts

    svc = _services(app)
    refuse_other_accounts(app.config, svc.sts.identity.account)
    for note in permission_set_notes(app.config, app.env_name):
        app.terminal.warn(note)
    return svc


def _confirm(app: AppContext, plan: InfraPlan) -> None:
    from twophase.infra.up import confirmation

    why = confirmation(app.config, app.env_name, plan)
    if why is None:
        return
    question = f"Deploy {len(plan.changes)} change(s) to {plan.stack} ({why})?"
    if not app.terminal.confirm(question, assume_yes=app.options.yes):
        raise UsageError(f"not confirmed: {why}", hint="review `infra plan`, then pass --yes")


def _show_plan(app: AppContext, plan: InfraPlan, *, to_stderr: bool = False) -> None:
    """The plan for people: a table on stdout (`infra plan`), or as `infra up`'s progress."""
    rows = [
        (
            "!" if c.danger else "",
            "Replace" if c.replacement else c.action,
            c.logical_id,
            c.resource_type,
            c.danger or ", ".join(c.details),
        )
        for c in plan.changes
    ]
    say = app.terminal.info if to_stderr else app.terminal.line
    if not rows:
        say(f"{plan.stack}: no changes")
        _show_held(app, plan)
        return
    verb = "update" if plan.stack_exists else "create"
    say(f"{plan.stack}: {len(rows)} change(s) to {verb}")
    if to_stderr:
        for r in rows:
            say(f"  {r[0]:1} {r[1]:<8} {r[2]} ({r[3]}) {r[4]}".rstrip())
    else:
        app.terminal.table(["", "action", "resource", "type", "note"], rows)
    if not to_stderr:  # `infra up` says it once, in its error
        for reason in plan.refusals:
            app.terminal.warn(f"refused: {reason}")
    _show_held(app, plan)


def _show_held(app: AppContext, plan: InfraPlan) -> None:
    last = app.config.aliases[-1]
    for name in plan.held_mappings:
        app.terminal.info(
            f"{name}: its queue mapping stays disabled until {last} serves pushed code (the "
            f"dummy would fail the shared queue's messages); run `infra up` after its first "
            "push and promote to enable it"
        )
