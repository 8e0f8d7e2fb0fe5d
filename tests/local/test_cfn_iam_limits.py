"""A stack whose IAM resource IAM refuses fails that resource, rolls back and leaves IAM as it was.

AWS behaviour (CloudFormation user guide, AWS::IAM::ManagedPolicy,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-managedpolicy.html,
and AWS::IAM::Role, …/aws-resource-iam-role.html; IAM user guide, "IAM and AWS STS quotas",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html; "Stack status codes"):
CloudFormation applies these resources through IAM, so a `Roles` entry that would give a role an
eleventh managed policy, a `PolicyDocument` over 6,144 characters, a protected role or a role with
eleven `ManagedPolicyArns` fails the resource with IAM's message (`CREATE_FAILED` /
`UPDATE_FAILED`), the stack rolls back (`ROLLBACK_COMPLETE` / `UPDATE_ROLLBACK_COMPLETE`) and every
principal keeps the policies it had.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, role_resource
from tests.local.test_iam_protected_roles import SSO_PATH, SSO_ROLE
from tests.local.test_iam_quotas import TRUST, compact, document

ACCOUNT = "123456789012"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/deployer"


@pytest.fixture
def aws(local_aws: LocalAwsHandle) -> dict[str, Any]:
    clients = local_aws.clients()
    return {n: clients.client(n) for n in ("cloudformation", "iam")}


def _full_role(iam: Any, name: str) -> list[str]:
    """Role `name` with ten managed policies attached out of band (their ARNs)."""
    iam.create_role(RoleName=name, AssumeRolePolicyDocument=TRUST)
    arns = []
    for i in range(10):
        arn = iam.create_policy(PolicyName=f"{name}-{i}", PolicyDocument=json.dumps(document()))
        iam.attach_role_policy(RoleName=name, PolicyArn=arn["Policy"]["Arn"])
        arns.append(arn["Policy"]["Arn"])
    return sorted(arns)


def _attached(iam: Any, role: str) -> list[str]:
    found = iam.list_attached_role_policies(RoleName=role)["AttachedPolicies"]
    return sorted(p["PolicyArn"] for p in found)


def _policy(roles: list[str], doc: dict[str, Any] | None = None) -> dict[str, Any]:
    properties = {
        "ManagedPolicyName": "deployer",
        "PolicyDocument": doc or document(),
        "Roles": roles,
    }
    return {"Resources": {"Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": properties}}}


def _failure(cfn: Any, stack: str, status: str) -> list[tuple[str, str]]:
    return [
        (e["LogicalResourceId"], e.get("ResourceStatusReason", ""))
        for e in cfn.describe_stack_events(StackName=stack)["StackEvents"]
        if e["ResourceStatus"] == status
    ]


def _local_policies(iam: Any) -> list[str]:
    return sorted(p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"])


def test_a_policy_for_a_full_role_fails_and_rolls_back(aws: dict[str, Any]) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    before = _full_role(iam, "team")

    cfn.create_stack(StackName="s", TemplateBody=body(_policy(["team"])))

    assert final_status(cfn, "s") == "ROLLBACK_COMPLETE"
    assert _failure(cfn, "s", "CREATE_FAILED") == [
        ("Policy", "Cannot exceed quota for PoliciesPerRole: 10")
    ]
    assert _attached(iam, "team") == before
    assert "deployer" not in _local_policies(iam)


def test_a_policy_for_a_protected_role_fails_and_rolls_back(aws: dict[str, Any]) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    iam.create_role(RoleName=SSO_ROLE, Path=SSO_PATH, AssumeRolePolicyDocument=TRUST)

    cfn.create_stack(StackName="s", TemplateBody=body(_policy([SSO_ROLE])))

    assert final_status(cfn, "s") == "ROLLBACK_COMPLETE"
    assert _failure(cfn, "s", "CREATE_FAILED") == [
        (
            "Policy",
            f"Cannot perform the operation on the protected role '{SSO_ROLE}' - "
            "this role is only modifiable by AWS",
        )
    ]
    assert _local_policies(iam) == []


def test_a_policy_document_over_6144_characters_fails_and_rolls_back(aws: dict[str, Any]) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    iam.create_role(RoleName="team", AssumeRolePolicyDocument=TRUST)
    too_long = document(6145 - compact(document()))

    cfn.create_stack(StackName="s", TemplateBody=body(_policy(["team"], too_long)))

    assert final_status(cfn, "s") == "ROLLBACK_COMPLETE"
    assert _failure(cfn, "s", "CREATE_FAILED") == [
        ("Policy", "Cannot exceed quota for PolicySize: 6144")
    ]
    assert (_local_policies(iam), _attached(iam, "team")) == ([], [])


def test_a_role_with_eleven_managed_policy_arns_fails_and_is_not_created(
    aws: dict[str, Any],
) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    arns = [
        iam.create_policy(PolicyName=f"p{i}", PolicyDocument=json.dumps(document()))["Policy"][
            "Arn"
        ]
        for i in range(11)
    ]
    role = copy.deepcopy(role_resource())
    role["Properties"].update(RoleName="worker", ManagedPolicyArns=arns)

    cfn.create_stack(StackName="s", TemplateBody=body({"Resources": {"Role": role}}))

    assert final_status(cfn, "s") == "ROLLBACK_COMPLETE"
    assert _failure(cfn, "s", "CREATE_FAILED") == [
        ("Role", "Cannot exceed quota for PoliciesPerRole: 10")
    ]
    assert "worker" not in [r["RoleName"] for r in iam.list_roles()["Roles"]]


def test_an_update_that_attaches_to_a_full_role_rolls_back_every_attachment(
    aws: dict[str, Any],
) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    full = _full_role(iam, "full")
    iam.create_role(RoleName="team", AssumeRolePolicyDocument=TRUST)
    cfn.create_stack(StackName="s", TemplateBody=body(_policy(["team"])))

    cfn.update_stack(StackName="s", TemplateBody=body(_policy(["team", "full"])))

    assert final_status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    assert _failure(cfn, "s", "UPDATE_FAILED") == [
        ("Policy", "Cannot exceed quota for PoliciesPerRole: 10")
    ]
    assert (_attached(iam, "team"), _attached(iam, "full")) == ([POLICY_ARN], full)


def test_an_update_to_a_document_over_6144_characters_keeps_the_old_version(
    aws: dict[str, Any],
) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    iam.create_role(RoleName="team", AssumeRolePolicyDocument=TRUST)
    cfn.create_stack(StackName="s", TemplateBody=body(_policy(["team"])))
    too_long = document(6145 - compact(document()))

    cfn.update_stack(StackName="s", TemplateBody=body(_policy(["team"], too_long)))

    assert final_status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    versions = iam.list_policy_versions(PolicyArn=POLICY_ARN)["Versions"]
    assert [(v["VersionId"], v["IsDefaultVersion"]) for v in versions] == [("v1", True)]
    assert _attached(iam, "team") == [POLICY_ARN]
