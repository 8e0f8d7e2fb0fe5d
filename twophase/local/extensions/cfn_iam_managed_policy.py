"""CloudFormation updates and deletes the `AWS::IAM::ManagedPolicy` resources it created.

AWS behaviour (CloudFormation user guide, aws-resource-iam-managedpolicy): a `PolicyDocument` change
creates a new default policy version (deleting the oldest non-default one when the policy already
has five), a `Roles`/`Users`/`Groups` change attaches and detaches the policy, and a
`ManagedPolicyName`, `Path` or `Description` change replaces the policy ("The policy description
is immutable"). Deleting the resource (stack delete, a failed create's rollback, removal in an
update) detaches the policy from every role, user and group, deletes its versions and the policy,
so a stack created again with the same `ManagedPolicyName` succeeds. moto 5.2.5 never deletes the
policy (the name stays taken: "A policy called X already exists"), ignores updates and leaves the
stack without the resource after one.
"""

from __future__ import annotations

import json
from typing import Any

from twophase.local.extensions._cfn_common import defer_cleanup, patch, set_attr

REPLACING = ("ManagedPolicyName", "Path", "Description")
_ATTACHMENTS = (
    ("Roles", "roles", "role"),
    ("Users", "users", "user"),
    ("Groups", "groups", "group"),
)


def iam_backend(account_id: str, region_name: str) -> Any:
    from moto.iam.models import iam_backends
    from moto.utilities.utils import get_partition

    return iam_backends[account_id][get_partition(region_name)]


def _document(policy: Any) -> Any:
    default = next(v for v in policy.versions if v.is_default)
    return json.loads(default.document)


def _set_document(backend: Any, policy: Any, document: Any) -> None:
    if _document(policy) == document:
        return
    if len(policy.versions) >= 5:
        oldest = next(v for v in policy.versions if not v.is_default)
        backend.delete_policy_version(policy.arn, oldest.version_id)
    backend.create_policy_version(policy.arn, json.dumps(document), set_as_default=True)


def _attach(backend: Any, policy: Any, old: dict[str, Any], new: dict[str, Any]) -> None:
    for prop, _, kind in _ATTACHMENTS:
        before, after = set(old.get(prop) or []), set(new.get(prop) or [])
        for name in sorted(before - after):
            getattr(backend, f"detach_{kind}_policy")(policy.arn, name)
        for name in sorted(after - before):
            getattr(backend, f"attach_{kind}_policy")(policy.arn, name)


def delete_policy(policy: Any, account_id: str, region_name: str) -> None:
    """Detach `policy` from everything, then delete its versions and itself."""
    from moto.iam.exceptions import NotFoundException

    backend = iam_backend(account_id, region_name)
    if policy.arn not in backend.managed_policies:
        return  # deleted out of band
    for _, collection, kind in _ATTACHMENTS:
        for entity in list(getattr(backend, collection).values()):
            if policy.arn in entity.managed_policies:
                getattr(backend, f"detach_{kind}_policy")(policy.arn, entity.name)
    for version in [v for v in policy.versions if not v.is_default]:
        backend.delete_policy_version(policy.arn, version.version_id)
    try:
        backend.delete_policy(policy.arn)
    except NotFoundException:
        return


def _update(_original: Any) -> Any:
    def update_from_cloudformation_json(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        props = cloudformation_json["Properties"]
        old = original_resource.__dict__.get("_twophase_props", {})
        if any(old.get(p) != props.get(p) for p in REPLACING):
            replacement = cls.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )
            defer_cleanup(
                original_resource,
                lambda: delete_policy(original_resource, account_id, region_name),
            )
            return replacement
        backend = iam_backend(account_id, region_name)
        _set_document(backend, original_resource, props.get("PolicyDocument"))
        _attach(backend, original_resource, old, props)
        original_resource.__dict__["_twophase_props"] = props
        return original_resource

    return classmethod(update_from_cloudformation_json)


def _create(original: Any) -> Any:
    def create_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        policy = original.__func__(cls, resource_name, cloudformation_json, account_id, region_name)
        policy.__dict__["_twophase_props"] = cloudformation_json.get("Properties", {})
        return policy

    return classmethod(create_from_cloudformation_json)


def _delete(self: Any, account_id: str, region_name: str) -> None:
    delete_policy(self, account_id, region_name)


def install() -> None:
    from moto.iam.models import ManagedPolicy

    patch(ManagedPolicy, "create_from_cloudformation_json", _create)
    patch(ManagedPolicy, "update_from_cloudformation_json", _update)
    set_attr(ManagedPolicy, "delete", _delete)
