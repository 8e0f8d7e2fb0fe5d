"""A failed stack operation rolls back and says why, on the failing resource's event."""

from __future__ import annotations

from typing import Any

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status

QUEUE = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "orders"}}
BROKEN = {  # S3 code that does not exist: Lambda refuses to create the function
    "Type": "AWS::Lambda::Function",
    "Properties": {
        "FunctionName": "broken",
        "Runtime": "python3.12",
        "Handler": "index.handler",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Code": {"S3Bucket": "no-such-bucket", "S3Key": "missing.zip"},
    },
}


def _events(cfn: Any, stack: str) -> list[dict[str, Any]]:
    return list(reversed(cfn.describe_stack_events(StackName=stack)["StackEvents"]))


def test_failed_create_rolls_back_with_the_reason_on_the_resource(
    local_aws: LocalAwsHandle,
) -> None:
    clients = local_aws.clients()
    cfn, sqs = clients.client("cloudformation"), clients.client("sqs")

    cfn.create_stack(
        StackName="s", TemplateBody=body({"Resources": {"Queue": QUEUE, "Broken": BROKEN}})
    )

    assert final_status(cfn, "s") == "ROLLBACK_COMPLETE"
    failed = [e for e in _events(cfn, "s") if e["ResourceStatus"] == "CREATE_FAILED"]
    assert [e["LogicalResourceId"] for e in failed] == ["Broken"]
    assert "does not exist" in failed[0]["ResourceStatusReason"]
    assert sqs.list_queues().get("QueueUrls", []) == []


def test_failed_update_restores_the_previous_template(local_aws: LocalAwsHandle) -> None:
    clients = local_aws.clients()
    cfn, sqs = clients.client("cloudformation"), clients.client("sqs")
    first = body({"Resources": {"Queue": QUEUE}})
    cfn.create_stack(StackName="s", TemplateBody=first)
    extra = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "extra"}}

    cfn.update_stack(
        StackName="s",
        TemplateBody=body({"Resources": {"Queue": QUEUE, "Extra": extra, "Broken": BROKEN}}),
    )

    assert final_status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]] == ["orders"]
    assert cfn.get_template(StackName="s")["TemplateBody"] == {"Resources": {"Queue": QUEUE}}
    statuses = [e["ResourceStatus"] for e in _events(cfn, "s") if e["LogicalResourceId"] == "s"]
    assert statuses[-2:] == [
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]


def test_successful_create_records_events_per_resource(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")

    cfn.create_stack(StackName="s", TemplateBody=body({"Resources": {"Queue": QUEUE}}))

    queue_events = [
        e["ResourceStatus"] for e in _events(cfn, "s") if e["LogicalResourceId"] == "Queue"
    ]
    assert queue_events == ["CREATE_IN_PROGRESS", "CREATE_COMPLETE"]
    assert final_status(cfn, "s") == "CREATE_COMPLETE"
