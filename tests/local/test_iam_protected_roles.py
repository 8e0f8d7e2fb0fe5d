"""IAM refuses to change the policies of an Identity Center role or a service-linked role.

AWS behaviour (IAM Identity Center user guide, "Referencing permission sets in resource policies,
Amazon EKS, and AWS KMS",
https://docs.aws.amazon.com/singlesignon/latest/userguide/referencingpermissionsets.html: the
roles of a permission set are `AWSReservedSSO_…` under `/aws-reserved/sso.amazonaws.com/` and are
changed only through the permission set; IAM user guide, "Using service-linked roles",
https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html: their permissions
cannot be edited in IAM): AttachRolePolicy, DetachRolePolicy, PutRolePolicy and DeleteRolePolicy
fail with `UnmodifiableEntity` (HTTP 400) "Cannot perform the operation on the protected role
'NAME' - this role is only modifiable by AWS", and the role keeps its policies.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError
from moto.iam.models import iam_backends

from tests.conftest import LocalAwsHandle
from tests.local.test_iam_quotas import TRUST, document

SSO_ROLE = "AWSReservedSSO_Developer_0123456789abcdef"
SSO_PATH = "/aws-reserved/sso.amazonaws.com/"


@pytest.fixture
def iam(local_aws: LocalAwsHandle) -> Any:
    client = local_aws.clients().client("iam")
    client.create_policy(PolicyName="deployer", PolicyDocument=json.dumps(document()))
    return client


ARN = "arn:aws:iam::123456789012:policy/deployer"


def _refused(role: str, call: Any, **kwargs: Any) -> None:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    assert info.value.response["Error"]["Code"] == "UnmodifiableEntity"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert info.value.response["Error"]["Message"] == (
        f"Cannot perform the operation on the protected role '{role}' - "
        "this role is only modifiable by AWS"
    )


@pytest.mark.parametrize(
    ("name", "path"),
    [(SSO_ROLE, SSO_PATH), ("AWSReservedSSO_Admin_1", "/"), ("sso-role", SSO_PATH)],
)
def test_attaching_to_an_identity_center_role_is_refused(iam: Any, name: str, path: str) -> None:
    iam.create_role(RoleName=name, Path=path, AssumeRolePolicyDocument=TRUST)

    _refused(name, iam.attach_role_policy, RoleName=name, PolicyArn=ARN)

    assert iam.list_attached_role_policies(RoleName=name)["AttachedPolicies"] == []


def test_a_service_linked_role_is_protected_too(iam: Any) -> None:
    role = iam.create_service_linked_role(AWSServiceName="elasticbeanstalk.amazonaws.com")["Role"]

    _refused(role["RoleName"], iam.attach_role_policy, RoleName=role["RoleName"], PolicyArn=ARN)


def test_detaching_and_inline_policies_are_refused_and_the_role_keeps_its_policies(
    iam: Any,
) -> None:
    iam.create_role(RoleName=SSO_ROLE, Path=SSO_PATH, AssumeRolePolicyDocument=TRUST)
    backend = iam_backends["123456789012"]["aws"]  # as Identity Center provisions it
    backend.managed_policies[ARN].attach_to(backend.get_role(SSO_ROLE))
    backend.get_role(SSO_ROLE).put_policy("AwsSSOInlinePolicy", json.dumps(document()))

    _refused(SSO_ROLE, iam.detach_role_policy, RoleName=SSO_ROLE, PolicyArn=ARN)
    _refused(
        SSO_ROLE,
        iam.put_role_policy,
        RoleName=SSO_ROLE,
        PolicyName="extra",
        PolicyDocument=json.dumps(document()),
    )
    _refused(SSO_ROLE, iam.delete_role_policy, RoleName=SSO_ROLE, PolicyName="AwsSSOInlinePolicy")

    attached = iam.list_attached_role_policies(RoleName=SSO_ROLE)["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [ARN]
    assert iam.list_role_policies(RoleName=SSO_ROLE)["PolicyNames"] == ["AwsSSOInlinePolicy"]


def test_an_ordinary_role_under_a_custom_path_takes_policies(iam: Any) -> None:
    iam.create_role(RoleName="team", Path="/teams/", AssumeRolePolicyDocument=TRUST)

    iam.attach_role_policy(RoleName="team", PolicyArn=ARN)

    attached = iam.list_attached_role_policies(RoleName="team")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [ARN]
