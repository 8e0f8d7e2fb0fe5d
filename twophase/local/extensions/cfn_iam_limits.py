"""A stack's IAM resource that IAM would refuse fails before it changes anything, and rolls back.

AWS behaviour (CloudFormation user guide, AWS::IAM::ManagedPolicy and AWS::IAM::Role,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-managedpolicy.html
and …/aws-resource-iam-role.html; "IAM and AWS STS quotas"): CloudFormation creates and updates
these resources through IAM, so IAM's refusals (see `iam_quotas`, `iam_protected_roles`) fail the
resource with IAM's message as the reason: a `Roles`/`Users`/`Groups` entry that would take a
principal past 10 managed policies ("Cannot exceed quota for PoliciesPerRole: 10"), a
`PolicyDocument` over 6,144 characters ("Cannot exceed quota for PolicySize: 6144"), a protected
role ("Cannot perform the operation on the protected role …"), a role with more than 10
`ManagedPolicyArns`. The stack then rolls back (`cfn_rollback`) and the failed resource leaves
nothing behind. Here each is checked before the resource is created or changed, so a refusal never
leaves a half-made policy or role that the rollback does not know about.
"""

from __future__ import annotations

import json
from typing import Any

from twophase.local.extensions import cfn_iam_managed_policy, cfn_iam_role
from twophase.local.extensions._cfn_common import (
    check_before_create,
    check_before_update,
    patch,
)
from twophase.local.extensions.cfn_iam_managed_policy import REPLACING, iam_backend
from twophase.local.extensions.iam_protected_roles import check_modifiable
from twophase.local.extensions.iam_quotas import (
    ATTACHED_PER_ENTITY,
    check_policy_size,
    check_room,
    entity,
    limit_exceeded,
)

_KINDS = (("Roles", "role"), ("Users", "user"), ("Groups", "group"))
_PROPS = "_twophase_props"
_NEW = "(the policy being created)"


def _names(props: dict[str, Any], prop: str) -> set[str]:
    return {str(n) for n in props.get(prop) or []}


def check_attachments(
    backend: Any, policy_arn: str, old: dict[str, Any], new: dict[str, Any]
) -> None:
    """What IAM would refuse when the policy's `Roles`/`Users`/`Groups` go from `old` to `new`."""
    for prop, kind in _KINDS:
        before, after = _names(old, prop), _names(new, prop)
        if kind == "role":
            for name in sorted(before ^ after):
                check_modifiable(backend, name)
        for name in sorted(after - before):
            target = entity(backend, kind, name)
            if target is not None:
                check_room(target, kind, {policy_arn})


def _policy_create(props: dict[str, Any], account_id: str, region_name: str) -> None:
    check_policy_size(json.dumps(props.get("PolicyDocument")))
    check_attachments(iam_backend(account_id, region_name), _NEW, {}, props)


def _policy_update(old: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    before = old.__dict__.get(_PROPS, {})
    if all(before.get(p) == props.get(p) for p in REPLACING):  # a replacement is a create
        check_policy_size(json.dumps(props.get("PolicyDocument")))
        check_attachments(iam_backend(account_id, region_name), old.arn, before, props)


def _arns(props: dict[str, Any]) -> set[str]:
    return {str(a) for a in props.get("ManagedPolicyArns") or []}


def _role_create(props: dict[str, Any], account_id: str, region_name: str) -> None:
    if len(_arns(props)) > ATTACHED_PER_ENTITY:
        raise limit_exceeded("PoliciesPerRole", ATTACHED_PER_ENTITY)


def _role_update(old: Any, props: dict[str, Any], account_id: str, region_name: str) -> None:
    before = _arns(old.__dict__.get(_PROPS, {}))
    after = _arns(props)
    check_room(old, "role", after - before, before - after)


def install() -> None:
    from moto.iam.models import ManagedPolicy, Role

    # these checks must run before the lifecycle those extensions give the two resources
    cfn_iam_managed_policy.install()
    cfn_iam_role.install()
    patch(ManagedPolicy, "create_from_cloudformation_json", check_before_create(_policy_create))
    patch(ManagedPolicy, "update_from_cloudformation_json", check_before_update(_policy_update))
    patch(Role, "create_from_cloudformation_json", check_before_create(_role_create))
    patch(Role, "update_from_cloudformation_json", check_before_update(_role_update))
