"""CloudFormation keeps a stack role's policies as the template says, and removes them on delete.

AWS behaviour (CloudFormation user guide, aws-resource-iam-role): at creation the role gets its
inline `Policies` and its `ManagedPolicyArns` attached; `AssumeRolePolicyDocument`, `Description`,
`MaxSessionDuration`, `Policies` and `ManagedPolicyArns` are updated in place ("Update requires: No
interruption"): new and changed inline policies are put, dropped ones deleted, managed policies
attached and detached to match. Deleting the resource detaches its `ManagedPolicyArns` and deletes
its inline policies before DeleteRole; a policy attached out of band stays, and IAM then refuses
with `DeleteConflict` "Cannot delete entity, must detach all policies first." moto 5.2.5 ignores
`ManagedPolicyArns`, and on update ignores every property but `Description`.
"""

from __future__ import annotations

import json
from typing import Any

from twophase.local.extensions._cfn_common import patch, set_attr
from twophase.local.extensions.cfn_iam_managed_policy import iam_backend

_PROPS = "_twophase_props"


def _inline(props: dict[str, Any]) -> dict[str, Any]:
    return {p["PolicyName"]: p["PolicyDocument"] for p in props.get("Policies") or []}


def _sync_managed(backend: Any, role: Any, old: dict[str, Any], new: dict[str, Any]) -> None:
    before = set(old.get("ManagedPolicyArns") or [])
    after = set(new.get("ManagedPolicyArns") or [])
    for arn in sorted(before - after):
        if arn in role.managed_policies:
            backend.detach_role_policy(arn, role.name)
    for arn in sorted(after - before):
        backend.attach_role_policy(arn, role.name)


def _sync_inline(role: Any, old: dict[str, Any], new: dict[str, Any]) -> None:
    before, after = _inline(old), _inline(new)
    for name in sorted(set(before) - set(after)):
        if name in role.policies:
            role.delete_policy(name)
    for name, document in after.items():
        if before.get(name) != document:
            role.put_policy(name, document)


def _create(original: Any) -> Any:
    def create_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        role = original.__func__(cls, resource_name, cloudformation_json, account_id, region_name)
        props = cloudformation_json.get("Properties", {})
        _sync_managed(iam_backend(account_id, region_name), role, {}, props)
        role.__dict__[_PROPS] = props
        return role

    return classmethod(create_from_cloudformation_json)


def _update(_original: Any) -> Any:
    def update_from_cloudformation_json(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        role, props = original_resource, cloudformation_json["Properties"]
        old = role.__dict__.get(_PROPS, {})
        backend = iam_backend(account_id, region_name)
        trust = props.get("AssumeRolePolicyDocument")
        if trust != old.get("AssumeRolePolicyDocument"):
            text = trust if isinstance(trust, str) else json.dumps(trust)
            backend.update_assume_role_policy(role.name, text)
        role.description = props.get("Description", "")
        role.max_session_duration = props.get("MaxSessionDuration", 3600)
        _sync_inline(role, old, props)
        _sync_managed(backend, role, old, props)
        role.__dict__[_PROPS] = props
        return role

    return classmethod(update_from_cloudformation_json)


def _delete(self: Any, account_id: str, region_name: str) -> None:
    from moto.iam.models import Role

    backend = iam_backend(account_id, region_name)
    if self.name not in {r.name for r in backend.roles.values()}:
        return  # deleted out of band
    _sync_managed(backend, self, self.__dict__.get(_PROPS, {}), {})
    Role.delete_from_cloudformation_json(self.name, {"Properties": {}}, account_id, region_name)


def install() -> None:
    from moto.iam.models import Role

    patch(Role, "create_from_cloudformation_json", _create)
    patch(Role, "update_from_cloudformation_json", _update)
    set_attr(Role, "delete", _delete)
