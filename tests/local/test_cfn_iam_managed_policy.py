"""Managed policies and roles a stack creates go with the stack; a policy's update is applied.

AWS behaviour (CloudFormation user guide, AWS::IAM::ManagedPolicy,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-managedpolicy.html:
`PolicyDocument`, `Roles`, `Users`, `Groups` "Update requires: No interruption";
`ManagedPolicyName`, `Path`, `Description` "Update requires: Replacement", "The policy description
is immutable"; "Delete a stack": the stack's resources are deleted with it): deleting the stack, or
the rollback of a failed create, detaches and deletes the policy and deletes the role, so the
same `ManagedPolicyName` can be created again; a new document becomes the policy's default
version and attachments follow the template; a Description change of a named policy is a
replacement of a custom-named resource and fails the update.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, role_resource

ACCOUNT = "123456789012"
POLICY_ARN = f"arn:aws:iam::{ACCOUNT}:policy/deployer"


def _document(action: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": action, "Resource": "*"}],
    }


def _template(action: str = "lambda:GetFunction", **policy: Any) -> dict[str, Any]:
    role = copy.deepcopy(role_resource())
    role["Properties"]["RoleName"] = "worker"
    properties = {
        "ManagedPolicyName": "deployer",
        "Description": "push rights",
        "PolicyDocument": _document(action),
        "Roles": [{"Ref": "Role"}],
        **policy,
    }
    return {
        "Resources": {
            "Role": role,
            "Policy": {"Type": "AWS::IAM::ManagedPolicy", "Properties": properties},
        }
    }


BROKEN = {  # S3 code that does not exist: Lambda refuses to create the function
    "Type": "AWS::Lambda::Function",
    "DependsOn": "Policy",
    "Properties": {
        "FunctionName": "broken",
        "Runtime": "python3.12",
        "Handler": "index.handler",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Code": {"S3Bucket": "no-such-bucket", "S3Key": "missing.zip"},
    },
}


@pytest.fixture
def aws(local_aws: LocalAwsHandle) -> dict[str, Any]:
    clients = local_aws.clients()
    return {n: clients.client(n) for n in ("cloudformation", "iam")}


def _policies(iam: Any) -> list[str]:
    return [p["PolicyName"] for p in iam.list_policies(Scope="Local")["Policies"]]


def _roles(iam: Any) -> list[str]:
    return [r["RoleName"] for r in iam.list_roles()["Roles"]]


def test_deleting_the_stack_deletes_its_policy_and_role(aws: dict[str, Any]) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    cfn.create_stack(StackName="s", TemplateBody=body(_template()))
    assert (_policies(iam), _roles(iam)) == (["deployer"], ["worker"])

    cfn.delete_stack(StackName="s")

    assert (_policies(iam), _roles(iam)) == ([], [])
    cfn.create_stack(StackName="s", TemplateBody=body(_template()))
    assert final_status(cfn, "s") == "CREATE_COMPLETE"


def test_a_failed_create_rolls_its_policy_back_so_the_name_is_free(aws: dict[str, Any]) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    broken = _template()
    broken["Resources"]["Broken"] = BROKEN

    cfn.create_stack(StackName="s", TemplateBody=body(broken))

    assert final_status(cfn, "s") == "ROLLBACK_COMPLETE"
    assert (_policies(iam), _roles(iam)) == ([], [])
    cfn.create_stack(StackName="other", TemplateBody=body(_template()))
    assert final_status(cfn, "other") == "CREATE_COMPLETE"


def test_a_rolled_back_stack_deleted_and_created_again_succeeds(aws: dict[str, Any]) -> None:
    cfn = aws["cloudformation"]
    broken = _template()
    broken["Resources"]["Broken"] = BROKEN
    cfn.create_stack(StackName="s", TemplateBody=body(broken))

    cfn.delete_stack(StackName="s")
    cfn.create_stack(StackName="s", TemplateBody=body(_template()))

    assert final_status(cfn, "s") == "CREATE_COMPLETE"


def test_a_new_document_becomes_the_default_version_and_attachments_follow(
    aws: dict[str, Any],
) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    iam.create_user(UserName="ana")
    cfn.create_stack(StackName="s", TemplateBody=body(_template()))

    cfn.update_stack(
        StackName="s",
        TemplateBody=body(_template("lambda:UpdateFunctionCode", Roles=[], Users=["ana"])),
    )

    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    policy = iam.get_policy(PolicyArn=POLICY_ARN)["Policy"]
    version = iam.get_policy_version(PolicyArn=POLICY_ARN, VersionId=policy["DefaultVersionId"])
    document = version["PolicyVersion"]["Document"]
    document = json.loads(document) if isinstance(document, str) else document
    assert document == _document("lambda:UpdateFunctionCode")
    assert iam.list_attached_role_policies(RoleName="worker")["AttachedPolicies"] == []
    attached = iam.list_attached_user_policies(UserName="ana")["AttachedPolicies"]
    assert [p["PolicyArn"] for p in attached] == [POLICY_ARN]


def test_a_new_description_of_a_named_policy_fails_the_update(aws: dict[str, Any]) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    cfn.create_stack(StackName="s", TemplateBody=body(_template()))

    cfn.update_stack(StackName="s", TemplateBody=body(_template(Description="new words")))

    assert final_status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cfn.describe_stack_events(StackName="s")["StackEvents"]
        if e["ResourceStatus"] == "UPDATE_FAILED"
    ]
    assert reasons == [
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        "Rename deployer and update the stack again."
    ]
    assert iam.get_policy(PolicyArn=POLICY_ARN)["Policy"]["Description"] == "push rights"
