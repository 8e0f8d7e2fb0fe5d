"""A replacement creates the new resource first; a resource that keeps its custom name cannot.

AWS behaviour (CloudFormation user guide, "Update behaviors of stack resources",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html:
"CloudFormation usually creates the replacement resource first, changes references from other
dependent resources to point to the replacement resource, and then deletes the old resource";
"Name type", https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-properties-name.html:
"If you specify a name, you cannot perform updates that require replacement of this resource. You
can perform updates that require no or some interruption. If you must replace the resource,
specify a new name."): a replacement that keeps the custom name fails the resource with
`UPDATE_FAILED` "CloudFormation cannot update a stack when a custom-named resource requires
replacing. Rename <name> and update the stack again." and the stack ends `UPDATE_ROLLBACK_COMPLETE`
with the resource as it was; the same replacement under a new name creates the new resource and
deletes the old one in the cleanup phase, unless `UpdateReplacePolicy: Retain` keeps it
(`DELETE_SKIPPED`, https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/aws-attribute-updatereplacepolicy.html);
when a later resource fails, the rollback keeps the old resource and deletes the replacement.
"""

from __future__ import annotations

import copy
from typing import Any

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, role_resource


def _message(name: str) -> str:
    return (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        f"Rename {name} and update the stack again."
    )


def _failures(cfn: Any) -> list[tuple[str, str]]:
    return [
        (e["LogicalResourceId"], e.get("ResourceStatusReason", ""))
        for e in reversed(cfn.describe_stack_events(StackName="s")["StackEvents"])
        if e["ResourceStatus"] == "UPDATE_FAILED"
    ]


FUNCTION = {
    "Resources": {
        "Role": role_resource(),
        "Fn": {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": "api",
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"},
            },
        },
    }
}


def test_changing_a_named_functions_package_type_fails_and_rolls_back(
    local_aws: LocalAwsHandle,
) -> None:
    clients = local_aws.clients()
    cfn, lam = clients.client("cloudformation"), clients.client("lambda")
    cfn.create_stack(StackName="s", TemplateBody=body(FUNCTION))
    before = lam.get_function_configuration(FunctionName="api")
    image = copy.deepcopy(FUNCTION)
    props = image["Resources"]["Fn"]["Properties"]
    props.update(
        PackageType="Image",
        Code={"ImageUri": "123456789012.dkr.ecr.us-east-1.amazonaws.com/api:1"},
    )
    del props["Runtime"], props["Handler"]

    cfn.update_stack(StackName="s", TemplateBody=body(image))

    assert final_status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    assert _failures(cfn) == [("Fn", _message("api"))]
    after = lam.get_function_configuration(FunctionName="api")
    assert (after["PackageType"], after["CodeSha256"]) == ("Zip", before["CodeSha256"])
    assert cfn.get_template(StackName="s")["TemplateBody"] == FUNCTION


def test_changing_a_named_roles_path_fails_and_rolls_back(local_aws: LocalAwsHandle) -> None:
    clients = local_aws.clients()
    cfn, iam = clients.client("cloudformation"), clients.client("iam")
    named = {"Resources": {"Role": copy.deepcopy(role_resource())}}
    named["Resources"]["Role"]["Properties"]["RoleName"] = "worker"
    cfn.create_stack(StackName="s", TemplateBody=body(named))
    moved = copy.deepcopy(named)
    moved["Resources"]["Role"]["Properties"]["Path"] = "/service/"

    cfn.update_stack(StackName="s", TemplateBody=body(moved))

    assert final_status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    assert _failures(cfn) == [("Role", _message("worker"))]
    assert iam.get_role(RoleName="worker")["Role"]["Path"] == "/"


def test_a_replacement_under_a_new_name_is_allowed(local_aws: LocalAwsHandle) -> None:
    clients = local_aws.clients()
    cfn, sqs = clients.client("cloudformation"), clients.client("sqs")
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}}
    cfn.create_stack(StackName="s", TemplateBody=body({"Resources": {"Q": queue}}))
    renamed = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs-v2"}}

    cfn.update_stack(StackName="s", TemplateBody=body({"Resources": {"Q": renamed}}))

    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]] == ["jobs-v2"]


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


def test_a_rolled_back_replacement_keeps_the_old_resource(local_aws: LocalAwsHandle) -> None:
    clients = local_aws.clients()
    cfn, sqs = clients.client("cloudformation"), clients.client("sqs")
    queue = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs"}}
    cfn.create_stack(StackName="s", TemplateBody=body({"Resources": {"Q": queue}}))
    renamed = {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "jobs-v2"}}

    cfn.update_stack(
        StackName="s",
        TemplateBody=body({"Resources": {"Q": renamed, "Broken": {**BROKEN, "DependsOn": "Q"}}}),
    )

    assert final_status(cfn, "s") == "UPDATE_ROLLBACK_COMPLETE"
    assert [u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]] == ["jobs"]
    [resource] = cfn.list_stack_resources(StackName="s")["StackResourceSummaries"]
    assert resource["PhysicalResourceId"].endswith("/jobs")


def test_update_replace_policy_retain_keeps_the_replaced_resource(
    local_aws: LocalAwsHandle,
) -> None:
    clients = local_aws.clients()
    cfn, sqs = clients.client("cloudformation"), clients.client("sqs")
    queue = {
        "Type": "AWS::SQS::Queue",
        "UpdateReplacePolicy": "Retain",
        "Properties": {"QueueName": "jobs"},
    }
    cfn.create_stack(StackName="s", TemplateBody=body({"Resources": {"Q": queue}}))
    renamed = {**queue, "Properties": {"QueueName": "jobs-v2"}}

    cfn.update_stack(StackName="s", TemplateBody=body({"Resources": {"Q": renamed}}))

    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert sorted(u.rsplit("/", 1)[1] for u in sqs.list_queues()["QueueUrls"]) == [
        "jobs",
        "jobs-v2",
    ]
    skipped = [
        e["PhysicalResourceId"]
        for e in cfn.describe_stack_events(StackName="s")["StackEvents"]
        if e["ResourceStatus"] == "DELETE_SKIPPED"
    ]
    assert [p.rsplit("/", 1)[1] for p in skipped] == ["jobs"]
