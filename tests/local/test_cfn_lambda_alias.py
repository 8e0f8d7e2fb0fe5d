"""An update that touches an alias applies the template's FunctionVersion and RoutingConfig.

AWS behaviour (CloudFormation user guide, AWS::Lambda::Alias,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-lambda-alias.html:
`Description`, `FunctionVersion`, `RoutingConfig` "Update requires: No interruption", applied with
Lambda's UpdateAlias, which takes the whole desired state): when a stack update changes any
property of an alias (here only its Description), CloudFormation calls UpdateAlias with the
template's FunctionVersion and RoutingConfig, so an alias moved out of band (UpdateAlias, weights
included) goes back to the template's version and loses the weights; an update that leaves the
alias's properties unchanged does not call UpdateAlias, and the alias stays where it was moved.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, role_resource, zip_bytes


def _template(alias_description: str = "serving", memory: int = 128) -> dict[str, Any]:
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
                    "MemorySize": memory,
                    "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"},
                },
            },
            "Ver": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
            "Live": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "FunctionVersion": {"Fn::GetAtt": ["Ver", "Version"]},
                    "Name": "live",
                    "Description": alias_description,
                },
            },
        }
    }


@pytest.fixture
def moved(local_aws: LocalAwsHandle) -> dict[str, Any]:
    """A stack whose alias was moved out of band to version 3, with 10% on version 2."""
    clients = local_aws.clients()
    cfn, lam = clients.client("cloudformation"), clients.client("lambda")
    cfn.create_stack(StackName="s", TemplateBody=body(_template()))
    for n in (2, 3):
        lam.update_function_code(FunctionName="api", ZipFile=zip_bytes(f"v = {n}\n"))
        lam.publish_version(FunctionName="api")
    lam.update_alias(
        FunctionName="api",
        Name="live",
        FunctionVersion="3",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )
    return {"cloudformation": cfn, "lambda": lam}


def test_changing_only_the_description_moves_the_alias_back(moved: dict[str, Any]) -> None:
    cfn, lam = moved["cloudformation"], moved["lambda"]

    cfn.update_stack(StackName="s", TemplateBody=body(_template("described anew")))

    alias = lam.get_alias(FunctionName="api", Name="live")
    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert (alias["FunctionVersion"], alias["Description"]) == ("1", "described anew")
    assert not (alias.get("RoutingConfig") or {}).get("AdditionalVersionWeights")


def test_an_update_that_leaves_the_alias_alone_does_not_move_it(moved: dict[str, Any]) -> None:
    cfn, lam = moved["cloudformation"], moved["lambda"]
    before = copy.deepcopy(lam.get_alias(FunctionName="api", Name="live"))

    cfn.update_stack(StackName="s", TemplateBody=body(_template(memory=512)))

    alias = lam.get_alias(FunctionName="api", Name="live")
    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert (alias["FunctionVersion"], alias["RoutingConfig"]) == (
        "3",
        before["RoutingConfig"],
    )
