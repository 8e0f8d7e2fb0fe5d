"""IAM refuses an eleventh managed policy on a role, user or group, and a managed policy too long.

AWS behaviour (IAM user guide, "IAM and AWS STS quotas",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): "Managed policies
attached to an IAM role: 10", "… to an IAM user: 10", "… to an IAM group: 10" (the role and user
quotas can be raised to 20), counting the policies already attached; AttachRolePolicy,
AttachUserPolicy and AttachGroupPolicy past it fail with `LimitExceeded` (HTTP 409) "Cannot exceed
quota for PoliciesPerRole: 10" (`PoliciesPerUser`, `PoliciesPerGroup`); attaching a policy that is
already attached changes nothing and is no error. "The size of each managed policy cannot exceed
6,144 characters. IAM doesn't count white space when calculating the size of a policy against
this limit": CreatePolicy and CreatePolicyVersion past it fail with `LimitExceeded` (409) "Cannot
exceed quota for PolicySize: 6144". A refused request changes nothing. moto 5.2.5 reports these
quotas in GetAccountSummary but enforces none of them.
"""

from __future__ import annotations

import json
from typing import Any

from twophase.local.extensions._cfn_common import patch

ATTACHED_PER_ENTITY = 10
POLICY_SIZE = 6144
_QUOTA_NAMES = {"role": "PoliciesPerRole", "user": "PoliciesPerUser", "group": "PoliciesPerGroup"}


def limit_exceeded(quota: str, value: int) -> Exception:
    from moto.iam.exceptions import LimitExceededException

    return LimitExceededException(f"Cannot exceed quota for {quota}: {value}")


def policy_size(document: str) -> int:
    """Characters of a policy document without the white space between its JSON tokens (0 when
    it is not JSON: IAM refuses that as malformed, and moto's validator says so)."""
    try:
        parsed = json.loads(document)
    except ValueError:
        return 0
    return len(json.dumps(parsed, separators=(",", ":"), ensure_ascii=False))


def check_policy_size(document: str) -> None:
    if policy_size(document) > POLICY_SIZE:
        raise limit_exceeded("PolicySize", POLICY_SIZE)


def entity(backend: Any, kind: str, name: str) -> Any:
    """The role, user or group called `name`, or None (the original call then says NoSuchEntity)."""
    from moto.iam.exceptions import NotFoundException

    try:
        return getattr(backend, f"get_{kind}")(name)
    except NotFoundException:
        return None


def check_room(
    target: Any, kind: str, adding: set[str], removing: frozenset[str] | set[str] = frozenset()
) -> None:
    """Refuse attachments that would leave `target` with more managed policies than its quota."""
    attached = set(target.managed_policies)
    if not adding - attached:
        return
    if len((attached - removing) | adding) > ATTACHED_PER_ENTITY:
        raise limit_exceeded(_QUOTA_NAMES[kind], ATTACHED_PER_ENTITY)


def _attaching(kind: str) -> Any:
    def build(original: Any) -> Any:
        def attach(self: Any, policy_arn: str, *args: Any, **kwargs: Any) -> None:
            name = args[0] if args else kwargs[f"{kind}_name"]  # moto's own callers name it
            target = entity(self, kind, name)
            if target is not None and policy_arn in self.managed_policies:
                check_room(target, kind, {policy_arn})
            original(self, policy_arn, *args, **kwargs)

        return attach

    return build


def _create_policy(original: Any) -> Any:
    def create_policy(
        self: Any, description: str, path: str, policy_document: str, *a: Any, **kw: Any
    ) -> Any:
        check_policy_size(policy_document)
        return original(self, description, path, policy_document, *a, **kw)

    return create_policy


def _create_policy_version(original: Any) -> Any:
    def create_policy_version(
        self: Any, policy_arn: str, policy_document: str, *a: Any, **kw: Any
    ) -> Any:
        check_policy_size(policy_document)
        return original(self, policy_arn, policy_document, *a, **kw)

    return create_policy_version


def install() -> None:
    from moto.iam.models import IAMBackend

    for kind in _QUOTA_NAMES:
        patch(IAMBackend, f"attach_{kind}_policy", _attaching(kind))
    patch(IAMBackend, "create_policy", _create_policy)
    patch(IAMBackend, "create_policy_version", _create_policy_version)
