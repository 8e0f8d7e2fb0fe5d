"""IAM refuses to change the policies of a role that only AWS may modify.

AWS behaviour (IAM Identity Center user guide, "Referencing permission sets in resource policies,
Amazon EKS, and AWS KMS",
https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html: the
roles Identity Center creates for a permission set are named `AWSReservedSSO_<set>_<suffix>`, live
under the path `/aws-reserved/sso.amazonaws.com/` and can be changed only through the permission
set; IAM user guide, "Using service-linked roles",
https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html: a
service-linked role, under `/aws-service-role/`, is predefined by its service and its permissions
cannot be edited in IAM): AttachRolePolicy, DetachRolePolicy, PutRolePolicy and DeleteRolePolicy
on such a role fail with `UnmodifiableEntity` (HTTP 400) "Cannot perform the operation on the
protected role 'NAME' - this role is only modifiable by AWS", and nothing changes. moto 5.2.5
treats every role as modifiable.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import patch

PROTECTED_PATHS = ("/aws-reserved/", "/aws-service-role/")
PROTECTED_PREFIX = "AWSReservedSSO_"


def is_protected(role: Any) -> bool:
    path = str(getattr(role, "path", "") or "/")
    return path.startswith(PROTECTED_PATHS) or str(role.name).startswith(PROTECTED_PREFIX)


def unmodifiable(role_name: str) -> Exception:
    from moto.iam.exceptions import IAMException

    return IAMException(
        "UnmodifiableEntity",
        f"Cannot perform the operation on the protected role '{role_name}' - "
        "this role is only modifiable by AWS",
    )


def check_modifiable(backend: Any, role_name: str) -> None:
    """Refuse a change to a protected role; an unknown role is left to the original call."""
    from moto.iam.exceptions import NotFoundException

    try:
        role = backend.get_role(role_name)
    except NotFoundException:
        return
    if is_protected(role):
        raise unmodifiable(role.name)


def _attachment(original: Any) -> Any:
    def change(self: Any, policy_arn: str, role_name: str) -> None:
        check_modifiable(self, role_name)
        original(self, policy_arn, role_name)

    return change


def _inline(original: Any) -> Any:
    def change(self: Any, role_name: str, *args: Any, **kwargs: Any) -> None:
        check_modifiable(self, role_name)
        original(self, role_name, *args, **kwargs)

    return change


def install() -> None:
    from moto.iam.models import IAMBackend

    for action in ("attach_role_policy", "detach_role_policy"):
        patch(IAMBackend, action, _attachment)
    for action in ("put_role_policy", "delete_role_policy"):
        patch(IAMBackend, action, _inline)
