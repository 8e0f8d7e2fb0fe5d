"""The thin CloudFormation client against botocore's Stubber: a change set is read page by page.

AWS behaviour (CloudFormation API reference, DescribeChangeSet: `NextToken` "identifies the next
page of changes. If there is no additional page, this value is null."
https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeChangeSet.html):
a change set of more than 100 resource changes is returned in pages; the reader must send each
page's `NextToken` back, with the same change set and stack, until none comes.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from twophase.aws.cloudformation import CloudFormation
from twophase.errors import AwsError

STACK = "shop-dev"
CS = "arn:aws:cloudformation:eu-west-1:123456789012:changeSet/twophase-1/abc"


def _queue_change(n: int) -> dict[str, Any]:
    return {
        "Type": "Resource",
        "ResourceChange": {
            "Action": "Add",
            "LogicalResourceId": f"Queue{n}",
            "ResourceType": "AWS::SQS::Queue",
        },
    }


def _page(first: int, last: int, status: str = "CREATE_COMPLETE", **extra: Any) -> dict[str, Any]:
    return {
        "ChangeSetId": CS,
        "StackName": STACK,
        "Status": status,
        "ExecutionStatus": "AVAILABLE",
        "Changes": [_queue_change(n) for n in range(first, last)],
        **extra,
    }


@pytest.fixture
def boto_cfn() -> Any:
    return boto3.client(
        "cloudformation", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


@pytest.fixture
def stub(boto_cfn: Any) -> Iterator[Stubber]:
    with Stubber(boto_cfn) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_a_two_page_change_set_is_read_whole(boto_cfn: Any, stub: Stubber) -> None:
    first = {"ChangeSetName": CS, "StackName": STACK}
    stub.add_response("describe_change_set", _page(0, 100, NextToken="t1"), first)
    stub.add_response("describe_change_set", _page(100, 130), {**first, "NextToken": "t1"})

    cs = CloudFormation(boto_cfn, sleep=lambda _: None).wait_change_set(CS, STACK)

    assert [c.logical_id for c in cs.changes] == [f"Queue{n}" for n in range(130)]
    assert (cs.status, cs.id) == ("CREATE_COMPLETE", CS)


def test_pages_are_read_once_the_change_set_is_created(boto_cfn: Any, stub: Stubber) -> None:
    first = {"ChangeSetName": CS, "StackName": STACK}
    sleeps: list[float] = []
    stub.add_response("describe_change_set", _page(0, 0, status="CREATE_IN_PROGRESS"), first)
    stub.add_response("describe_change_set", _page(0, 100, NextToken="t1"), first)
    stub.add_response(
        "describe_change_set", _page(100, 200, NextToken="t2"), {**first, "NextToken": "t1"}
    )
    stub.add_response("describe_change_set", _page(200, 201), {**first, "NextToken": "t2"})

    cs = CloudFormation(boto_cfn, sleep=sleeps.append).wait_change_set(CS, STACK)

    assert len(cs.changes) == 201
    assert len(sleeps) == 1


def test_a_failing_page_is_an_aws_error(boto_cfn: Any, stub: Stubber) -> None:
    first = {"ChangeSetName": CS, "StackName": STACK}
    stub.add_response("describe_change_set", _page(0, 100, NextToken="t1"), first)
    stub.add_client_error(
        "describe_change_set",
        service_error_code="ChangeSetNotFound",
        service_message=f"ChangeSet [{CS}] does not exist",
        http_status_code=404,
        expected_params={**first, "NextToken": "t1"},
    )

    with pytest.raises(AwsError):
        CloudFormation(boto_cfn, sleep=lambda _: None).wait_change_set(CS, STACK)


def test_a_change_set_not_ready_by_its_deadline_is_an_error_that_says_so(
    boto_cfn: Any, stub: Stubber, monkeypatch: pytest.MonkeyPatch
) -> None:
    import twophase.aws.cloudformation as cloudformation

    monkeypatch.setattr(cloudformation, "CHANGE_SET_DEADLINE", 0)
    stub.add_response("describe_change_set", _page(0, 0, status="CREATE_PENDING"))
    cfn = CloudFormation(boto_cfn, sleep=lambda _: None)
    with pytest.raises(AwsError, match="still CREATE_PENDING after 0 minutes"):
        cfn.wait_change_set(CS, STACK)


def _stack(status: str) -> dict[str, Any]:
    return {
        "Stacks": [
            {
                "StackName": STACK,
                "StackStatus": status,
                "CreationTime": "2026-12-01T00:00:00Z",
            }
        ]
    }


def test_a_stack_wait_reports_each_poll_and_ends_at_its_deadline(
    boto_cfn: Any, stub: Stubber
) -> None:
    """An update an earlier run left running is waited for with a deadline, and each poll says
    the status and the time waited (what a terminal shows), until the deadline ends it."""
    stub.add_response("describe_stacks", _stack("UPDATE_IN_PROGRESS"))
    stub.add_response("describe_stack_events", {"StackEvents": []})
    polls: list[tuple[str, float]] = []
    cfn = CloudFormation(boto_cfn, sleep=lambda _: None, timeout_seconds=0)
    with pytest.raises(AwsError, match="still UPDATE_IN_PROGRESS after waiting"):
        cfn.wait_stack(
            STACK, lambda _: None, on_poll=lambda s, waited, _: polls.append((s, waited))
        )
    assert [s for s, _ in polls] == ["UPDATE_IN_PROGRESS"]


def test_every_page_of_stacks_is_read_for_their_tags(boto_cfn: Any, stub: Stubber) -> None:
    """DescribeStacks without a name answers a page at a time (AWS, and the embedded AWS at 50):
    a preview on the second page is still found, and a deleted stack is left out."""
    from datetime import UTC, datetime

    def stack(name: str, status: str = "CREATE_COMPLETE") -> dict[str, Any]:
        created = datetime(2026, 5, 1, tzinfo=UTC)
        tags = [{"Key": "twophase:env", "Value": name}]
        return {"StackName": name, "StackStatus": status, "CreationTime": created, "Tags": tags}

    stub.add_response(
        "describe_stacks",
        {"Stacks": [stack("shop-dev"), stack("old", "DELETE_COMPLETE")], "NextToken": "t1"},
        {},
    )
    stub.add_response("describe_stacks", {"Stacks": [stack("shop-pr-7")]}, {"NextToken": "t1"})

    found = CloudFormation(boto_cfn, sleep=lambda _: None).tagged_stacks()

    assert [(s.name, s.tags["twophase:env"]) for s in found] == [
        ("shop-dev", "shop-dev"),
        ("shop-pr-7", "shop-pr-7"),
    ]


def test_a_nested_stack_is_not_listed_as_an_environment(boto_cfn: Any, stub: Stubber) -> None:
    """A nested stack carries its root's tags (AWS propagates stack tags to nested stacks) and
    names its root in `ParentId`: it is part of that environment, never one of its own."""
    from datetime import UTC, datetime

    created = datetime(2026, 5, 1, tzinfo=UTC)
    tags = [{"Key": "twophase:env", "Value": "prod"}]
    root = {"StackName": "shop-prod", "StackStatus": "UPDATE_COMPLETE", "CreationTime": created}
    child = {
        **root,
        "StackName": "shop-prod-FunctionsStack1-ABCDEF123456",
        "ParentId": "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-prod/1",
    }
    stub.add_response(
        "describe_stacks", {"Stacks": [{**root, "Tags": tags}, {**child, "Tags": tags}]}, {}
    )

    found = CloudFormation(boto_cfn, sleep=lambda _: None).tagged_stacks()

    assert [s.name for s in found] == ["shop-prod"]
