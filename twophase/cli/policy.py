"""`twophase policy FUNCTION`, `twophase policy --owner OWNER` and `twophase whoami`: who may push
what."""

from __future__ import annotations

import json
from typing import Any

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.cli.output import Shape, show

pass_app = click.make_pass_decorator(AppContext)


@click.command(
    epilog=examples(
        "twophase policy api -e prod",
        "twophase policy api -e prod --offline",
        "twophase policy worker -e prod --template",
        "twophase policy --owner AWSReservedSSO_Dev_abc123 -e prod",
    )
)
@click.argument("function", required=False)
@click.option(
    "--owner",
    metavar="OWNER",
    help="Print OWNER's deployer policies: the documents of every function it owns, as phase one "
    "packs them (for an Identity Center permission set, which takes no attachment).",
)
@click.option(
    "--template",
    is_flag=True,
    help="Print the CloudFormation resources and outputs phase one deploys for FUNCTION's owners "
    "instead.",
)
@click.option(
    "--offline",
    is_flag=True,
    help="Keep ${AWS::Region} and ${AWS::AccountId} instead of asking AWS for them.",
)
@pass_app
def policy(
    app: AppContext, function: str | None, owner: str | None, template: bool, offline: bool
) -> None:
    """Print FUNCTION's deployer policy: exactly what pushing it needs, as IAM JSON."""
    from twophase import names
    from twophase.errors import UsageError
    from twophase.infra.deployer_policy import deployer_policy

    config, env = app.config, app.env_name
    if (function is None) == (owner is None):
        raise UsageError("give a FUNCTION or --owner OWNER", hint="twophase policy --help")
    if owner is not None:
        _owner_policies(app, owner, offline)
        return
    assert function is not None
    if template:
        document = _owners_resources(app, function)
    else:
        document = deployer_policy(config, env, function, **_where(app, offline))
    policy_name = names.deployer_policy_name(config.app, env, function)
    shape = shapes.policy(function, policy_name, document)
    show(app.terminal, "policy", shape, lambda: app.terminal.raw(json.dumps(document, indent=2)))


def _owners_resources(app: AppContext, function: str) -> dict[str, Any]:
    """The policies phase one renders that grant pushing `function`: one per owner."""
    from twophase.infra.deployer_policy import (
        owner_policy_output,
        owner_policy_resource,
        policies_holding,
    )

    config, env = app.config, app.env_name
    policies = policies_holding(config, env, function)
    if not policies:
        app.terminal.warn(
            f"{function} has no owner that takes a policy: phase one renders no deployer policy "
            f"for it (`twophase policy {function}` prints its document)"
        )
    return {
        "Resources": {p.logical_id: owner_policy_resource(config, env, p) for p in policies},
        "Outputs": {p.output_id: owner_policy_output(config, env, p) for p in policies},
    }


def _owner_policies(app: AppContext, spelling: str, offline: bool) -> None:
    """Every deployer policy of the owner `spelling` names: its name and document, as one JSON
    object (the chunks phase one renders, with the account and region filled in)."""
    from twophase.errors import UsageError
    from twophase.infra.deployer_documents import owner_document
    from twophase.infra.deployer_policy import policies_of
    from twophase.infra.owners import owner

    config, env = app.config, app.env_name
    principal = owner(spelling)
    policies = policies_of(config, env, principal)
    if not policies:
        raise UsageError(
            f"{spelling} owns no function of {config.stack_name(env)}",
            hint="owners are listed under each function's `owners:` in twophase.yml",
        )
    where = _where(app, offline)
    documents = {
        p.name(config, env): owner_document(
            config, env, principal, p.functions, first=p.first, **where
        )
        for p in policies
    }
    shape = Shape("twophase.policy-owner/1", {"owner": spelling, "policies": documents})
    show(app.terminal, "policy", shape, lambda: app.terminal.raw(json.dumps(documents, indent=2)))


def _where(app: AppContext, offline: bool) -> dict[str, str]:
    if offline:
        return {}
    from twophase.aws.sts import Sts
    from twophase.release.access import partition_for

    region = app.clients.target.region
    account = Sts(app.clients.client("sts")).identity.account
    return {"partition": partition_for(region), "region": region, "account": account}


@click.command(
    epilog=examples(
        "twophase whoami -e prod",
        "twophase whoami -e prod --profile web-team --output json",
        "twophase whoami -e local",
    )
)
@pass_app
def whoami(app: AppContext) -> None:
    """Show the caller and, per function, whether it may push it."""
    from twophase.aws.iam import PolicySimulator
    from twophase.aws.sts import Sts
    from twophase.release.access import partition_for, push_rights, simulation_principal

    config, env = app.config, app.env_name
    clients = app.clients
    identity = Sts(clients.client("sts")).identity
    region = clients.target.region
    # The embedded AWS simulates policies as it enforces them (when started with --iam).
    simulator = PolicySimulator(clients.client("iam"), simulation_principal(identity.arn))
    simulate = simulator.allowed
    if clients.target.local and not identity.arn.endswith(":root"):  # root may do anything
        _say_whether_enforced(app)
    rights = push_rights(
        config,
        env,
        identity.arn,
        simulate,
        partition=partition_for(region),
        region=region,
        account=identity.account,
    )

    def human() -> None:
        app.terminal.line(f"caller   {identity.arn}")
        app.terminal.line(f"account  {identity.account} ({region})")
        app.terminal.table(
            ["function", "lambda function", "may push", "decided by"],
            [(r.function, r.physical, r.may_push, r.how) for r in rights],
        )

    show(
        app.terminal, "whoami", shapes.whoami(identity.arn, identity.account, region, rights), human
    )


def _say_whether_enforced(app: AppContext) -> None:
    """Locally, the answers are the policies' (the embedded AWS simulates them); whether they are
    enforced depends on how the embedded AWS was started."""
    from twophase.local.lifecycle import status

    running = status()
    if running is not None and not running.iam_enforcement:
        app.terminal.warn(
            "the embedded AWS does not enforce IAM (started without --iam): these are what the "
            "caller's policies allow; run `twophase local stop`, then `twophase local start --iam`"
            " to enforce them"
        )
