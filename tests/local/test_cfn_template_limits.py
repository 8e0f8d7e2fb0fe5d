"""CloudFormation refuses a template past its quotas, and creates or changes nothing.

AWS behaviour (CloudFormation user guide, "CloudFormation quotas",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html:
"Resources: Maximum number of resources that you can declare in your CloudFormation template. 500
resources"; outputs, parameters and mappings: 200 each; "Template body size in a request: 51,200
bytes"; "Template body size in an Amazon S3 object: 1 MB"): CreateStack, UpdateStack,
CreateChangeSet and ValidateTemplate fail with `ValidationError` (HTTP 400): "Template format error:
Number of resources, 501, is greater than maximum allowed, 500", the API's length constraint on
`templateBody`, or "Template may not exceed 1000000 bytes in size." for an S3 template. No stack or
change set is created and an existing stack keeps its template.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status

# moto creates nothing for a wait condition handle, and says so
pytestmark = pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")

HANDLE = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
SMALL = {"Resources": {"Handle": HANDLE}}


def _template(section: str, count: int) -> dict[str, Any]:
    """SMALL with `count` entries in `section` (Resources, Outputs, Parameters or Mappings)."""
    template: dict[str, Any] = {"Resources": {"Handle": HANDLE}}
    if section == "Resources":
        template["Resources"] = {f"Handle{i}": HANDLE for i in range(count)}
    elif section == "Outputs":
        template["Outputs"] = {f"O{i}": {"Value": "x"} for i in range(count)}
    elif section == "Parameters":
        template["Parameters"] = {f"P{i}": {"Type": "String", "Default": "x"} for i in range(count)}
    else:
        template["Mappings"] = {f"M{i}": {"k": {"v": "x"}} for i in range(count)}
    return template


@pytest.fixture
def cfn(local_aws: LocalAwsHandle) -> Any:
    return local_aws.clients().client("cloudformation")


def _refused(call: Any, **kwargs: Any) -> Mapping[str, Any]:
    with pytest.raises(ClientError) as info:
        call(**kwargs)
    response: Mapping[str, Any] = info.value.response
    assert response["Error"]["Code"] == "ValidationError"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    return response


def _stack_names(cfn: Any) -> list[str]:
    return [s["StackName"] for s in cfn.list_stacks()["StackSummaries"]]


@pytest.mark.parametrize(
    ("section", "limit"),
    [("Resources", 500), ("Outputs", 200), ("Parameters", 200), ("Mappings", 200)],
)
def test_one_past_a_count_is_refused_and_creates_nothing(
    cfn: Any, section: str, limit: int
) -> None:
    template = body(_template(section, limit + 1))

    response = _refused(cfn.create_stack, StackName="s", TemplateBody=template)

    assert response["Error"]["Message"] == (
        f"Template format error: Number of {section.lower()}, {limit + 1}, "
        f"is greater than maximum allowed, {limit}"
    )
    assert _stack_names(cfn) == []


@pytest.mark.parametrize("section", ["Outputs", "Parameters", "Mappings"])
def test_exactly_the_count_is_accepted(cfn: Any, section: str) -> None:
    cfn.create_stack(StackName="s", TemplateBody=body(_template(section, 200)))

    assert final_status(cfn, "s") == "CREATE_COMPLETE"


def test_exactly_500_resources_are_accepted_in_a_change_set(cfn: Any) -> None:
    cfn.create_change_set(
        StackName="s",
        ChangeSetName="c1",
        ChangeSetType="CREATE",
        TemplateBody=body(_template("Resources", 500)),
    )

    changes = cfn.get_paginator("describe_change_set").paginate(ChangeSetName="c1", StackName="s")
    assert sum(len(page["Changes"]) for page in changes) == 500


def test_every_entry_point_refuses_and_an_existing_stack_keeps_its_template(cfn: Any) -> None:
    cfn.create_stack(StackName="s", TemplateBody=body(SMALL))
    too_many = body(_template("Outputs", 201))

    _refused(cfn.update_stack, StackName="s", TemplateBody=too_many)
    _refused(
        cfn.create_change_set,
        StackName="s",
        ChangeSetName="c1",
        ChangeSetType="UPDATE",
        TemplateBody=too_many,
    )
    _refused(
        cfn.create_change_set,
        StackName="new",
        ChangeSetName="c1",
        ChangeSetType="CREATE",
        TemplateBody=too_many,
    )
    _refused(cfn.validate_template, TemplateBody=too_many)

    assert final_status(cfn, "s") == "CREATE_COMPLETE"
    assert cfn.get_template(StackName="s")["TemplateBody"] == SMALL
    assert cfn.list_change_sets(StackName="s")["Summaries"] == []
    assert _stack_names(cfn) == ["s"]


def _padded(size: int) -> str:
    """SMALL as JSON of exactly `size` bytes (the padding sits in Metadata)."""
    empty = body({**SMALL, "Metadata": {"Padding": ""}})
    return body({**SMALL, "Metadata": {"Padding": "x" * (size - len(empty))}})


def test_a_template_body_over_51200_bytes_is_refused(cfn: Any) -> None:
    template = _padded(51_201)

    response = _refused(cfn.create_stack, StackName="s", TemplateBody=template)

    assert response["Error"]["Message"] == (
        f"1 validation error detected: Value '{template}' at 'templateBody' failed to satisfy "
        "constraint: Member must have length less than or equal to 51200"
    )
    assert _stack_names(cfn) == []


def test_a_template_body_of_51200_bytes_is_accepted(cfn: Any) -> None:
    cfn.create_stack(StackName="s", TemplateBody=_padded(51_200))

    assert final_status(cfn, "s") == "CREATE_COMPLETE"


def test_a_template_url_over_1000000_bytes_is_refused(local_aws: LocalAwsHandle) -> None:
    clients = local_aws.clients()
    s3, cfn = clients.client("s3"), clients.client("cloudformation")
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="big.json", Body=_padded(1_000_001).encode())
    url = f"{local_aws.endpoint_url}/artifacts/big.json"

    response = _refused(
        cfn.create_change_set,
        StackName="s",
        ChangeSetName="c1",
        ChangeSetType="CREATE",
        TemplateURL=url,
    )

    assert response["Error"]["Message"] == "Template may not exceed 1000000 bytes in size."
    assert _stack_names(cfn) == []
