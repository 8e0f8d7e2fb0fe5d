"""Resources that refer to a replaced resource are updated with its new value.

AWS behaviour (CloudFormation user guide, "Update behaviors of stack resources",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-updating-stacks-update-behaviors.html,
and DescribeChangeSet's `ResourceChangeDetail`: `Evaluation` Dynamic, `ChangeSource`
ResourceReference/ResourceAttribute, `CausingEntity`): when an update replaces a resource, the
resources whose properties use its `Ref` or `Fn::GetAtt` are updated too, although their template
text is unchanged, and the change set lists them as `Modify` with the property and its cause. A
`Lambda::Version` whose properties change is published again, so an alias whose `FunctionVersion`
is `Fn::GetAtt [Version, Version]` moves to the new version (even one moved out of band), and the
old version is deleted in the cleanup phase.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, role_resource, zip_bytes


def _template(version_description: str = "first") -> dict[str, Any]:
    return {
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
            "Ver": {
                "Type": "AWS::Lambda::Version",
                "Properties": {"FunctionName": {"Ref": "Fn"}, "Description": version_description},
            },
            "Live": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "FunctionVersion": {"Fn::GetAtt": ["Ver", "Version"]},
                    "Name": "live",
                },
            },
        }
    }


@pytest.fixture
def aws(local_aws: LocalAwsHandle) -> dict[str, Any]:
    clients = local_aws.clients()
    cfn = clients.client("cloudformation")
    cfn.create_stack(StackName="s", TemplateBody=body(_template()))
    return {"cloudformation": cfn, "lambda": clients.client("lambda")}


def test_an_alias_follows_the_version_that_replaced_its_own(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("v = 2\n"))
    pushed = lam.publish_version(FunctionName="api")["Version"]
    lam.update_alias(FunctionName="api", Name="live", FunctionVersion=pushed)
    lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("v = 3\n"))

    cfn.update_stack(StackName="s", TemplateBody=body(_template("second")))

    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName="api")["Versions"]]
    assert versions == ["$LATEST", "2", "3"]  # 1 was the replaced resource: deleted in cleanup
    assert lam.get_alias(FunctionName="api", Name="live")["FunctionVersion"] == "3"


def test_an_in_place_update_leaves_the_resources_that_refer_to_it_alone(
    aws: dict[str, Any],
) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    lam.publish_version(FunctionName="api", Description="out of band")  # nothing changed: 1 again
    changed = copy.deepcopy(_template())
    changed["Resources"]["Fn"]["Properties"]["MemorySize"] = 512

    cfn.update_stack(StackName="s", TemplateBody=body(changed))

    updated = {
        e["LogicalResourceId"]
        for e in cfn.describe_stack_events(StackName="s")["StackEvents"]
        if e["ResourceStatus"] == "UPDATE_COMPLETE"
    }
    assert updated == {"Fn", "s"}


def test_the_change_set_lists_the_resources_a_replacement_moves(aws: dict[str, Any]) -> None:
    cfn = aws["cloudformation"]
    cfn.create_change_set(StackName="s", ChangeSetName="c", TemplateBody=body(_template("second")))

    rows = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"]
        for c in cfn.describe_change_set(StackName="s", ChangeSetName="c")["Changes"]
    }

    assert sorted(rows) == ["Live", "Ver"]
    assert (rows["Ver"]["Action"], rows["Ver"]["Replacement"]) == ("Modify", "True")
    live = rows["Live"]
    assert (live["Action"], live["Replacement"]) == ("Modify", "False")
    [detail] = live["Details"]
    assert detail["Target"]["Name"] == "FunctionVersion"
    assert (detail["Evaluation"], detail["ChangeSource"], detail["CausingEntity"]) == (
        "Dynamic",
        "ResourceAttribute",
        "Ver.Version",
    )
