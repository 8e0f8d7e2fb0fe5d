"""Change sets are listed, found and deleted per stack; executing one retires the others.

AWS behaviour (CloudFormation API reference: ListChangeSets "Returns the ID and status of each
active change set for a stack", DeleteChangeSet, DescribeChangeSet (error `ChangeSetNotFound`,
HTTP 404), ExecuteChangeSet: "When you execute a change set, CloudFormation deletes all other
change sets associated with the stack because they aren't valid for the updated stack", errors
`InvalidChangeSetStatus`;
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ListChangeSets.html,
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ExecuteChangeSet.html):
a change set name is looked up within its stack ("ChangeSet [name] does not exist" otherwise);
DeleteChangeSet of a name the stack does not have succeeds; a change set that is not available
cannot be executed ("ChangeSet [arn] cannot be executed in its current status of [FAILED]"); an
executed change set leaves the stack's list but stays readable by ARN; a deleted stack takes its
change sets with it.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body


def _template(queue: str) -> dict[str, Any]:
    return {"Resources": {"Q": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": queue}}}}


def _change_set(cfn: Any, stack: str, name: str, kind: str, queue: str = "q") -> str:
    made = cfn.create_change_set(
        StackName=stack, ChangeSetName=name, TemplateBody=body(_template(queue)), ChangeSetType=kind
    )
    return str(made["Id"])


def _names(cfn: Any, stack: str) -> list[str]:
    return sorted(s["ChangeSetName"] for s in cfn.list_change_sets(StackName=stack)["Summaries"])


def _error(call: Any) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        call()
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_list_change_sets_lists_one_stacks_change_sets(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _change_set(cfn, "a", "a1", "CREATE")
    _change_set(cfn, "a", "a2", "CREATE")
    _change_set(cfn, "b", "b1", "CREATE")

    assert (_names(cfn, "a"), _names(cfn, "b")) == (["a1", "a2"], ["b1"])
    [summary] = cfn.list_change_sets(StackName="b")["Summaries"]
    assert (summary["StackName"], summary["Status"], summary["ExecutionStatus"]) == (
        "b",
        "CREATE_COMPLETE",
        "AVAILABLE",
    )


def test_delete_change_set_deletes_by_name_or_arn_and_tolerates_a_missing_name(
    local_aws: LocalAwsHandle,
) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _change_set(cfn, "a", "a1", "CREATE")
    arn = _change_set(cfn, "a", "a2", "CREATE")

    cfn.delete_change_set(StackName="a", ChangeSetName="a1")
    cfn.delete_change_set(ChangeSetName=arn)
    cfn.delete_change_set(StackName="a", ChangeSetName="never-made")

    assert _names(cfn, "a") == []
    assert _error(lambda: cfn.delete_change_set(StackName="nope", ChangeSetName="x"))[:2] == (
        "ValidationError",
        "Stack [nope] does not exist",
    )


def test_a_change_set_name_is_found_only_within_its_stack(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _change_set(cfn, "a", "same", "CREATE", queue="qa")
    _change_set(cfn, "b", "same", "CREATE", queue="qb")
    _change_set(cfn, "b", "only-b", "CREATE", queue="qb")

    assert cfn.describe_change_set(StackName="a", ChangeSetName="same")["StackName"] == "a"
    assert _error(lambda: cfn.describe_change_set(StackName="a", ChangeSetName="only-b")) == (
        "ChangeSetNotFound",
        "ChangeSet [only-b] does not exist",
        404,
    )
    assert _error(lambda: cfn.describe_change_set(ChangeSetName="same"))[:2] == (
        "ValidationError",
        "StackName must be specified if ChangeSetName is not specified as an ARN.",
    )


def test_executing_a_change_set_retires_the_others(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _change_set(cfn, "a", "c1", "CREATE")
    executed = _change_set(cfn, "a", "c2", "CREATE")

    cfn.execute_change_set(StackName="a", ChangeSetName="c2")

    assert _names(cfn, "a") == []
    assert _error(lambda: cfn.describe_change_set(StackName="a", ChangeSetName="c1"))[0] == (
        "ChangeSetNotFound"
    )
    by_arn = cfn.describe_change_set(ChangeSetName=executed)
    assert (by_arn["Status"], by_arn["ExecutionStatus"]) == ("CREATE_COMPLETE", "EXECUTE_COMPLETE")
    assert _error(lambda: cfn.execute_change_set(ChangeSetName=executed))[:2] == (
        "InvalidChangeSetStatus",
        f"ChangeSet [{executed}] cannot be executed in its current execution status of "
        "[EXECUTE_COMPLETE]",
    )


def test_a_change_set_without_changes_cannot_be_executed(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _change_set(cfn, "a", "c1", "CREATE")
    cfn.execute_change_set(StackName="a", ChangeSetName="c1")
    empty = _change_set(cfn, "a", "same", "UPDATE")

    assert _error(lambda: cfn.execute_change_set(StackName="a", ChangeSetName="same"))[:2] == (
        "InvalidChangeSetStatus",
        f"ChangeSet [{empty}] cannot be executed in its current status of [FAILED]",
    )
    assert _names(cfn, "a") == ["same"]


def test_deleting_a_stack_deletes_its_change_sets(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    arn = _change_set(cfn, "a", "c1", "CREATE")

    cfn.delete_stack(StackName="a")

    assert _error(lambda: cfn.describe_change_set(ChangeSetName=arn))[0] == "ChangeSetNotFound"
    again = _change_set(cfn, "a", "c1", "CREATE")  # the name is free on the new stack "a"
    assert [s["ChangeSetId"] for s in cfn.list_change_sets(StackName="a")["Summaries"]] == [again]
