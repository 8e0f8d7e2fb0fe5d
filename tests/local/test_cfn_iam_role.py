"""A stack's role carries the template's policies through updates and goes with the stack.

AWS behaviour (CloudFormation user guide, AWS::IAM::Role,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html:
`AssumeRolePolicyDocument`, `Description`, `ManagedPolicyArns`, `MaxSessionDuration`, `Policies`
"Update requires: No interruption"): the role is created with its inline `Policies` and its
`ManagedPolicyArns` attached; an update puts new and changed inline policies, deletes dropped ones,
attaches and detaches managed policies and applies the trust policy; deleting the stack detaches
the template's managed policies, deletes the inline ones and the role.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, role_resource

DOCUMENT = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
}


def _template(
    inline: dict[str, Any], managed: list[str], service: str = "lambda"
) -> dict[str, Any]:
    role = copy.deepcopy(role_resource())
    props = role["Properties"]
    props["RoleName"] = "worker"
    props["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"] = (
        f"{service}.amazonaws.com"
    )
    props["Policies"] = [{"PolicyName": n, "PolicyDocument": d} for n, d in inline.items()]
    props["ManagedPolicyArns"] = managed
    return {"Resources": {"Role": role}}


@pytest.fixture
def aws(local_aws: LocalAwsHandle) -> dict[str, Any]:
    clients = local_aws.clients()
    iam = clients.client("iam")
    for name in ("one", "two"):
        iam.create_policy(PolicyName=name, PolicyDocument=json.dumps(DOCUMENT))
    return {"cloudformation": clients.client("cloudformation"), "iam": iam}


def _arn(name: str) -> str:
    return f"arn:aws:iam::123456789012:policy/{name}"


def _state(iam: Any) -> tuple[list[str], list[str], str]:
    inline = iam.list_role_policies(RoleName="worker")["PolicyNames"]
    managed = iam.list_attached_role_policies(RoleName="worker")["AttachedPolicies"]
    trust = iam.get_role(RoleName="worker")["Role"]["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    service = trust["Statement"][0]["Principal"]["Service"]
    return sorted(inline), sorted(p["PolicyName"] for p in managed), service


def test_the_role_is_created_with_its_policies(aws: dict[str, Any]) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]

    cfn.create_stack(StackName="s", TemplateBody=body(_template({"a": DOCUMENT}, [_arn("one")])))

    assert _state(iam) == (["a"], ["one"], "lambda.amazonaws.com")


def test_an_update_applies_the_templates_policies(aws: dict[str, Any]) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    cfn.create_stack(StackName="s", TemplateBody=body(_template({"a": DOCUMENT}, [_arn("one")])))

    cfn.update_stack(
        StackName="s",
        TemplateBody=body(_template({"b": DOCUMENT}, [_arn("two")], service="edgelambda")),
    )

    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert _state(iam) == (["b"], ["two"], "edgelambda.amazonaws.com")


def test_deleting_the_stack_deletes_the_role(aws: dict[str, Any]) -> None:
    cfn, iam = aws["cloudformation"], aws["iam"]
    cfn.create_stack(StackName="s", TemplateBody=body(_template({"a": DOCUMENT}, [_arn("one")])))

    cfn.delete_stack(StackName="s")

    assert iam.list_roles()["Roles"] == []
    assert cfn.list_stacks(StackStatusFilter=["DELETE_COMPLETE"])["StackSummaries"]
