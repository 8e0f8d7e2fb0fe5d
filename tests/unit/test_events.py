"""Generated events look like what API Gateway, SQS and EventBridge deliver."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from twophase.events import Where, event_for, http_event, queue_event, schedule_event

WHERE = Where(account="123456789012", region="eu-west-1", physical="shop-dev-api")


def test_an_http_event_follows_the_route_with_its_parameters_filled() -> None:
    event: Any = http_event(WHERE, "GET /orders/{id}/lines/{line}", body='{"a": 1}')

    assert event["version"] == "2.0" and event["routeKey"] == "GET /orders/{id}/lines/{line}"
    assert event["rawPath"] == "/orders/1/lines/1"
    assert event["pathParameters"] == {"id": "1", "line": "1"}
    assert event["requestContext"]["http"]["method"] == "GET"
    assert event["requestContext"]["accountId"] == "123456789012"
    assert event["requestContext"]["domainName"].endswith(".execute-api.eu-west-1.amazonaws.com")
    assert event["body"] == '{"a": 1}' and event["isBase64Encoded"] is False


@pytest.mark.parametrize(
    ("route", "method", "path"),
    [("ANY /{proxy+}", "GET", "/example"), ("$default", "GET", "/"), ("DELETE /x", "DELETE", "/x")],
)
def test_http_methods_and_paths(route: str, method: str, path: str) -> None:
    event: Any = http_event(WHERE, route)

    assert (event["requestContext"]["http"]["method"], event["rawPath"]) == (method, path)
    assert "body" not in event


def test_a_queue_event_is_a_batch_of_one_message_from_the_functions_region() -> None:
    event: Any = queue_event(WHERE, body="order 42")
    [record] = event["Records"]

    assert record["eventSource"] == "aws:sqs" and record["body"] == "order 42"
    assert record["md5OfBody"] == hashlib.md5(b"order 42", usedforsecurity=False).hexdigest()
    assert record["eventSourceARN"].startswith("arn:aws:sqs:eu-west-1:123456789012:")


def test_the_default_queue_message_is_a_json_object_with_an_id() -> None:
    """What `twophase invoke` sends a queue consumer without --body: a consumer that processes
    messages by id (the example worker does) takes it."""
    event: Any = queue_event(WHERE)
    [record] = event["Records"]

    message = json.loads(record["body"])
    assert isinstance(message, dict) and message["id"]
    assert (
        record["md5OfBody"]
        == hashlib.md5(record["body"].encode(), usedforsecurity=False).hexdigest()
    )


def test_a_schedule_event_comes_from_a_rule() -> None:
    event: Any = schedule_event(WHERE)

    assert (event["source"], event["detail-type"]) == ("aws.events", "Scheduled Event")
    assert event["resources"] == ["arn:aws:events:eu-west-1:123456789012:rule/shop-dev-api"]


def test_a_direct_event_is_the_body_or_empty() -> None:
    assert event_for("direct", WHERE) == {}
    assert event_for("direct", WHERE, body='{"n": 3}') == {"n": 3}
    assert json.dumps(event_for("queue", WHERE))  # serialisable as sent
