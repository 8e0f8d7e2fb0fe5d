"""IAM refuses an eleventh managed policy on a role, user or group, and a managed policy too long.

AWS behaviour (IAM user guide, "IAM and AWS STS quotas",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html: "Managed policies
attached to an IAM role: 10", to an IAM user: 10, to an IAM group: 10; "The size of each managed
policy cannot exceed 6,144 characters. IAM doesn't count white space when calculating the size of
a policy against this limit."): the attachment past the quota, counting those already attached,
fails with `LimitExceeded` (HTTP 409) "Cannot exceed quota for PoliciesPerRole: 10"
(`PoliciesPerUser`, `PoliciesPerGroup`), and a policy document past the size with "Cannot exceed
quota for PolicySize: 6144"; nothing is attached or created.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle

ACCOUNT = "123456789012"
TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
)


def document(padding: int = 0) -> dict[str, Any]:
    """A policy whose compact JSON grows by one character per unit of `padding`."""
    resource = "arn:aws:s3:::bucket/" + "x" * padding
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": resource}],
    }


def compact(doc: dict[str, Any]) -> int:
    return len(json.dumps(doc, separators=(",", ":")))


@pytest.fixture
def iam(local_aws: LocalAwsHandle) -> Any:
    return local_aws.clients().client("iam")


def _policies(iam: Any, count: int) -> list[str]:
    return [
        iam.create_policy(PolicyName=f"p{i}", PolicyDocument=json.dumps(document()))["Policy"][
            "Arn"
        ]
        for i in range(count)
    ]


KINDS = {
    "role": ("PoliciesPerRole", "RoleName"),
    "user": ("PoliciesPerUser", "UserName"),
    "group": ("PoliciesPerGroup", "GroupName"),
}


def _create(iam: Any, kind: str) -> dict[str, str]:
    if kind == "role":
        iam.create_role(RoleName="team", AssumeRolePolicyDocument=TRUST)
    else:
        getattr(iam, f"create_{kind}")(**{KINDS[kind][1]: "team"})
    return {KINDS[kind][1]: "team"}


def _attached(iam: Any, kind: str, who: dict[str, str]) -> list[str]:
    found = getattr(iam, f"list_attached_{kind}_policies")(**who)["AttachedPolicies"]
    return sorted(p["PolicyArn"] for p in found)


@pytest.mark.parametrize("kind", list(KINDS))
def test_the_eleventh_managed_policy_is_refused(iam: Any, kind: str) -> None:
    who = _create(iam, kind)
    arns = _policies(iam, 11)
    attach = getattr(iam, f"attach_{kind}_policy")
    for arn in arns[:10]:
        attach(PolicyArn=arn, **who)

    with pytest.raises(ClientError) as info:
        attach(PolicyArn=arns[10], **who)

    assert info.value.response["Error"]["Code"] == "LimitExceeded"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert (
        info.value.response["Error"]["Message"] == f"Cannot exceed quota for {KINDS[kind][0]}: 10"
    )
    assert _attached(iam, kind, who) == sorted(arns[:10])


def test_attaching_an_attached_policy_at_the_quota_is_no_error(iam: Any) -> None:
    who = _create(iam, "role")
    arns = _policies(iam, 10)
    for arn in arns:
        iam.attach_role_policy(PolicyArn=arn, **who)

    iam.attach_role_policy(PolicyArn=arns[0], **who)

    assert _attached(iam, "role", who) == sorted(arns)


def test_a_detached_policy_frees_its_place(iam: Any) -> None:
    who = _create(iam, "role")
    arns = _policies(iam, 11)
    for arn in arns[:10]:
        iam.attach_role_policy(PolicyArn=arn, **who)

    iam.detach_role_policy(PolicyArn=arns[0], **who)
    iam.attach_role_policy(PolicyArn=arns[10], **who)

    assert _attached(iam, "role", who) == sorted(arns[1:])


def test_a_policy_over_6144_characters_is_refused_and_not_created(iam: Any) -> None:
    too_long = document(6145 - compact(document()))
    assert compact(too_long) == 6145

    with pytest.raises(ClientError) as info:
        iam.create_policy(PolicyName="big", PolicyDocument=json.dumps(too_long))

    assert info.value.response["Error"]["Code"] == "LimitExceeded"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409
    assert info.value.response["Error"]["Message"] == "Cannot exceed quota for PolicySize: 6144"
    assert iam.list_policies(Scope="Local")["Policies"] == []


def test_white_space_is_not_counted(iam: Any) -> None:
    at_limit = document(6144 - compact(document()))
    pretty = json.dumps(at_limit, indent=8)
    assert len(pretty) > 6144

    iam.create_policy(PolicyName="big", PolicyDocument=pretty)

    assert [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]] == ["big"]


def test_a_new_version_over_6144_characters_is_refused(iam: Any) -> None:
    arn = _policies(iam, 1)[0]
    too_long = document(6145 - compact(document()))

    with pytest.raises(ClientError) as info:
        iam.create_policy_version(
            PolicyArn=arn, PolicyDocument=json.dumps(too_long), SetAsDefault=True
        )

    assert info.value.response["Error"]["Code"] == "LimitExceeded"
    assert info.value.response["Error"]["Message"] == "Cannot exceed quota for PolicySize: 6144"
    versions = iam.list_policy_versions(PolicyArn=arn)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v1", True)]
