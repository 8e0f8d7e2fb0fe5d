"""The service roles CodeDeploy assumes to run the app's gradual promotions: one per set of owners.

CodeDeploy shifts whichever function and alias a deployment's AppSpec names, acting as the
deployment group's service role. One role allowed to move every alias of the environment would
let an owner, who may start a deployment in its own function's group, name another team's
function in the AppSpec and move that function's alias to one of its published versions. So the
functions are grouped by their exact set of owners (`Function.owners` as `twophase.infra.owners`
reads them; no owner at all is a set too: the functions only the platform may promote), and each
set gets a role that may move the aliases of that set's functions and no other. Every function's
deployment group uses its set's role (`twophase.infra.render.codedeploy`), so whoever may deploy
through a group can move only what they may push anyway.

A role grants what AWS's managed policy `AWSCodeDeployRoleForLambda` grants a Lambda deployment,
narrowed: read alarm states (`cloudwatch:DescribeAlarms`, the role's inline policy), read and move
the aliases of its functions (`lambda:GetAlias`, `UpdateAlias`, `GetProvisionedConcurrencyConfig`
on `function:NAME` and `function:NAME:*`, each name exact), and invoke the hook functions those
functions name (`lambda:InvokeFunction`; the managed policy allows `CodeDeployHook_*` functions
instead). It leaves out `sns:Publish`, as AWS's `AWSCodeDeployRoleForLambdaLimited` does (no
deployment group of the app notifies a topic), and S3 (a deployment's AppSpec travels in its
request).

The functions' statements are managed policies attached to the role, packed as an owner's
deployer policies are (`twophase.infra.deployer_packing`): in name order, each policy taking the
next function while it fits IAM's 6,144 characters, measured at the longest partition, region and
account. A function added last in name order changes only its set's last policy, or adds one; a
policy's name and description never change. IAM attaches at most 10 managed policies to a role,
so a set whose functions need more gets another role (`part` 2, 3…) holding the next ones. The
functions without owners share one policy naming them by the environment's function-name prefix
(`names.function_name_prefix`), which adding one of them leaves as it was. ARNs spell the
functions' names, never a reference to their resources: a role in the root names functions of
nested stacks without pinning them.

Only CodeDeploy may assume a role, and only for this app's deployment groups in this account
(`aws:SourceArn`, `aws:SourceAccount`: CodeDeploy's "Cross-service confused deputy prevention").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from twophase import names
from twophase.config.model import Config, Function
from twophase.infra.deployer_documents import PARTITION_VAR, POLICY_VERSION, allow
from twophase.infra.deployer_packing import LONGEST, fits, pack_in_order
from twophase.infra.deployer_policy import substitute
from twophase.infra.limits import POLICIES_PER_OWNER
from twophase.infra.owners import Owner, owner
from twophase.release.access import ACCOUNT_VAR, REGION_VAR, Scope

INLINE_POLICY = "read-alarm-states"
DESCRIPTION_CHARACTERS = 1000  # IAM's limit for a role's description
ALIAS_ACTIONS = [
    "lambda:GetAlias",
    "lambda:GetProvisionedConcurrencyConfig",
    "lambda:UpdateAlias",
]
_TEMPLATE = Scope(PARTITION_VAR, REGION_VAR, ACCOUNT_VAR)


@dataclass(frozen=True)
class ServiceRole:
    """A role of the functions `owners` own together (none: the platform's). A set whose
    functions need more than the ten managed policies IAM attaches to a role gets more roles,
    `part` 2, 3…, each holding the next functions in name order."""

    owners: tuple[Owner, ...]  # sorted
    policies: tuple[tuple[str, ...], ...]  # its functions, as its managed policies hold them
    part: int = 1

    @property
    def functions(self) -> tuple[str, ...]:
        """Its functions, in name order."""
        return tuple(f for policy in self.policies for f in policy)

    @property
    def keys(self) -> tuple[names.OwnerKey, ...]:
        return tuple((o.kind, o.name) for o in self.owners)

    @property
    def logical_id(self) -> str:
        return names.codedeploy_role_id(self.keys, self.part)

    def policy_id(self, number: int) -> str:
        return names.codedeploy_role_policy_id(self.keys, number, self.part)

    def __str__(self) -> str:
        if not self.owners:
            return "the functions without owners"
        return f"the functions of {', '.join(str(o) for o in self.owners)}"


def owner_set(fn: Function) -> tuple[Owner, ...]:
    """The function's owners, each once however it is spelled, sorted."""
    return tuple(sorted({owner(s, f"functions.{fn.name}.owners") for s in fn.owners}))


@dataclass(frozen=True)
class PromotionRoles:
    """What every function's promotion resources need of the whole app, found once."""

    hooks: frozenset[str]  # the functions some function names as a hook
    service_roles: tuple[ServiceRole, ...]  # every service role (`role_resources` renders them)
    roles: dict[str, str]  # function -> the logical id of its deployment group's service role

    @classmethod
    def of(cls, config: Config, env: str) -> PromotionRoles:
        found = service_roles(config, env)
        roles = {f: role.logical_id for role in found for f in role.functions}
        return cls(hook_functions(config), found, roles)


def service_roles(config: Config, env: str) -> tuple[ServiceRole, ...]:
    """The roles of each distinct set of owners, with their functions and policies."""
    grouped: dict[tuple[Owner, ...], list[str]] = {}
    for name in sorted(config.functions):
        grouped.setdefault(owner_set(config.function(name)), []).append(name)
    roles: list[ServiceRole] = []
    for owners, functions in sorted(grouped.items()):
        policies = _packed(config, env, owners, tuple(functions))
        for start in range(0, len(policies), POLICIES_PER_OWNER):
            held = tuple(policies[start : start + POLICIES_PER_OWNER])
            roles.append(ServiceRole(owners, held, start // POLICIES_PER_OWNER + 1))
    return tuple(roles)


def _packed(
    config: Config, env: str, owners: tuple[Owner, ...], functions: tuple[str, ...]
) -> list[tuple[str, ...]]:
    """A set's functions, as managed policies hold them (policy 1 first). The functions without
    owners share one policy naming them by the environment's function-name prefix: only the
    platform may start a deployment in their groups, and it may move any alias anyway, so naming
    each would only cost policies (500 such functions would need 14)."""
    if not owners:
        return [functions]

    def fitting(chosen: list[str], _number: int) -> bool:
        return fits(role_document(config, env, chosen, LONGEST))

    return pack_in_order(functions, fitting)


def role_resources(config: Config, env: str, roles: Sequence[ServiceRole]) -> dict[str, Any]:
    """The service roles `PromotionRoles` found and their managed policies."""
    resources: dict[str, Any] = {}
    for role in roles:
        resources[role.logical_id] = _role(config, env, role)
        for number, functions in enumerate(role.policies, start=1):
            resources[role.policy_id(number)] = _policy(config, env, role, number, functions)
    return resources


def role_document(
    config: Config,
    env: str,
    functions: Sequence[str],
    scope: Scope = _TEMPLATE,
    *,
    by_prefix: bool = False,
) -> dict[str, Any]:
    """What one of a role's managed policies grants: moving the aliases of `functions` (with
    `by_prefix`, of every function of the environment, `names.function_name_prefix`) and
    invoking the hook functions they name."""
    shifted = (
        [f"{names.function_name_prefix(config.app, env)}*"]
        if by_prefix and functions
        else [config.function_name(env, f) for f in functions]
    )
    hooks = sorted(
        {
            config.function_name(env, h)
            for f in functions
            for h in config.function(f).promotion.hooks
        }
    )
    statements = [allow("ShiftTheseFunctionsAliases", ALIAS_ACTIONS, _arns(scope, shifted))]
    if hooks:
        statements.append(
            allow("InvokeTheirHookFunctions", ["lambda:InvokeFunction"], _arns(scope, hooks))
        )
    return {"Version": POLICY_VERSION, "Statement": statements}


def hook_functions(config: Config) -> frozenset[str]:
    """The functions some function names as a promotion hook."""
    return frozenset(h for fn in config.functions.values() for h in fn.promotion.hooks)


def _role(config: Config, env: str, role: ServiceRole) -> dict[str, Any]:
    application = names.codedeploy_application(config.app, env)
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "codedeploy.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT_VAR},
            "ArnLike": {
                "aws:SourceArn": _TEMPLATE.arn("codedeploy", f"deploymentgroup:{application}/*")
            },
        },
    }
    alarms = allow(
        "ReadAlarmStates", ["cloudwatch:DescribeAlarms"], [_TEMPLATE.arn("cloudwatch", "alarm:*")]
    )
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": names.codedeploy_role_name(config.app, env, role.keys, role.part),
            "Description": _described(
                f"CodeDeploy's role for the gradual promotions of {role} in "
                f"{config.stack_name(env)}"
            ),
            "AssumeRolePolicyDocument": substitute(
                {"Version": POLICY_VERSION, "Statement": [trust]}
            ),
            "Policies": [
                {
                    "PolicyName": INLINE_POLICY,
                    "PolicyDocument": substitute(
                        {"Version": POLICY_VERSION, "Statement": [alarms]}
                    ),
                }
            ],
        },
    }


def _policy(
    config: Config, env: str, role: ServiceRole, number: int, functions: Sequence[str]
) -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::ManagedPolicy",
        "Properties": {
            "ManagedPolicyName": names.codedeploy_role_policy_name(
                config.app, env, role.keys, number, role.part
            ),
            "Description": f"Policy {number} of CodeDeploy's role "
            f"{names.codedeploy_role_name(config.app, env, role.keys, role.part)}",
            "Roles": [{"Ref": role.logical_id}],
            "PolicyDocument": substitute(
                role_document(config, env, functions, by_prefix=not role.owners)
            ),
        },
    }


def _described(text: str) -> str:
    """IAM holds a description to 1,000 characters (a set of many owners could pass it)."""
    return (
        text if len(text) <= DESCRIPTION_CHARACTERS else f"{text[: DESCRIPTION_CHARACTERS - 3]}..."
    )


def _arns(scope: Scope, physical: Sequence[str]) -> list[str]:
    return [
        scope.arn("lambda", f"function:{name}{qualifier}")
        for name in physical
        for qualifier in ("", ":*")
    ]
