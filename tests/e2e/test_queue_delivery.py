"""A queue message reaches the code `alias promote` put behind `live`, through the alias mapping.

AWS behaviour (Lambda developer guide, "Using Lambda aliases in event sources and permissions
policies", https://docs.aws.amazon.com/lambda/latest/dg/using-aliases.html): phase one maps the
worker's queue to its `live` alias; the mapping keeps the alias, so when `alias promote` moves
`live` to the pushed version, the next message runs the pushed code without touching the mapping.
Before that, `live` serves the dummy, which raises `FunctionHasNoCode`: the message stays in the
queue (in flight until its visibility timeout ends).

Observed through the function's log group, where the worker (examples/shop/services/worker) logs
`{"processed": [order ids], "table": TABLE}` for each batch it handled.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli

LOG_GROUP = "/aws/lambda/shop-local-worker"


def _messages(logs: Any) -> list[str]:
    try:
        events = logs.filter_log_events(logGroupName=LOG_GROUP)["events"]
    except logs.exceptions.ResourceNotFoundException:
        return []
    return [str(e["message"]) for e in events]


def _wait_for_log(logs: Any, text: str, timeout: float = 30.0) -> list[str]:
    deadline = time.monotonic() + timeout
    found = _messages(logs)
    while not any(text in m for m in found):
        assert time.monotonic() < deadline, f"{text!r} never logged: {found}"
        time.sleep(0.1)
        found = _messages(logs)
    return found


def _queue_counts(sqs: Any, url: str) -> tuple[int, int]:
    names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
    got = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
    return int(got[names[0]]), int(got[names[1]])


def test_after_push_and_promote_a_queue_message_runs_the_promoted_code(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    clients = local_aws.clients()
    sqs, logs, lam = clients.client("sqs"), clients.client("logs"), clients.client("lambda")
    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 0, up.stderr
    stack = clients.client("cloudformation").describe_stacks(StackName="shop-local")["Stacks"][0]
    url = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}["WorkerQueueUrl"]
    [mapping] = [
        m
        for m in lam.list_event_source_mappings()["EventSourceMappings"]
        if ":function:shop-local-worker:" in m["FunctionArn"]
    ]
    assert mapping["FunctionArn"].endswith(":function:shop-local-worker:live")

    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": "order-before"}))
    _wait_for_log(logs, "FunctionHasNoCode")  # live serves the dummy
    deadline = time.monotonic() + 10
    while _queue_counts(sqs, url) != (0, 1):  # not deleted: in flight, to be retried
        assert time.monotonic() < deadline, _queue_counts(sqs, url)
        time.sleep(0.1)

    assert run_cli(capsys, "push", "worker").exit_code == 0
    promoted = run_cli(capsys, "alias", "promote", "worker")
    assert promoted.exit_code == 0, promoted.stderr
    live = lam.get_alias(FunctionName="shop-local-worker", Name="live")["FunctionVersion"]
    assert live != "1"

    sqs.send_message(QueueUrl=url, MessageBody=json.dumps({"id": "order-after"}))
    handled = _wait_for_log(logs, '"processed":["order-after"]')
    assert not any("order-before" in m and "processed" in m for m in handled)
    kept = lam.get_event_source_mapping(UUID=mapping["UUID"])["FunctionArn"]
    assert kept == mapping["FunctionArn"]
    deadline = time.monotonic() + 10
    while _queue_counts(sqs, url) != (0, 1):  # order-after deleted; order-before still in flight
        assert time.monotonic() < deadline, _queue_counts(sqs, url)
        time.sleep(0.1)
