"""`twophase policy FUNCTION` and `twophase whoami`: who may push what."""

from __future__ import annotations

import json
from typing import Any

import click

from twophase.cli.context import AppContext
from twophase.cli.help import examples

pass_app = click.make_pass_decorator(AppContext)


@click.command(
    epilog=examples(
        "twophase policy api -e prod",
        "twophase policy api -e prod --offline",
        "twophase policy worker -e prod --template",
    )
)
@click.argument("function")
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
def policy(app: AppContext, function: str, template: bool, offline: bool) -> None:
    """Print FUNCTION's deployer policy: exactly what pushing it needs, as IAM JSON."""
    from twophase.infra.policy import (
        deployer_policy,
        deployer_policy_outputs,
        deployer_policy_resources,
        policy_logical_id,
        policy_name,
        policy_output_id,
    )

    config, env = app.config, app.env_name
    if template:
        logical_id, output_id = policy_logical_id(function), policy_output_id(function)
        deployer_policy(config, env, function)  # refuses an unknown function
        document: dict[str, Any] = {
            "Resources": {logical_id: deployer_policy_resources(config, env)[logical_id]},
            "Outputs": {output_id: deployer_policy_outputs(config, env)[output_id]},
        }
    else:
        document = deployer_policy(config, env, function, **_where(app, offline))
    if app.terminal.json:
        data = {
            "function": function,
            "policy_name": policy_name(config, env, function),
            "document": document,
        }
        app.terminal.envelope("policy", data)
        return
    app.terminal.raw(json.dumps(document, indent=2))


def _where(app: AppContext, offline: bool) -> dict[str, str]:
    if offline:
        return {}
    from twophase.aws.identity import Sts
    from twophase.infra.policy import partition_for

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
    from twophase.aws.identity import Sts
    from twophase.infra.policy import partition_for, push_rights, simulation_principal

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
    if app.terminal.json:
        data = {
            "caller": identity.arn,
            "account": identity.account,
            "region": region,
            "functions": [r.__dict__ for r in rights],
        }
        app.terminal.envelope("whoami", data)
        return
    app.terminal.line(f"caller   {identity.arn}")
    app.terminal.line(f"account  {identity.account} ({region})")
    app.terminal.table(
        ["function", "lambda function", "may push", "decided by"],
        [(r.function, r.physical, r.may_push, r.how) for r in rights],
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
