"""DeleteStack deletes dependents first; a refused delete leaves the stack DELETE_FAILED.

AWS behaviour (CloudFormation user guide, "Delete a stack" and "Stack status codes",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/view-stack-events.html#cfn-console-view-stack-data-resources-status-codes:
`DELETE_FAILED` "Unsuccessful deletion of one or more stacks. Because the delete failed, you might
have some resources that are still running"; `DeletionPolicy` attribute,
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-deletionpolicy.html):
each resource is deleted after the resources that refer to it; a resource whose delete is refused
gets `DELETE_FAILED` with the service's message, what it refers to is kept, the stack ends
`DELETE_FAILED` ("The following resource(s) failed to delete: [Role]. ") and can be deleted again
once the cause is gone; `DeletionPolicy: Retain` resources are skipped (`DELETE_SKIPPED`) and kept.
"""

from __future__ import annotations

import json
from typing import Any

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, role_resource

POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
)


def _template() -> dict[str, Any]:
    role = role_resource()
    role["Properties"]["RoleName"] = "worker"
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}}
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": "api",
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"},
            "Environment": {"Variables": {"QUEUE": {"Ref": "Queue"}}},
        },
    }
    return {"Resources": {"Queue": queue, "Role": role, "Fn": function}}


def _delete_events(cfn: Any, stack_id: str) -> list[tuple[str, str, str]]:
    return [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
        for e in reversed(cfn.describe_stack_events(StackName=stack_id)["StackEvents"])
        if e["ResourceStatus"].startswith("DELETE")
    ]


def test_resources_are_deleted_after_what_refers_to_them(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    stack_id = cfn.create_stack(StackName="s", TemplateBody=body(_template()))["StackId"]

    cfn.delete_stack(StackName="s")

    order = [r for r, status, _ in _delete_events(cfn, stack_id) if status == "DELETE_COMPLETE"]
    assert order.index("Fn") < order.index("Role") and order.index("Fn") < order.index("Queue")
    assert order[-1] == "s"


def test_a_refused_delete_leaves_the_stack_delete_failed_until_deleted_again(
    local_aws: LocalAwsHandle,
) -> None:
    clients = local_aws.clients()
    cfn, iam = clients.client("cloudformation"), clients.client("iam")
    lam = clients.client("lambda")
    cfn.create_stack(StackName="s", TemplateBody=body(_template()))
    arn = iam.create_policy(PolicyName="extra", PolicyDocument=POLICY)["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="worker", PolicyArn=arn)  # out of band

    cfn.delete_stack(StackName="s")

    [stack] = cfn.describe_stacks(StackName="s")["Stacks"]
    assert (stack["StackStatus"], stack["StackStatusReason"]) == (
        "DELETE_FAILED",
        "The following resource(s) failed to delete: [Role]. ",
    )
    failed = [(r, why) for r, status, why in _delete_events(cfn, "s") if status == "DELETE_FAILED"]
    assert failed[0][0] == "Role" and "must detach all policies first" in failed[0][1]
    assert lam.list_functions()["Functions"] == []
    assert iam.get_role(RoleName="worker")["Role"]["RoleName"] == "worker"

    iam.detach_role_policy(RoleName="worker", PolicyArn=arn)
    cfn.delete_stack(StackName="s")

    assert cfn.list_stacks(StackStatusFilter=["DELETE_FAILED"])["StackSummaries"] == []
    assert [r["RoleName"] for r in iam.list_roles()["Roles"]] == []


def test_retained_resources_are_skipped_and_kept(local_aws: LocalAwsHandle) -> None:
    clients = local_aws.clients()
    cfn, sqs = clients.client("cloudformation"), clients.client("sqs")
    kept = {
        "Type": "AWS::SQS::Queue",
        "DeletionPolicy": "Retain",
        "Properties": {"QueueName": "keep"},
    }
    stack_id = cfn.create_stack(StackName="s", TemplateBody=body({"Resources": {"Q": kept}}))[
        "StackId"
    ]

    cfn.delete_stack(StackName="s")

    assert ("Q", "DELETE_SKIPPED", "") in _delete_events(cfn, stack_id)
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]] == ["keep"]
