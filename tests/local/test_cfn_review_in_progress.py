"""A CREATE change set makes a REVIEW_IN_PROGRESS stack; UPDATE is refused until it is executed.

AWS behaviour (CloudFormation API reference, CreateChangeSet, `ChangeSetType`,
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_CreateChangeSet.html:
"If you create a change set for a new stack, CloudFormation creates a stack with a unique stack ID,
but no template or resources. The stack will be in the REVIEW_IN_PROGRESS state until you execute
the change set. By default, CloudFormation specifies UPDATE. You can't use the UPDATE type to
create a change set for a new stack or the CREATE type to create a change set for an existing
stack."): the REVIEW_IN_PROGRESS stack is visible in DescribeStacks, survives the deletion of its
change sets, takes further CREATE change sets (same stack id), refuses UPDATE with a
`ValidationError` "Stack [s] does not exist", and DeleteStack deletes it. A CREATE change set for a
live stack is a `ValidationError` "Stack [s] already exists and cannot be created again with the
changeSet [c].", and a name already used by the stack's change sets an `AlreadyExistsException`.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status

TEMPLATE = {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "q"}}}}


def _change_set(cfn: Any, name: str, kind: str | None = "CREATE") -> dict[str, Any]:
    kwargs: dict[str, Any] = {"ChangeSetType": kind} if kind else {}
    made: dict[str, Any] = cfn.create_change_set(
        StackName="s", ChangeSetName=name, TemplateBody=body(TEMPLATE), **kwargs
    )
    return made


def _refusal(call: Any) -> tuple[str, str]:
    with pytest.raises(ClientError) as caught:
        call()
    error = caught.value.response["Error"]
    return error["Code"], error["Message"]


def test_a_create_change_set_makes_a_stack_in_review(local_aws: LocalAwsHandle) -> None:
    cfn, sqs = local_aws.clients().client("cloudformation"), local_aws.clients().client("sqs")

    made = _change_set(cfn, "c1")

    [stack] = cfn.describe_stacks(StackName="s")["Stacks"]
    assert (stack["StackStatus"], stack["StackId"]) == ("REVIEW_IN_PROGRESS", made["StackId"])
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_the_review_stack_outlives_its_change_sets_and_takes_new_create_ones(
    local_aws: LocalAwsHandle,
) -> None:
    cfn = local_aws.clients().client("cloudformation")
    first = _change_set(cfn, "c1")
    cfn.delete_change_set(StackName="s", ChangeSetName="c1")

    assert final_status(cfn, "s") == "REVIEW_IN_PROGRESS"
    second = _change_set(cfn, "c2")
    assert second["StackId"] == first["StackId"]
    assert [s["StackName"] for s in cfn.list_stacks()["StackSummaries"]] == ["s"]

    cfn.execute_change_set(StackName="s", ChangeSetName="c2")
    assert final_status(cfn, "s") == "CREATE_COMPLETE"
    assert cfn.describe_stacks(StackName="s")["Stacks"][0]["StackId"] == first["StackId"]


def test_an_update_change_set_on_a_review_stack_is_refused(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _change_set(cfn, "c1")

    assert _refusal(lambda: _change_set(cfn, "u1", "UPDATE")) == (
        "ValidationError",
        "Stack [s] does not exist",
    )
    assert _refusal(lambda: _change_set(cfn, "u2", None)) == (  # UPDATE is the default
        "ValidationError",
        "Stack [s] does not exist",
    )


def test_an_update_change_set_for_a_missing_stack_is_refused(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")

    assert _refusal(lambda: _change_set(cfn, "u1", "UPDATE")) == (
        "ValidationError",
        "Stack [s] does not exist",
    )


def test_delete_stack_deletes_a_review_stack(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    made = _change_set(cfn, "c1")

    cfn.delete_stack(StackName="s")

    gone = cfn.describe_stacks(StackName=made["StackId"])["Stacks"][0]
    assert gone["StackStatus"] == "DELETE_COMPLETE"
    assert _refusal(lambda: cfn.describe_stacks(StackName="s"))[0] == "ValidationError"
    assert _change_set(cfn, "c1")["StackId"] != made["StackId"]


def test_a_create_change_set_for_a_live_stack_is_refused(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _change_set(cfn, "c1")
    cfn.execute_change_set(StackName="s", ChangeSetName="c1")

    assert _refusal(lambda: _change_set(cfn, "c2")) == (
        "ValidationError",
        "Stack [s] already exists and cannot be created again with the changeSet [c2].",
    )


def test_an_update_change_set_for_a_rolled_back_stack_is_refused(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    broken = {
        "Resources": {
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "f",
                    "Runtime": "python3.12",
                    "Handler": "i.h",
                    "Role": "arn:aws:iam::123456789012:role/r",
                    "Code": {"S3Bucket": "no-such-bucket", "S3Key": "k.zip"},
                },
            }
        }
    }
    stack_id = cfn.create_stack(StackName="s", TemplateBody=body(broken))["StackId"]
    assert final_status(cfn, "s") == "ROLLBACK_COMPLETE"

    assert _refusal(lambda: _change_set(cfn, "u1", "UPDATE")) == (
        "ValidationError",
        f"Stack:{stack_id} is in ROLLBACK_COMPLETE state and can not be updated.",
    )


def test_a_change_set_name_is_unique_within_its_stack(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _change_set(cfn, "c1")

    assert _refusal(lambda: _change_set(cfn, "c1")) == (
        "AlreadyExistsException",
        "ChangeSet [c1] already exists",
    )
