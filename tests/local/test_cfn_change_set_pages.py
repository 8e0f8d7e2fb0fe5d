"""DescribeChangeSet pages its changes, 100 at a time, and twophase reads every page.

AWS behaviour (CloudFormation API reference, DescribeChangeSet,
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeChangeSet.html:
`NextToken` "identifies the next page of changes. If there is no additional page, this value is
null"): a change set of more than 100 resource changes comes back 100 per page with a `NextToken`;
the same call with that token returns the next page, with the change set's other fields again.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body
from twophase.aws.cloudformation import CloudFormation

QUEUES = 230


def _template(count: int) -> dict[str, Any]:
    return {
        "Resources": {
            f"Queue{n:03}": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": f"q{n}"}}
            for n in range(count)
        }
    }


def _create(cfn: Any) -> str:
    made = cfn.create_change_set(
        StackName="s",
        ChangeSetName="big",
        TemplateBody=body(_template(QUEUES)),
        ChangeSetType="CREATE",
    )
    return str(made["Id"])


def test_a_large_change_set_comes_in_pages_of_100(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _create(cfn)

    first = cfn.describe_change_set(StackName="s", ChangeSetName="big")
    second = cfn.describe_change_set(
        StackName="s", ChangeSetName="big", NextToken=first["NextToken"]
    )
    third = cfn.describe_change_set(
        StackName="s", ChangeSetName="big", NextToken=second["NextToken"]
    )

    assert [len(p["Changes"]) for p in (first, second, third)] == [100, 100, 30]
    assert "NextToken" not in third
    assert third["ChangeSetName"] == "big" and third["Status"] == "CREATE_COMPLETE"
    ids = [
        c["ResourceChange"]["LogicalResourceId"]
        for p in (first, second, third)
        for c in p["Changes"]
    ]
    assert ids == [f"Queue{n:03}" for n in range(QUEUES)]


def test_botocores_paginator_gets_every_change(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _create(cfn)

    whole = cfn.get_paginator("describe_change_set").paginate(StackName="s", ChangeSetName="big")

    assert len(whole.build_full_result()["Changes"]) == QUEUES


def test_a_small_change_set_has_one_page(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    cfn.create_change_set(
        StackName="s",
        ChangeSetName="small",
        TemplateBody=body(_template(3)),
        ChangeSetType="CREATE",
    )

    described = cfn.describe_change_set(StackName="s", ChangeSetName="small")

    assert len(described["Changes"]) == 3 and "NextToken" not in described


def test_an_unknown_token_is_refused(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _create(cfn)

    with pytest.raises(ClientError) as caught:
        cfn.describe_change_set(StackName="s", ChangeSetName="big", NextToken="999")

    assert caught.value.response["Error"]["Code"] == "ValidationError"


def test_twophase_reads_every_page_of_a_change_set(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    change_set_id = _create(cfn)

    read = CloudFormation(cfn, sleep=lambda _: None).wait_change_set(change_set_id, "s")

    assert len(read.changes) == QUEUES
    assert {c.action for c in read.changes} == {"Add"}
