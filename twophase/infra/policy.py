"""Deployer policies: per function, exactly what phase two needs to push it, and nothing else.

`deployer_policy` builds the IAM policy document for one function; `deployer_policy_resources` and
`deployer_policy_outputs` wrap every function's document as an `AWS::IAM::ManagedPolicy` (named
`<app>-<env>-<fn>-deployer`, attached to the function's `owners`) and export its ARN. Phase one
merges both into its template. Everything here is pure: no AWS calls, same input, same dict.

What a deployer may do (DESIGN.md §2): read its function, `UpdateFunctionCode`, `PublishVersion`,
`UpdateAlias` on the function and its qualified ARNs; delete its old versions (`DeleteFunction` on
the qualified ARNs `function:NAME:*` only: IAM authorises a DeleteFunction with a Qualifier against
the qualified ARN, and one without against the function's own ARN, which no statement grants;
`function:NAME:$LATEST` is denied outright, as deleting `$LATEST` would take the function); get
and put objects under its own artifact prefix; read its own log group, metrics and alarms; read the
stack's outputs. Nothing else: no configuration change, no deleting the function, no permission,
no trigger, no CloudFormation write, no IAM.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from twophase.config.model import Config
from twophase.config.rules import camel
from twophase.errors import AccessDeniedError, ConfigError, UsageError
from twophase.infra.artifact_store import MAX_BUCKET_NAME, artifact_bucket_name

POLICY_VERSION = "2012-10-17"
PARTITION_VAR = "${AWS::Partition}"
REGION_VAR = "${AWS::Region}"
ACCOUNT_VAR = "${AWS::AccountId}"
_LONGEST_REGION = 14  # ap-southeast-4, us-isob-east-1

LAMBDA_READ_ACTIONS = (
    "lambda:GetAlias",
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:ListAliases",
    "lambda:ListVersionsByFunction",
)
PUSH_ACTIONS = ("lambda:PublishVersion", "lambda:UpdateAlias", "lambda:UpdateFunctionCode")
PRUNE_ACTIONS = ("lambda:DeleteFunction",)  # on qualified (version) ARNs only
ARTIFACT_ACTIONS = ("s3:GetObject", "s3:PutObject")  # HeadObject is authorised as GetObject
LIST_ACTIONS = ("s3:ListBucket",)
LOG_ACTIONS = ("logs:DescribeLogStreams", "logs:FilterLogEvents", "logs:GetLogEvents")
METRIC_ACTIONS = ("cloudwatch:GetMetricData", "cloudwatch:GetMetricStatistics")
ALARM_ACTIONS = ("cloudwatch:DescribeAlarms",)
STACK_ACTIONS = ("cloudformation:DescribeStacks",)
DEPLOYER_ACTIONS = frozenset(
    LAMBDA_READ_ACTIONS
    + PUSH_ACTIONS
    + PRUNE_ACTIONS
    + ARTIFACT_ACTIONS
    + LIST_ACTIONS
    + LOG_ACTIONS
    + METRIC_ACTIONS
    + ALARM_ACTIONS
    + STACK_ACTIONS
)
# Spelled by some APIs and error messages as their operation name; IAM authorises them as these.
_IAM_ALIASES = {"s3:HeadObject": "s3:GetObject", "lambda:Invoke": "lambda:InvokeFunction"}

_OWNER_ARN = re.compile(
    r"^arn:[a-z-]+:(?:iam|sts)::[0-9]*:(?P<kind>role|user|group|assumed-role)/(?P<rest>.+)$"
)
_IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


# --- names ---------------------------------------------------------------------------------------


def policy_name(config: Config, env: str, function: str) -> str:
    """The managed policy's name: `<app>-<env>-<fn>-deployer`."""
    return f"{config.function_name(env, function)}-deployer"


def policy_logical_id(function: str) -> str:
    return f"{camel(function)}DeployerPolicy"


def policy_output_id(function: str) -> str:
    return f"{camel(function)}DeployerPolicyArn"


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


def _bucket(config: Config, env: str, scope: Scope, bucket: str | None) -> str:
    if bucket is not None:
        return bucket
    literal = "${" not in scope.account + scope.region
    prefix = f"{config.app}-{env}-artifacts-"
    if not literal and len(prefix) + 12 + 1 + _LONGEST_REGION > MAX_BUCKET_NAME:
        raise UsageError(
            f"the artifact bucket of {config.stack_name(env)} is named with a hash of the account "
            "and region, which a template cannot compute",
            hint="pass the bucket name (phase one knows it) or the account and region",
        )
    return artifact_bucket_name(config.app, env, scope.account, scope.region)


def partition_for(region: str) -> str:
    """The ARN partition of a region (`aws`, `aws-cn`, `aws-us-gov`)."""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


# --- the document --------------------------------------------------------------------------------


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
    _check(config, env, function)
    scope = Scope(partition, region, account)
    name = config.function_name(env, function)
    bucket = _bucket(config, env, scope, artifact_bucket)
    prefix = f"{config.app}/{env}/{function}/"
    log_group = scope.arn("logs", f"log-group:/aws/lambda/{name}")
    stack = config.stack_name(env)
    fn_arns = [scope.arn("lambda", f"function:{name}"), scope.arn("lambda", f"function:{name}:*")]
    statements = [
        _allow("ReadThisFunction", LAMBDA_READ_ACTIONS, fn_arns),
        _allow("PushThisFunctionCodeVersionsAndAliases", PUSH_ACTIONS, fn_arns),
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
                scope.arn("cloudformation", f"stack/{stack}/*"),
                scope.arn("cloudformation", f"stack/{stack}-artifacts/*"),
            ],
        ),
    ]
    return {"Version": POLICY_VERSION, "Statement": statements}


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


def _check(config: Config, env: str, function: str) -> None:
    if env not in config.environments:
        raise UsageError(
            f"unknown environment {env!r}",
            hint=f"use one of: {', '.join(sorted(config.environments))}",
        )
    if function not in config.functions:
        raise UsageError(
            f"unknown function {function!r}",
            hint=f"use one of: {', '.join(sorted(config.functions))} (declared under `functions:`)",
        )


# --- phase one's resources -----------------------------------------------------------------------


@dataclass(frozen=True)
class Principals:
    """Who a managed policy attaches to, by name (CloudFormation wants names, not ARNs)."""

    roles: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


def parse_owners(owners: Iterable[str], where: str = "owners") -> Principals:
    """Owners as role, user and group names: an ARN (path stripped; an STS assumed-role ARN means
    its role) or a plain name, which means a role. The account root cannot hold a policy."""
    kinds: dict[str, set[str]] = {"role": set(), "user": set(), "group": set()}
    for owner in owners:
        kind, name = _owner(owner, where)
        kinds[kind].add(name)
    return Principals(
        roles=tuple(sorted(kinds["role"])),
        users=tuple(sorted(kinds["user"])),
        groups=tuple(sorted(kinds["group"])),
    )


def _owner(owner: str, where: str) -> tuple[str, str]:
    match = _OWNER_ARN.match(owner)
    if match is None:
        if _IAM_NAME.match(owner):
            return "role", owner
        raise ConfigError(
            f"{where}: {owner!r} is not a role, user or group",
            hint="write arn:aws:iam::123456789012:role/NAME (or :user/, :group/) or a role name",
        )
    kind, rest = match["kind"], match["rest"].rstrip("/")
    if kind == "assumed-role":
        return "role", rest.split("/")[0]
    return kind, rest.split("/")[-1]


def deployer_policy_resources(
    config: Config, env: str, *, artifact_bucket: str | None = None, attach_owners: bool = True
) -> dict[str, dict[str, Any]]:
    """One `AWS::IAM::ManagedPolicy` per function (logical id `<Fn>DeployerPolicy`); region,
    account and partition come from Fn::Sub. With `attach_owners` it is attached to the function's
    owners, which must exist: CloudFormation fails the stack on a missing role, user or group."""
    out: dict[str, dict[str, Any]] = {}
    for function in sorted(config.functions):
        document = deployer_policy(
            config, env, function, partition=PARTITION_VAR, artifact_bucket=artifact_bucket
        )
        where = f"functions.{function}.owners"
        principals = parse_owners(config.functions[function].owners, where)
        if not attach_owners:
            principals = Principals()
        properties: dict[str, Any] = {
            "ManagedPolicyName": policy_name(config, env, function),
            "Description": (
                f"Push rights for {config.function_name(env, function)} only: update its code, "
                "publish versions, move its aliases (twophase phase two)"
            ),
            "PolicyDocument": substitute(document),
        }
        for key, names in (
            ("Roles", principals.roles),
            ("Users", principals.users),
            ("Groups", principals.groups),
        ):
            if names:
                properties[key] = list(names)
        out[policy_logical_id(function)] = {
            "Type": "AWS::IAM::ManagedPolicy",
            "Properties": properties,
        }
    return out


def deployer_policy_outputs(config: Config, env: str) -> dict[str, dict[str, Any]]:
    """Each function's deployer policy ARN (`<Fn>DeployerPolicyArn`), exported."""
    return {
        policy_output_id(function): {
            "Description": f"Deployer policy of {config.function_name(env, function)}",
            "Value": {"Ref": policy_logical_id(function)},
            "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{policy_output_id(function)}"}},
        }
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


# --- when AWS says no ----------------------------------------------------------------------------


def iam_action(action: str) -> str:
    """The IAM action an API operation is authorised as (`s3:HeadObject` → `s3:GetObject`)."""
    return _IAM_ALIASES.get(action, action)


def explain_access_denied(config: Config, env: str, function: str, action: str) -> str:
    """One line for a denial met while pushing `function`: what is missing, what grants it."""
    physical = config.function_name(env, function)
    wanted = iam_action(action)
    if wanted in DEPLOYER_ACTIONS:
        return (
            f"{physical}: access denied for {wanted}; the managed policy "
            f"{policy_name(config, env, function)} grants it: ask your platform team to attach "
            f"it to your role, user or group (`twophase policy {function}` prints it)"
        )
    return (
        f"{physical}: access denied for {wanted}; no deployer policy grants it, it belongs to "
        f"phase one (`twophase infra up` with infrastructure rights)"
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


class SimulationUnavailable(Exception):
    """The endpoint cannot simulate policies, or the caller may not ask it to (the reason)."""


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
    match = _OWNER_ARN.match(caller_arn)
    if match and match["kind"] == "assumed-role":
        partition = caller_arn.split(":")[1]
        account = caller_arn.split(":")[4]
        return f"arn:{partition}:iam::{account}:role/{match['rest'].split('/')[0]}"
    return caller_arn
