"""An enabled SQS event source mapping delivers the queue's messages to its function in batches.

AWS behaviour (Lambda developer guide, "Using Lambda with Amazon SQS",
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html, and "Handling errors for an SQS event
source in Lambda", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
Lambda polls the queue of every enabled mapping (a mapping with `Enabled: false` delivers nothing:
its messages wait in the queue until it is enabled), reads up to `BatchSize` messages and invokes
the mapping's function ARN synchronously, once per batch, with one event holding them all
(`Records`: messageId, receiptHandle, body, attributes, messageAttributes, md5OfBody, eventSource
`aws:sqs`, eventSourceARN, awsRegion). An alias ARN runs the version the alias points to at that
moment, split by its routing weights (see `lambda_event_source_mapping_alias`, `lambda_invoke`).
When the function succeeds, Lambda deletes the batch's messages; when it fails, all of them stay
in the queue and become visible again when the queue's visibility timeout ends (each receive counts
towards the redrive policy's maxReceiveCount). With `FunctionResponseTypes:
[ReportBatchItemFailures]`, a response `{"batchItemFailures": [{"itemIdentifier": ID}, ...]}` keeps
only those messages; an empty or null list, or a null response, is a complete success; a response
that is not a JSON object, or names an identifier that is empty, null or not in the batch, is a
complete failure.

moto 5.2.5 delivers each new message on its own, inside the SendMessage call (an error there fails
the send), to the version its mapping was pinned to at creation, keeps delivering through a deleted
mapping, and makes a failed message visible again at once.

The embedded AWS has no poller running all the time: it delivers after each SendMessage(Batch),
and when a mapping is created enabled or is enabled, in a background thread (SendMessage answers at
once, as on AWS), until no visible message is left. A message whose visibility timeout has ended is
delivered again at the next of those events.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
from contextvars import ContextVar
from typing import Any

from twophase.local.extensions._cfn_common import patch

log = logging.getLogger(__name__)

MAX_BATCHES_PER_DELIVERY = 1000  # a bound, should a function keep a queue full by itself
_HOST: ContextVar[str] = ContextVar("twophase_request_host", default="")
_locks: dict[tuple[str, str, str], threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(account: str, region: str, queue_arn: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault((account, region, queue_arn), threading.Lock())


def enabled_mappings(account: str, region: str, queue_arn: str) -> list[Any]:
    """The enabled mappings that read the queue `queue_arn`, oldest first."""
    from moto.awslambda.models import lambda_backends

    backend = lambda_backends[account][region]
    return [
        esm
        for esm in list(backend._event_source_mappings.values())
        if esm.event_source_arn == queue_arn and esm.enabled
    ]


def deliver_later(account: str, region: str, queue_arn: str) -> None:
    """Deliver the queue's visible messages to its enabled mappings, in a background thread."""
    if queue_arn.split(":")[2:3] != ["sqs"]:
        return
    if not enabled_mappings(account, region, queue_arn):
        return
    args = (account, region, queue_arn, _HOST.get())
    threading.Thread(target=deliver, args=args, name="twophase-sqs-delivery", daemon=True).start()


def deliver(account: str, region: str, queue_arn: str, host: str = "") -> None:
    """Deliver, one mapping after the other, until no visible message is left."""
    with _lock_for(account, region, queue_arn):
        try:
            for esm in enabled_mappings(account, region, queue_arn):
                _drain(esm, account, region, queue_arn, host)
        except Exception:  # the server was reset meanwhile, or the queue deleted
            log.debug("delivery from %s stopped", queue_arn, exc_info=True)


def _drain(esm: Any, account: str, region: str, queue_arn: str, host: str) -> None:
    from moto.sqs.models import sqs_backends

    sqs: Any = sqs_backends[account][region]
    queue: Any = next((q for q in sqs.queues.values() if q.queue_arn == queue_arn), None)
    for _ in range(MAX_BATCHES_PER_DELIVERY):
        if queue is None or esm not in enabled_mappings(account, region, queue_arn):
            return
        timeout = int(queue.visibility_timeout)
        messages = sqs.receive_message(queue.name, esm.batch_size, 0, timeout)
        if not messages:
            return
        failed = _invoke(esm, queue, messages, host)
        for message in messages:
            if message.id not in failed:
                sqs.delete_message(queue.name, message.receipt_handle)


def _invoke(esm: Any, queue: Any, messages: list[Any], host: str) -> set[str]:
    """Run the mapping's function on one batch; the ids of the messages that failed."""
    from moto.awslambda.models import lambda_backends

    ids = {m.id for m in messages}
    event = json.dumps({"Records": [record(m, queue) for m in messages]})
    response_headers: dict[str, Any] = {}
    try:
        payload: Any = lambda_backends[esm.account_id][esm.region].invoke(
            esm.function_arn, None, event, {"Host": host} if host else {}, response_headers
        )
    except Exception:  # not invocable (Pending, Inactive, cannot run locally): the batch failed
        log.debug("invoking %s failed", esm.function_arn, exc_info=True)
        return ids
    if "x-amz-function-error" in response_headers:
        return ids
    if "ReportBatchItemFailures" in (esm.function_response_types or []):
        return reported_failures(payload, ids)
    return set()


def reported_failures(payload: bytes | str | None, ids: set[str]) -> set[str]:
    """The messages a partial batch response keeps in the queue (all of them if it is invalid)."""
    try:
        response = json.loads(payload or b"null")
    except ValueError:
        return set(ids)
    if response is None:
        return set()
    if not isinstance(response, dict):
        return set(ids)
    failures = response.get("batchItemFailures")
    if not failures:
        return set()
    if not isinstance(failures, list):
        return set(ids)
    named = [f.get("itemIdentifier") if isinstance(f, dict) else None for f in failures]
    if any(not isinstance(i, str) or i not in ids for i in named):
        return set(ids)
    return {str(i) for i in named}


def record(message: Any, queue: Any) -> dict[str, Any]:
    """One message as Lambda's SQS event shows it."""
    attributes = {
        "ApproximateReceiveCount": str(message.approximate_receive_count),
        "SentTimestamp": str(message.sent_timestamp),
        "SenderId": str(message.sender_id),
        "ApproximateFirstReceiveTimestamp": str(message.approximate_first_receive_timestamp),
    }
    if queue.fifo_queue:
        fifo = {
            "MessageGroupId": message.group_id,
            "MessageDeduplicationId": message.deduplication_id,
            "SequenceNumber": message.sequence_number,
        }
        attributes.update({k: str(v) for k, v in fifo.items() if v is not None})
    found: dict[str, Any] = {
        "messageId": message.id,
        "receiptHandle": message.receipt_handle,
        "body": message.body,
        "attributes": attributes,
        "messageAttributes": {
            name: _attribute(value) for name, value in message.message_attributes.items()
        },
        "md5OfBody": message.body_md5,
        "eventSource": "aws:sqs",
        "eventSourceARN": queue.queue_arn,
        "awsRegion": queue.region,
    }
    if message.message_attributes:
        found["md5OfMessageAttributes"] = message.attribute_md5
    return found


def _attribute(value: dict[str, Any]) -> dict[str, Any]:
    shown: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value.get("DataType"),
    }
    if value.get("StringValue") is not None:
        shown["stringValue"] = value["StringValue"]
    binary = value.get("BinaryValue")
    if binary is not None:
        shown["binaryValue"] = (
            base64.b64encode(binary).decode() if isinstance(binary, bytes) else str(binary)
        )
    return shown


# -- the patches -------------------------------------------------------------------------------


def _remember_host(original: Any) -> Any:
    def setup_class(self: Any, request: Any, *args: Any, **kwargs: Any) -> Any:
        _HOST.set(str(getattr(request, "headers", {}).get("Host", "") or ""))
        return original(self, request, *args, **kwargs)

    return setup_class


def _deliver_new_messages(original: Any) -> Any:
    def add_message(self: Any, message: Any) -> None:
        original(self, message)
        deliver_later(self.account_id, self.region, self.queue_arn)

    return add_message


def _deliver_when_enabled_on_create(original: Any) -> Any:
    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        esm = original(self, spec)
        deliver_later(self.account_id, self.region_name, esm.event_source_arn)
        return esm

    return create_event_source_mapping


def _deliver_when_enabled_on_update(original: Any) -> Any:
    def update_event_source_mapping(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
        esm = original(self, uuid, spec)
        if esm is not None:
            deliver_later(self.account_id, self.region_name, esm.event_source_arn)
        return esm

    return update_event_source_mapping


def install() -> None:
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda.responses import LambdaResponse
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.sqs.models import Queue
    from moto.sqs.responses import SQSResponse

    # moto delivers inline through this per-queue registry: it is left empty, and the delivery
    # reads the Lambda backend's mappings instead (deleted or updated mappings included).
    registry: Any = property(lambda self: {}, lambda self, value: None)
    Queue.lambda_event_source_mappings = registry
    patch(Queue, "add_message", _deliver_new_messages)
    patch(LambdaBackend, "create_event_source_mapping", _deliver_when_enabled_on_create)
    patch(LambdaBackend, "update_event_source_mapping", _deliver_when_enabled_on_update)
    for response in (SQSResponse, LambdaResponse, CloudFormationResponse):
        patch(response, "setup_class", _remember_host)
