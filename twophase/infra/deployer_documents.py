"""The IAM documents of phase two's rights: one function's, and one owner's for several functions.

What a deployer may do (README, "For platform teams: who may push what"): read its function,
`UpdateFunctionCode`, `PublishVersion`, `UpdateAlias` and `InvokeFunction` on the function and its
qualified ARNs; delete its old versions (`DeleteFunction` on the qualified ARNs `function:NAME:*`
only: IAM authorises a DeleteFunction with a Qualifier against the qualified ARN, and one without
against the function's own ARN, which no statement grants; `function:NAME:$LATEST` is denied
outright, as deleting `$LATEST` would take the function); get and put objects under its own
artifact prefix; read its own log group, metrics and alarms; read the stack's outputs and the app
stack's template (where phase one records its dummies, which `status`, `releases` and `prune` tell
from releases); start and read a gradual promotion on the function's own CodeDeploy deployment
group. Nothing else: no configuration change, no deleting the function, no permission, no trigger,
no CloudFormation write, no IAM write. (Following and stopping a deployment is authorised on `*`
only: IAM knows no resource for it, see `_codedeploy_statements`.)

`deployer_policy` is one function's document (`twophase policy FUNCTION`). `owner_document` is
one of the documents an owner holds for its functions: the union of their documents, merged
statement by statement (each function's ARNs listed, never a wildcard that could match another
function), plus `whoami`'s simulation of the owner itself. Pure: same input, same dict.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from twophase import names
from twophase.config.model import Config
from twophase.errors import UsageError
from twophase.infra.owners import Owner
from twophase.release.access import (
    ACCOUNT_VAR,
    ALARM_ACTIONS,
    ARTIFACT_ACTIONS,
    CONFIG_ACTIONS,
    CONFIG_READ_ACTIONS,
    DEPLOYMENT_ACTIONS,
    DEPLOYMENT_TARGET_ACTIONS,
    INVOKE_ACTIONS,
    LAMBDA_READ_ACTIONS,
    LIST_ACTIONS,
    LOG_ACTIONS,
    METRIC_ACTIONS,
    PRUNE_ACTIONS,
    PUSH_ACTIONS,
    REGION_VAR,
    REVISION_ACTIONS,
    STACK_ACTIONS,
    TEMPLATE_ACTIONS,
    WHOAMI_ACTIONS,
    Scope,
)

POLICY_VERSION = "2012-10-17"
PARTITION_VAR = "${AWS::Partition}"
USERNAME_VAR = "${aws:username}"  # IAM's policy variable: the calling IAM user's name


@dataclass(frozen=True)
class _FunctionArns:
    """What one function's statements name."""

    function: str  # function:NAME
    qualified: str  # function:NAME:* (versions and aliases)
    artifacts: str  # the objects under its artifact prefix
    prefix: str  # its prefix, as the ListBucket condition matches it
    log_group: str
    deployment_group: str  # its CodeDeploy deployment group (gradual promotion)


def _function_arns(
    config: Config, env: str, function: str, scope: Scope, bucket: str
) -> _FunctionArns:
    config.function(function)  # refuses an undeclared function
    name = config.function_name(env, function)
    function_arn = scope.arn("lambda", f"function:{name}")
    prefix = names.artifact_prefix(config.app, env, function)
    application = names.codedeploy_application(config.app, env)
    group = names.deployment_group_name(config.app, env, function)
    return _FunctionArns(
        function=function_arn,
        qualified=f"{function_arn}:*",
        artifacts=scope.arn("s3", f"{bucket}/{prefix}*", regional=False),
        prefix=f"{prefix}*",
        log_group=scope.arn("logs", f"log-group:{names.log_group_name(config.app, env, function)}"),
        deployment_group=scope.arn("codedeploy", f"deploymentgroup:{application}/{group}"),
    )


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
    It holds no `whoami` grant: that one names its holder, which only an owner's document knows.
    """
    config.environment(env)  # refuses an undeclared environment or function
    config.function(function)
    scope = Scope(partition, region, account)
    bucket = _bucket(config, env, scope, artifact_bucket)
    arns = _function_arns(config, env, function, scope, bucket)
    lambda_arns = [arns.function, arns.qualified]
    statements = [
        allow("ReadThisFunction", LAMBDA_READ_ACTIONS, lambda_arns),
        allow("PushThisFunctionCodeVersionsAndAliases", PUSH_ACTIONS, lambda_arns),
        allow("InvokeThisFunctionAndItsAliases", INVOKE_ACTIONS, lambda_arns),
        allow("PruneOldVersionsOfThisFunctionNeverTheFunction", PRUNE_ACTIONS, [arns.qualified]),
        _deny(
            "NeverDeleteLatestWhichTakesTheFunction", PRUNE_ACTIONS, [f"{arns.function}:$LATEST"]
        ),
        allow("ArtifactsUnderThisFunctionPrefixOnly", ARTIFACT_ACTIONS, [arns.artifacts]),
        _listing("ListThisFunctionPrefixSoMissingArtifactsAreNotFound", scope, bucket, [arns]),
        allow("ReadThisFunctionLogs", LOG_ACTIONS, [arns.log_group, f"{arns.log_group}:*"]),
        allow(
            "ShiftThisFunctionThroughItsDeploymentGroup",
            DEPLOYMENT_ACTIONS,
            [arns.deployment_group],
        ),
        *_shared_statements(config, env, scope),
    ]
    return {"Version": POLICY_VERSION, "Statement": statements}


def owner_document(
    config: Config,
    env: str,
    owner: Owner,
    functions: Sequence[str],
    *,
    first: bool = True,
    partition: str = "aws",
    region: str = REGION_VAR,
    account: str = ACCOUNT_VAR,
    artifact_bucket: str | None = None,
) -> dict[str, Any]:
    """One of `owner`'s documents: what the documents of `functions` grant together and, in its
    `first` one, what names no function, and the simulation of its own policies that
    `twophase whoami` asks for. The owner holds all of its documents: together they grant what
    each of its functions' documents grants, and that simulation.

    Each action group is one statement listing every function's ARNs (Read, Push and Invoke name
    the same ARNs, so they share one). What names no function (metrics, alarms, the stacks, the
    template) is said once, in the first document, leaving the others more room. So is the
    `$LATEST` deny, one wildcard over the account's functions: a Deny only takes away, from
    whichever policy, and nothing deletes `$LATEST` alone (it would take the function).
    """
    config.environment(env)
    scope = Scope(partition, region, account)
    bucket = _bucket(config, env, scope, artifact_bucket)
    every = [_function_arns(config, env, f, scope, bucket) for f in functions]
    lambda_arns = [arn for a in every for arn in (a.function, a.qualified)]
    statements = [
        allow(
            "ReadPushAndInvokeTheseFunctions",
            LAMBDA_READ_ACTIONS + PUSH_ACTIONS + INVOKE_ACTIONS,
            lambda_arns,
        ),
        allow("PruneOldVersionsNeverTheFunctions", PRUNE_ACTIONS, [a.qualified for a in every]),
        allow("ArtifactsUnderTheirPrefixesOnly", ARTIFACT_ACTIONS, [a.artifacts for a in every]),
        _listing("ListTheirPrefixesSoMissingArtifactsAreNotFound", scope, bucket, every),
        allow(
            "ReadTheseFunctionsLogs",
            LOG_ACTIONS,
            [arn for a in every for arn in (a.log_group, f"{a.log_group}:*")],
        ),
        allow(
            "ShiftTheseFunctionsThroughTheirDeploymentGroups",
            DEPLOYMENT_ACTIONS,
            [a.deployment_group for a in every],
        ),
    ]
    if first:
        latest = [scope.arn("lambda", "function:*:$LATEST")]
        statements[2:2] = [_deny("NeverDeleteLatestWhichTakesTheFunction", PRUNE_ACTIONS, latest)]
        statements += [
            *_shared_statements(config, env, scope),
            allow("WhoamiSimulatesTheOwnerItself", WHOAMI_ACTIONS, own_arns(owner, scope)),
        ]
    return {"Version": POLICY_VERSION, "Statement": statements}


def own_arns(owner: Owner, scope: Scope) -> list[str]:
    """The ARNs `whoami` simulates when the owner's holder calls it, and nothing else.

    `whoami` asks IAM to simulate the caller's own policies (`iam:SimulatePrincipalPolicy`, which
    IAM authorises on the simulated principal's ARN): for a session of a role that ARN is the
    role's, for a user the user's. So a role or user owner may simulate itself only, with or
    without a path (`role/NAME`, `role/*/NAME`: names are unique in an account whatever their
    path). A group's members are users a policy cannot list: they may each simulate themselves
    (`user/${aws:username}`, IAM's variable for the calling user, which no role session has).
    Simulating anyone else would show them what others may do.
    """
    kind, name = ("user", USERNAME_VAR) if owner.kind == "group" else (owner.kind, owner.name)
    return [scope.iam_arn(f"{kind}/{name}"), scope.iam_arn(f"{kind}/*/{name}")]


def _shared_statements(config: Config, env: str, scope: Scope) -> list[dict[str, Any]]:
    """What names no function: metric reads, alarm states, the stacks' outputs and template."""
    app_stack = scope.arn("cloudformation", f"stack/{config.stack_name(env)}/*")
    artifact_stack = names.artifact_stack_name(config.app, env)
    return [
        allow("MetricReadsHaveNoResourceLevelPermissionsInIam", METRIC_ACTIONS, ["*"]),
        allow(
            "ReadAlarmStatesForHealthChecks", ALARM_ACTIONS, [scope.arn("cloudwatch", "alarm:*")]
        ),
        allow(
            "ReadStackOutputs",
            STACK_ACTIONS,
            [app_stack, scope.arn("cloudformation", f"stack/{artifact_stack}/*")],
        ),
        allow("ReadTheAppTemplateForPhaseOnesDummies", TEMPLATE_ACTIONS, [app_stack]),
        *_codedeploy_statements(config, env, scope),
    ]


def _codedeploy_statements(config: Config, env: str, scope: Scope) -> list[dict[str, Any]]:
    """What a gradual promotion needs beyond the function's deployment group: the revision on the
    environment's application, the configurations it may name (AWS's predefined ones, and the
    stack's schedule-named ones, which the first `--canary P --interval T` without a predefined
    match creates: the name says the schedule, so creating it again is harmless), and following
    and stopping the deployment. IAM's Service Authorization Reference for CodeDeploy lists no
    resource type for GetDeploymentTarget, ListDeploymentTargets and StopDeployment, so they are
    granted on `*`: an owner could stop (which rolls back) another function's deployment in
    progress in the same account and region, never start one."""
    application = names.codedeploy_application(config.app, env)

    def config_arn(name: str) -> str:
        return scope.arn("codedeploy", f"deploymentconfig:{name}")

    return [
        allow(
            "RevisionsOfTheEnvironmentsCodeDeployApplication",
            REVISION_ACTIONS,
            [scope.arn("codedeploy", f"application:{application}")],
        ),
        allow(
            "ReadAwsPredefinedDeploymentConfigurations",
            CONFIG_READ_ACTIONS,
            [config_arn("CodeDeployDefault.*")],
        ),
        allow(
            "CreateAndReadTheStacksScheduleNamedConfigurations",
            CONFIG_ACTIONS,
            [config_arn(f"{names.deployment_config_prefix(config.app, env)}*")],
        ),
        allow(
            "FollowAndStopDeploymentsHaveNoResourceLevelPermissionsInIam",
            DEPLOYMENT_TARGET_ACTIONS,
            ["*"],
        ),
    ]


def _listing(sid: str, scope: Scope, bucket: str, every: Iterable[_FunctionArns]) -> dict[str, Any]:
    """ListBucket on the bucket, for the functions' prefixes only (IAM ORs a key's values)."""
    return allow(
        sid,
        LIST_ACTIONS,
        [scope.arn("s3", bucket, regional=False)],
        {"StringLike": {"s3:prefix": [a.prefix for a in every]}},
    )


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


def allow(
    sid: str,
    actions: Iterable[str],
    resources: list[str],
    condition: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One Allow statement, its actions sorted (the CodeDeploy service roles' too)."""
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
    return {**allow(sid, actions, resources), "Effect": "Deny"}
