"""Realistic events for `twophase invoke`: what API Gateway, SQS and EventBridge would send.

Each builder returns the event as AWS delivers it to a handler (HTTP API payload 2.0, an SQS batch
of one message, an EventBridge scheduled event), so the function (or its dummy) sees exactly what
its trigger will give it.
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime

KINDS = ("http", "queue", "schedule", "direct")
_PARAM = re.compile(r"\{([^}+]+)(\+?)\}")


@dataclass(frozen=True)
class Where:
    """Where the event comes from: the function's account and region, and names in ARNs."""

    account: str
    region: str
    physical: str  # the function's name, `<app>-<env>-<function>`


def http_event(where: Where, route: str, body: str | None = None) -> dict[str, object]:
    """An HTTP API (payload 2.0) request matching `route` ("GET /orders/{id}" or "$default");
    path parameters are filled with `1` (a `{proxy+}` with `example`)."""
    method, _, template = route.partition(" ")
    if route == "$default" or not template:
        method, template = "GET", "/"
    method = "GET" if method == "ANY" else method
    params = {m.group(1): ("example" if m.group(2) else "1") for m in _PARAM.finditer(template)}
    path = _PARAM.sub(lambda m: "example" if m.group(2) else "1", template)
    now = datetime.now(UTC)
    api = hashlib.sha256(where.physical.encode()).hexdigest()[:10]
    domain = f"{api}.execute-api.{where.region}.amazonaws.com"
    event: dict[str, object] = {
        "version": "2.0",
        "routeKey": route,
        "rawPath": path,
        "rawQueryString": "",
        "headers": {
            "accept": "application/json",
            "host": domain,
            "user-agent": "twophase-invoke",
            "x-forwarded-proto": "https",
        },
        "requestContext": {
            "accountId": where.account,
            "apiId": api,
            "domainName": domain,
            "domainPrefix": api,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "198.51.100.7",
                "userAgent": "twophase-invoke",
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": route,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if params:
        event["pathParameters"] = params
    if body is not None:
        event["body"] = body
        event["headers"]["content-type"] = "application/json"  # type: ignore[index]
    return event


def queue_event(where: Where, body: str | None = None) -> dict[str, object]:
    """An SQS batch of one message, as an event source mapping delivers it. The message is `body`,
    by default a JSON object with an `id`, as most queue messages carry one."""
    if body is None:
        body = json.dumps(
            {"id": f"msg-{uuid.uuid4().hex[:8]}", "note": "a test message from twophase invoke"}
        )
    sent = str(int(datetime.now(UTC).timestamp() * 1000))
    return {
        "Records": [
            {
                "messageId": str(uuid.uuid4()),
                "receiptHandle": "twophase-invoke-" + uuid.uuid4().hex,
                "body": body,
                "attributes": {
                    "ApproximateReceiveCount": "1",
                    "SentTimestamp": sent,
                    "SenderId": where.account,
                    "ApproximateFirstReceiveTimestamp": sent,
                },
                "messageAttributes": {},
                "md5OfBody": hashlib.md5(body.encode(), usedforsecurity=False).hexdigest(),
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{where.region}:{where.account}:{where.physical}",
                "awsRegion": where.region,
            }
        ]
    }


def schedule_event(where: Where) -> dict[str, object]:
    """An EventBridge scheduled event from the function's rule."""
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": where.account,
        "time": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": where.region,
        "resources": [f"arn:aws:events:{where.region}:{where.account}:rule/{where.physical}"],
        "detail": {},
    }


def event_for(
    kind: str, where: Where, *, route: str | None = None, body: str | None = None
) -> object:
    """The event of `kind` (one of KINDS); `direct` is the body as JSON, else `{}`."""
    if kind == "http":
        return http_event(where, route or "ANY /{proxy+}", body)
    if kind == "queue":
        return queue_event(where, body)
    if kind == "schedule":
        return schedule_event(where)
    return json.loads(body) if body else {}
