"""Deployer policies: per function, exactly what phase two needs to push it, and nothing else.

`deployer_policy` builds the IAM policy document for one function; `deployer_policy_resource` and
`deployer_policy_output` wrap it as an `AWS::IAM::ManagedPolicy` (named
`twophase.names.deployer_policy_name`, attached to the function's `owners`) and export its ARN.
The template builder adds both for every function. Everything here is pure: no AWS calls, same
input, same dict.

What a deployer may do (README, "For platform teams: who may push what"): read its function,
`UpdateFunctionCode`, `PublishVersion`, `UpdateAlias` and `InvokeFunction` on the function and its
qualified ARNs;
delete its old versions (`DeleteFunction` on the qualified ARNs `function:NAME:*` only: IAM
authorises a DeleteFunction with a Qualifier against the qualified ARN, and one without against the
function's own ARN, which no statement grants; `function:NAME:$LATEST` is denied outright, as
deleting `$LATEST` would take the function); get and put objects under its own artifact prefix;
read its own log group, metrics and alarms; read the stack's outputs and the app stack's template
(where phase one records its dummies, which `status`, `releases` and `prune` tell from releases).
Nothing else: no configuration change, no deleting the function, no permission, no trigger, no
CloudFormation write, no IAM."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from twophase import names
from twophase.config.model import Config
from twophase.errors import UsageError
from twophase.infra.owners import Principals, parse_owners
from twophase.release.access import (
    ACCOUNT_VAR,
    ALARM_ACTIONS,
    ARTIFACT_ACTIONS,
    INVOKE_ACTIONS,
    LAMBDA_READ_ACTIONS,
    LIST_ACTIONS,
    LOG_ACTIONS,
    METRIC_ACTIONS,
    PRUNE_ACTIONS,
    PUSH_ACTIONS,
    REGION_VAR,
    STACK_ACTIONS,
    TEMPLATE_ACTIONS,
    Scope,
)

POLICY_VERSION = "2012-10-17"
PARTITION_VAR = "${AWS::Partition}"


def deployer_policy(
    config: Config,
    env: str,
    function: str,
    *,
    partition: str = "aws",
    region: str = REGION_VAR,
    account: str = ACCOUNT_VAR,
    artifact_bucket: str | None = None,
) -> dict[str, Any]:
    """The IAM policy document that lets its holder push `function` in `env`, and nothing else.

    Without `region`/`account` the ARNs hold `${AWS::Region}`/`${AWS::AccountId}` (for Fn::Sub);
    `artifact_bucket` defaults to the name phase one gives the bucket in that account and region.
    """
    config.environment(env)  # refuses an undeclared environment or function
    config.function(function)
    scope = Scope(partition, region, account)
    name = config.function_name(env, function)
    bucket = _bucket(config, env, scope, artifact_bucket)
    prefix = names.artifact_prefix(config.app, env, function)
    log_group = scope.arn("logs", f"log-group:{names.log_group_name(config.app, env, function)}")
    fn_arns = [scope.arn("lambda", f"function:{name}"), scope.arn("lambda", f"function:{name}:*")]
    app_stack = scope.arn("cloudformation", f"stack/{config.stack_name(env)}/*")
    statements = [
        _allow("ReadThisFunction", LAMBDA_READ_ACTIONS, fn_arns),
        _allow("PushThisFunctionCodeVersionsAndAliases", PUSH_ACTIONS, fn_arns),
        _allow("InvokeThisFunctionAndItsAliases", INVOKE_ACTIONS, fn_arns),
        _allow("PruneOldVersionsOfThisFunctionNeverTheFunction", PRUNE_ACTIONS, [fn_arns[1]]),
        _deny("NeverDeleteLatestWhichTakesTheFunction", PRUNE_ACTIONS, [f"{fn_arns[0]}:$LATEST"]),
        _allow(
            "ArtifactsUnderThisFunctionPrefixOnly",
            ARTIFACT_ACTIONS,
            [scope.arn("s3", f"{bucket}/{prefix}*", regional=False)],
        ),
        _allow(
            "ListThisFunctionPrefixSoMissingArtifactsAreNotFound",
            LIST_ACTIONS,
            [scope.arn("s3", bucket, regional=False)],
            {"StringLike": {"s3:prefix": [f"{prefix}*"]}},
        ),
        _allow("ReadThisFunctionLogs", LOG_ACTIONS, [log_group, f"{log_group}:*"]),
        _allow("MetricReadsHaveNoResourceLevelPermissionsInIam", METRIC_ACTIONS, ["*"]),
        _allow(
            "ReadAlarmStatesForHealthChecks", ALARM_ACTIONS, [scope.arn("cloudwatch", "alarm:*")]
        ),
        _allow(
            "ReadStackOutputs",
            STACK_ACTIONS,
            [
                app_stack,
                scope.arn(
                    "cloudformation", f"stack/{names.artifact_stack_name(config.app, env)}/*"
                ),
            ],
        ),
        _allow("ReadTheAppTemplateForPhaseOnesDummies", TEMPLATE_ACTIONS, [app_stack]),
    ]
    return {"Version": POLICY_VERSION, "Statement": statements}


def _bucket(config: Config, env: str, scope: Scope, bucket: str | None) -> str:
    if bucket is not None:
        return bucket
    literal = "${" not in scope.account + scope.region
    if not literal and not names.artifact_bucket_name_is_plain(config.app, env):
        raise UsageError(
            f"the artifact bucket of {config.stack_name(env)} is named with a hash of the account "
            "and region, which a template cannot compute",
            hint="pass the bucket name (phase one knows it) or the account and region",
        )
    return names.artifact_bucket_name(config.app, env, scope.account, scope.region)


def _allow(
    sid: str,
    actions: Iterable[str],
    resources: list[str],
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Action": sorted(actions),
        "Resource": resources,
    }
    if condition:
        statement["Condition"] = condition
    return statement


def _deny(sid: str, actions: Iterable[str], resources: list[str]) -> dict[str, Any]:
    return {**_allow(sid, actions, resources), "Effect": "Deny"}


# --- phase one's resources -----------------------------------------------------------------------


def deployer_policy_resource(
    config: Config,
    env: str,
    function: str,
    *,
    artifact_bucket: str | None = None,
    attach_owners: bool = True,
) -> dict[str, Any]:
    """The function's `AWS::IAM::ManagedPolicy`; region, account and partition come from
    Fn::Sub. With `attach_owners` it is attached to the function's owners, which must exist:
    CloudFormation fails the stack on a missing role, user or group."""
    document = deployer_policy(
        config, env, function, partition=PARTITION_VAR, artifact_bucket=artifact_bucket
    )
    where = f"functions.{function}.owners"
    principals = parse_owners(config.function(function).owners, where)
    if not attach_owners:
        principals = Principals()
    properties: dict[str, Any] = {
        "ManagedPolicyName": names.deployer_policy_name(config.app, env, function),
        "Description": (
            f"Push rights for {config.function_name(env, function)} only: update its code, "
            "publish versions, move its aliases (twophase phase two)"
        ),
        "PolicyDocument": substitute(document),
    }
    for key, principal_names in (
        ("Roles", principals.roles),
        ("Users", principals.users),
        ("Groups", principals.groups),
    ):
        if principal_names:
            properties[key] = list(principal_names)
    return {"Type": "AWS::IAM::ManagedPolicy", "Properties": properties}


def deployer_policy_output(config: Config, env: str, function: str) -> dict[str, Any]:
    """The function's deployer policy ARN, exported as `<stack>-<Fn>DeployerPolicyArn`."""
    ids = names.ids_for(function)
    return {
        "Description": f"Deployer policy of {config.function_name(env, function)}",
        "Value": {"Ref": ids.deployer_policy},
        "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{ids.out_deployer_policy_arn}"}},
    }


def deployer_policy_resources(
    config: Config, env: str, *, artifact_bucket: str | None = None, attach_owners: bool = True
) -> dict[str, dict[str, Any]]:
    """Every function's deployer policy, by logical id (`<Fn>DeployerPolicy`)."""
    return {
        names.ids_for(function).deployer_policy: deployer_policy_resource(
            config, env, function, artifact_bucket=artifact_bucket, attach_owners=attach_owners
        )
        for function in sorted(config.functions)
    }


def deployer_policy_outputs(config: Config, env: str) -> dict[str, dict[str, Any]]:
    """Every function's deployer policy ARN output, by id (`<Fn>DeployerPolicyArn`)."""
    return {
        names.ids_for(function).out_deployer_policy_arn: deployer_policy_output(
            config, env, function
        )
        for function in sorted(config.functions)
    }


def substitute(value: Any) -> Any:
    """Wrap every string holding `${...}` in Fn::Sub (recursively)."""
    if isinstance(value, str):
        return {"Fn::Sub": value} if "${" in value else value
    if isinstance(value, Mapping):
        return {k: substitute(v) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v) for v in value]
    return value


def deployer_policy_sections(
    config: Config, env: str, *, artifact_bucket: str | None = None, attach_owners: bool = True
) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """What phase one renders for the deployer policies, as (config entry it comes from,
    `Resources` and `Outputs`) pairs: the collision check names the entry."""
    out = []
    for function in sorted(config.functions):
        ids = names.ids_for(function)
        resource = deployer_policy_resource(
            config, env, function, artifact_bucket=artifact_bucket, attach_owners=attach_owners
        )
        output = deployer_policy_output(config, env, function)
        sections = {
            "Resources": {ids.deployer_policy: resource},
            "Outputs": {ids.out_deployer_policy_arn: output},
        }
        out.append((f"functions.{function}", sections))
    return out
