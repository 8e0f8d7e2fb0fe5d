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
    help="Print the documents of every function OWNER owns (for an Identity Center permission "
    "set, which takes no attachment).",
)
@click.option(
    "--template",
    is_flag=True,
    help="Print the CloudFormation resource and output phase one deploys instead.",
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
    from twophase.infra.deployer_policy import (
        deployer_policy,
        deployer_policy_output,
        deployer_policy_resource,
    )

    config, env = app.config, app.env_name
    if (function is None) == (owner is None):
        raise UsageError("give a FUNCTION or --owner OWNER", hint="twophase policy --help")
    if owner is not None:
        _owner_policies(app, owner, offline)
        return
    assert function is not None
    if template:
        ids = names.ids_for(function)
        deployer_policy(config, env, function)  # refuses an unknown function
        document: dict[str, Any] = {
            "Resources": {ids.deployer_policy: deployer_policy_resource(config, env, function)},
            "Outputs": {ids.out_deployer_policy_arn: deployer_policy_output(config, env, function)},
        }
    else:
        document = deployer_policy(config, env, function, **_where(app, offline))
    policy_name = names.deployer_policy_name(config.app, env, function)
    shape = shapes.policy(function, policy_name, document)
    show(app.terminal, "policy", shape, lambda: app.terminal.raw(json.dumps(document, indent=2)))


def _owner_policies(app: AppContext, owner: str, offline: bool) -> None:
    """Every function `owner` owns: its policy name and document, as one JSON object."""
    from twophase import names
    from twophase.errors import UsageError
    from twophase.infra.deployer_policy import deployer_policy
    from twophase.infra.owners import same_owner

    config, env = app.config, app.env_name
    owned = [
        f
        for f in sorted(config.functions)
        if any(same_owner(owner, o) for o in config.function(f).owners)
    ]
    if not owned:
        raise UsageError(
            f"{owner} owns no function of {config.stack_name(env)}",
            hint="owners are listed under each function's `owners:` in twophase.yml",
        )
    where = _where(app, offline)
    policies = {
        names.deployer_policy_name(config.app, env, f): deployer_policy(config, env, f, **where)
        for f in owned
    }
    shape = Shape("twophase.policy-owner/1", {"owner": owner, "policies": policies})
    show(app.terminal, "policy", shape, lambda: app.terminal.raw(json.dumps(policies, indent=2)))


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
