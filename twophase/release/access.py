"""What a deployer may do, seen from phase two: explain a denial, and ask whether a push is allowed.

The actions below are the ones phase one's deployer policies grant (their documents are built
from them, in `twophase.infra.deployer_documents`): a denial of one of them means the caller holds
none of the function's owners' policies; a denial of anything else means the action belongs to
phase one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from twophase.aws.iam import SimulationUnavailable
from twophase.config.model import Config
from twophase.errors import AccessDeniedError

REGION_VAR = "${AWS::Region}"
ACCOUNT_VAR = "${AWS::AccountId}"

LAMBDA_READ_ACTIONS = (
    "lambda:GetAlias",
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:ListAliases",
    "lambda:ListVersionsByFunction",
)
PUSH_ACTIONS = ("lambda:PublishVersion", "lambda:UpdateAlias", "lambda:UpdateFunctionCode")
INVOKE_ACTIONS = ("lambda:InvokeFunction",)  # `invoke`, on the function and its aliases
PRUNE_ACTIONS = ("lambda:DeleteFunction",)  # on qualified (version) ARNs only
# HeadObject is authorised as GetObject; a multipart upload's parts as PutObject, but not its abort.
ARTIFACT_ACTIONS = ("s3:AbortMultipartUpload", "s3:GetObject", "s3:PutObject")
LIST_ACTIONS = ("s3:ListBucket",)
LOG_ACTIONS = ("logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents")
METRIC_ACTIONS = ("cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics")
ALARM_ACTIONS = ("cloudwatch:DescribeAlarms",)
STACK_ACTIONS = ("cloudformation:DescribeStacks",)
# `status`, `releases` and `prune` read which version is phase one's dummy from the app's template.
TEMPLATE_ACTIONS = ("cloudformation:GetTemplate",)
# `whoami` simulates the caller's own policies; granted on the owner's own ARN only (an owner's
# document names it; one function's document, which names no principal, cannot).
WHOAMI_ACTIONS = ("iam:SimulatePrincipalPolicy",)
# `alias promote --canary/--linear` runs a CodeDeploy deployment on the function's own deployment
# group: these name the group (IAM's Service Authorization Reference for CodeDeploy).
DEPLOYMENT_ACTIONS = (
    "codedeploy:CreateDeployment",
    "codedeploy:GetDeployment",
    "codedeploy:ListDeployments",
)
# Following and stopping it: the Service Authorization Reference lists no resource type for
# these, so IAM authorises them on `*` only (a narrower Resource would never match).
DEPLOYMENT_TARGET_ACTIONS = (
    "codedeploy:GetDeploymentTarget",
    "codedeploy:ListDeploymentTargets",
    "codedeploy:StopDeployment",
)
# CreateDeployment also needs the revision's rights on the application, and GetDeploymentConfig
# on the configuration it names: AWS's predefined ones, or the stack's schedule-named ones, which
# the first `--canary P --interval T` without a predefined match creates.
REVISION_ACTIONS = ("codedeploy:GetApplicationRevision", "codedeploy:RegisterApplicationRevision")
CONFIG_READ_ACTIONS = ("codedeploy:GetDeploymentConfig",)
CONFIG_ACTIONS = ("codedeploy:CreateDeploymentConfig", "codedeploy:GetDeploymentConfig")
CODEDEPLOY_ACTIONS = (
    DEPLOYMENT_ACTIONS + DEPLOYMENT_TARGET_ACTIONS + REVISION_ACTIONS + CONFIG_ACTIONS
)
DEPLOYER_ACTIONS = frozenset(
    LAMBDA_READ_ACTIONS
    + PUSH_ACTIONS
    + INVOKE_ACTIONS
    + PRUNE_ACTIONS
    + ARTIFACT_ACTIONS
    + LIST_ACTIONS
    + LOG_ACTIONS
    + METRIC_ACTIONS
    + ALARM_ACTIONS
    + STACK_ACTIONS
    + TEMPLATE_ACTIONS
    + WHOAMI_ACTIONS
    + CODEDEPLOY_ACTIONS
)
# Spelled by some APIs and error messages as their operation name; IAM authorises them as these.
_IAM_ALIASES = {"s3:HeadObject": "s3:GetObject", "lambda:Invoke": "lambda:InvokeFunction"}
_ASSUMED_ROLE = re.compile(
    r"^arn:(?P<partition>[a-z-]+):(?:iam|sts)::(?P<account>[0-9]*):assumed-role/(?P<role>[^/]+)"
)


@dataclass(frozen=True)
class Scope:
    """Where the ARNs point: literal values, or CloudFormation's pseudo parameters."""

    partition: str = "aws"
    region: str = REGION_VAR
    account: str = ACCOUNT_VAR

    def arn(self, service: str, resource: str, *, regional: bool = True) -> str:
        if not regional:
            return f"arn:{self.partition}:{service}:::{resource}"
        return f"arn:{self.partition}:{service}:{self.region}:{self.account}:{resource}"

    def iam_arn(self, resource: str) -> str:
        """An IAM principal's ARN (IAM is global: no region)."""
        return f"arn:{self.partition}:iam::{self.account}:{resource}"


def partition_for(region: str) -> str:
    """The ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# --- when AWS says no ----------------------------------------------------------------------------


def iam_action(action: str) -> str:
    """The IAM action an API operation is authorised as (`s3:HeadObject` → `s3:GetObject`)."""
    return _IAM_ALIASES.get(action, action)


def explain_access_denied(config: Config, env: str, function: str, action: str) -> str:
    """One line for a denial met while pushing `function`: what is missing, who holds it."""
    physical = config.function_name(env, function)
    wanted = iam_action(action)
    if wanted not in DEPLOYER_ACTIONS:
        return (
            f"{physical}: access denied for {wanted}; no deployer policy grants it, it belongs to "
            f"phase one (`twophase infra up` with infrastructure rights)"
        )
    owners = config.function(function).owners
    holders = (
        f"the deployer policies of its owners grant it ({', '.join(owners)}): ask your platform "
        "team to let you act as one of them, or to add your role, user or group"
        if owners
        else "it has no owner, so no deployer policy of the stack grants it: ask your platform "
        "team to add your role, user or group"
    )
    return (
        f"{physical}: access denied for {wanted}; {holders} under functions.{function}.owners "
        f"(`twophase policy {function}` prints what pushing it needs)"
    )


_PERFORM = re.compile(r"perform: (?P<action>[a-z0-9-]+:[A-Za-z0-9]+)")
_ACTION = re.compile(r"\b(?P<action>[a-z0-9-]+:[A-Z][A-Za-z0-9]+)\b")


def denied_action(exc: BaseException) -> str | None:
    """The IAM action a denial names: AWS's own message first, then twophase's."""
    texts = [str(exc)]
    cause = exc.__cause__
    response = getattr(cause, "response", None)
    if isinstance(response, Mapping):
        texts.insert(0, str(response.get("Error", {}).get("Message", "")))
    for pattern in (_PERFORM, _ACTION):
        for text in texts:
            match = pattern.search(text)
            if match:
                return match["action"]
    return None


def access_denied(config: Config, env: str, function: str, exc: BaseException) -> AccessDeniedError:
    """`exc` (a denial) as one `AccessDeniedError` line naming the function, action and policy."""
    action = denied_action(exc) or "an action"
    error = AccessDeniedError(explain_access_denied(config, env, function, action))
    error.__cause__ = exc
    return error


# --- may the caller push? ------------------------------------------------------------------------


def push_checks(
    config: Config, env: str, function: str, *, partition: str, region: str, account: str
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The actions and resources `whoami` simulates for `function`: the three push actions on the
    function and on the alias `push` moves."""
    scope = Scope(partition, region, account)
    arn = scope.arn("lambda", f"function:{config.function_name(env, function)}")
    return PUSH_ACTIONS, (arn, f"{arn}:{config.aliases[0]}")


Simulate = Callable[[tuple[str, ...], tuple[str, ...]], bool]


@dataclass(frozen=True)
class PushRight:
    function: str
    physical: str
    may_push: str  # "yes", "no" or "unknown"
    how: str  # how it was decided


def push_rights(
    config: Config,
    env: str,
    caller_arn: str,
    simulate: Simulate | None,
    *,
    partition: str,
    region: str,
    account: str,
) -> list[PushRight]:
    """Per function, whether the caller may push it. `simulate(actions, resources)` answers
    whether all are allowed, or raises `SimulationUnavailable`; then every answer is "unknown"."""
    out = []
    why_unknown = "" if simulate is not None else "no policy simulator for this endpoint"
    for function in sorted(config.functions):
        physical = config.function_name(env, function)
        if caller_arn.endswith(":root"):
            out.append(PushRight(function, physical, "yes", "account root: allowed everything"))
            continue
        if simulate is not None and not why_unknown:
            actions, resources = push_checks(
                config, env, function, partition=partition, region=region, account=account
            )
            try:
                verdict = "yes" if simulate(actions, resources) else "no"
            except SimulationUnavailable as exc:
                why_unknown = str(exc)
            else:
                out.append(PushRight(function, physical, verdict, "iam:SimulatePrincipalPolicy"))
                continue
        out.append(PushRight(function, physical, "unknown", f"best effort: {why_unknown}"))
    return out


def simulation_principal(caller_arn: str) -> str:
    """The principal IAM simulates for a caller: an assumed-role session becomes its role."""
    match = _ASSUMED_ROLE.match(caller_arn)
    if match:
        return f"arn:{match['partition']}:iam::{match['account']}:role/{match['role']}"
    return caller_arn
