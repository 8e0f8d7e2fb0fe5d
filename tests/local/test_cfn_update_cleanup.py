"""A stack update deletes old resources last, in a cleanup phase whose failures do not fail it.

AWS behaviour (CloudFormation user guide, "Monitor the progress of a stack update",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-monitor-stack.html,
and "Stack status codes": `UPDATE_COMPLETE_CLEANUP_IN_PROGRESS` "Ongoing removal of old resources
for one or more stacks after a successful stack update"): new and changed resources come first;
then the stack enters UPDATE_COMPLETE_CLEANUP_IN_PROGRESS and deletes the resources the template
dropped. A delete refused there (Lambda's ResourceConflictException for a version an alias still
routes to) is a `DELETE_FAILED` event with the service's reason; the resource stays, and the stack
ends `UPDATE_COMPLETE`.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, role_resource, zip_bytes

IN_USE = "Unable to delete version because the following aliases reference it: [canary]"


def _resources(*versions: str, alias_on: str | None = None) -> dict[str, Any]:
    resources: dict[str, Any] = {
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
    for logical in versions:
        resources[logical] = {
            "Type": "AWS::Lambda::Version",
            "Properties": {"FunctionName": {"Ref": "Fn"}, "Description": logical},
        }
    if alias_on:
        resources["Live"] = {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "FunctionName": {"Ref": "Fn"},
                "FunctionVersion": {"Fn::GetAtt": [alias_on, "Version"]},
                "Name": "live",
            },
        }
    return {"Resources": resources}


@pytest.fixture
def aws(local_aws: LocalAwsHandle) -> dict[str, Any]:
    clients = local_aws.clients()
    return {n: clients.client(n) for n in ("cloudformation", "lambda")}


def _events(cfn: Any) -> list[tuple[str, str, str]]:
    raw = reversed(cfn.describe_stack_events(StackName="s")["StackEvents"])
    return [
        (e["LogicalResourceId"], e["ResourceStatus"], e.get("ResourceStatusReason", ""))
        for e in raw
    ]


def _versions(lam: Any) -> list[str]:
    return [v["Version"] for v in lam.list_versions_by_function(FunctionName="api")["Versions"]]


def test_a_refused_delete_in_cleanup_leaves_the_stack_update_complete(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    cfn.create_stack(StackName="s", TemplateBody=body(_resources("V1")))
    lam.create_alias(FunctionName="api", Name="canary", FunctionVersion="1")  # out of band

    cfn.update_stack(StackName="s", TemplateBody=body(_resources()))

    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    update = _events(cfn)[_events(cfn).index(("s", "UPDATE_IN_PROGRESS", "User Initiated")) :]
    assert update[-4:] == [
        ("s", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS", ""),
        ("V1", "DELETE_IN_PROGRESS", ""),
        ("V1", "DELETE_FAILED", IN_USE),
        ("s", "UPDATE_COMPLETE", ""),
    ]
    assert _versions(lam) == ["$LATEST", "1"]
    assert [
        r["LogicalResourceId"]
        for r in cfn.list_stack_resources(StackName="s")["StackResourceSummaries"]
    ] == ["Role", "Fn"]


def test_new_resources_come_before_the_old_ones_are_deleted(aws: dict[str, Any]) -> None:
    """The alias moves to V2 in the update phase, so V1 is free when cleanup deletes it."""
    cfn, lam = aws["cloudformation"], aws["lambda"]
    cfn.create_stack(StackName="s", TemplateBody=body(_resources("V1", alias_on="V1")))
    lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("v = 2\n"))

    cfn.update_stack(StackName="s", TemplateBody=body(_resources("V2", alias_on="V2")))

    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert lam.get_alias(FunctionName="api", Name="live")["FunctionVersion"] == "2"
    assert _versions(lam) == ["$LATEST", "2"]
    steps = [(r, s) for r, s, _ in _events(cfn)]
    assert (
        steps.index(("Live", "UPDATE_COMPLETE"))
        < steps.index(("s", "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS"))
        < steps.index(("V1", "DELETE_COMPLETE"))
    )


def test_cleanup_deletes_a_removed_alias_before_the_version_it_pointed_at(
    aws: dict[str, Any],
) -> None:
    """The old V1 (replaced: its Description changes) is deleted after the removed alias Canary
    that pointed at it, so Lambda lets it go."""
    cfn, lam = aws["cloudformation"], aws["lambda"]
    first = _resources("V1", alias_on="V1")
    first["Resources"]["Canary"] = {
        "Type": "AWS::Lambda::Alias",
        "Properties": {
            "FunctionName": {"Ref": "Fn"},
            "FunctionVersion": {"Fn::GetAtt": ["V1", "Version"]},
            "Name": "canary",
        },
    }
    cfn.create_stack(StackName="s", TemplateBody=body(first))
    lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("v = 2\n"))
    second = _resources("V1", alias_on="V1")
    second["Resources"]["V1"]["Properties"]["Description"] = "republished"

    cfn.update_stack(StackName="s", TemplateBody=body(second))

    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    cleanup = [(r, s) for r, s, _ in _events(cfn) if s.startswith("DELETE")]
    assert cleanup == [
        ("Canary", "DELETE_IN_PROGRESS"),
        ("Canary", "DELETE_COMPLETE"),
        ("V1", "DELETE_IN_PROGRESS"),
        ("V1", "DELETE_COMPLETE"),
    ]
    assert _versions(lam) == ["$LATEST", "2"]
    assert lam.get_alias(FunctionName="api", Name="live")["FunctionVersion"] == "2"
