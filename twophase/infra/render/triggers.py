"""Trigger resources, each wired to the function's serving alias (the last of the alias chain).

Triggers call the alias, never `$LATEST` nor a version: moving the alias (phase two) is what ships
code to traffic, and phase one never moves it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twophase.config.model import Function, HttpTrigger, QueueTrigger
from twophase.infra.render.function import Resources, get_att, ref, statement
from twophase.names import FunctionIds, route_ids

SQS_CONSUMER_ACTIONS = [
    "sqs:ReceiveMessage",
    "sqs:DeleteMessage",
    "sqs:GetQueueAttributes",
    "sqs:ChangeMessageVisibility",
]
DLQ_RETENTION_SECONDS = 1209600  # 14 days, SQS's maximum: time to look at failed messages
MAX_VISIBILITY_TIMEOUT = 43200


@dataclass
class TriggerParts:
    resources: Resources = field(default_factory=dict)
    statements: list[dict[str, Any]] = field(default_factory=list)  # for the execution role
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)


def trigger_parts(
    fn: Function, ids: FunctionIds, physical: str, alias: str, *, serves_code: bool = True
) -> TriggerParts:
    """The trigger of `fn`, calling `alias` (the logical id of the serving alias).
    `serves_code`: whether that alias serves pushed code (not the dummy) today."""
    trigger = fn.trigger
    if trigger is None:
        return TriggerParts()
    if trigger.http is not None:
        return _http(trigger.http, ids, physical, alias)
    if trigger.queue is not None:
        return _queue(trigger.queue, fn, ids, alias, serves_code)
    if trigger.schedule is not None:
        return _schedule(trigger.schedule, ids, physical, alias)
    return TriggerParts()


def _http(http: HttpTrigger, ids: FunctionIds, physical: str, alias: str) -> TriggerParts:
    api = ids.http_api
    resources: Resources = {
        api: {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {"Name": physical, "ProtocolType": "HTTP"},
        },
        ids.http_integration: {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {
                "ApiId": ref(api),
                "IntegrationType": "AWS_PROXY",
                "IntegrationUri": ref(alias),
                "PayloadFormatVersion": "2.0",
            },
        },
        ids.http_stage: {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": ref(api), "StageName": "$default", "AutoDeploy": True},
        },
        ids.http_permission: {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": ref(alias),
                "Principal": "apigateway.amazonaws.com",
                "SourceArn": {
                    "Fn::Sub": f"arn:${{AWS::Partition}}:execute-api:${{AWS::Region}}:"
                    f"${{AWS::AccountId}}:${{{api}}}/*"
                },
            },
        },
    }
    target = {"Fn::Join": ["/", ["integrations", ref(ids.http_integration)]]}
    for route, logical_id in route_ids(ids, http.routes).items():
        resources[logical_id] = {
            "Type": "AWS::ApiGatewayV2::Route",
            "Properties": {"ApiId": ref(api), "RouteKey": route, "Target": target},
        }
    outputs = {
        ids.out_api_endpoint: {
            "Description": "HTTP API endpoint",
            # What GetAtt ApiEndpoint returns, spelt out: the same value on AWS, and it needs no
            # attribute support from local emulators.
            "Value": {
                "Fn::Sub": f"https://${{{api}}}.execute-api.${{AWS::Region}}.${{AWS::URLSuffix}}"
            },
        }
    }
    return TriggerParts(resources=resources, outputs=outputs)


def _queue(
    queue: QueueTrigger, fn: Function, ids: FunctionIds, alias: str, serves_code: bool
) -> TriggerParts:
    """A queue of its own (with a dead-letter queue), or one of the shared template. A dummy
    consumer raises, so its own queue's messages retry and reach the dead-letter queue; on a
    shared queue, which other producers may fill already, the mapping is kept disabled until the
    alias it calls serves pushed code, so the dummy never eats real messages."""
    parts = TriggerParts()
    queue_id = queue.queue or ids.queue
    if queue.queue is None:
        visibility = min(MAX_VISIBILITY_TIMEOUT, max(30, 6 * fn.timeout))
        parts.resources[ids.dead_letter_queue] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "MessageRetentionPeriod": DLQ_RETENTION_SECONDS,
                "SqsManagedSseEnabled": True,
            },
        }
        parts.resources[ids.queue] = {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                # Lambda's advice: at least six times the function timeout, so a batch being
                # retried is not delivered to a second consumer meanwhile.
                "VisibilityTimeout": visibility,
                "SqsManagedSseEnabled": True,
                "RedrivePolicy": {
                    "deadLetterTargetArn": get_att(ids.dead_letter_queue, "Arn"),
                    "maxReceiveCount": queue.max_receive_count,
                },
            },
        }
        parts.outputs[ids.out_queue_url] = {"Description": "Queue URL", "Value": ref(ids.queue)}
    mapping: dict[str, Any] = {
        "EventSourceArn": get_att(queue_id, "Arn"),
        "FunctionName": ref(alias),
        "BatchSize": queue.batch_size,
        "Enabled": queue.queue is None or serves_code,
    }
    if queue.batching_window:
        mapping["MaximumBatchingWindowInSeconds"] = queue.batching_window
    if queue.report_batch_item_failures:
        # Only the messages the function names in `batchItemFailures` are retried; an error (the
        # dummy raises) still fails, and retries, the whole batch.
        mapping["FunctionResponseTypes"] = ["ReportBatchItemFailures"]
    parts.resources[ids.event_source_mapping] = {
        "Type": "AWS::Lambda::EventSourceMapping",
        "Properties": mapping,
    }
    parts.statements.append(statement(SQS_CONSUMER_ACTIONS, get_att(queue_id, "Arn")))
    return parts


def _schedule(expression: str, ids: FunctionIds, physical: str, alias: str) -> TriggerParts:
    rule = ids.schedule
    resources: Resources = {
        rule: {
            "Type": "AWS::Events::Rule",
            "Properties": {
                "Description": f"Schedule of {physical}",
                "ScheduleExpression": expression,
                "State": "ENABLED",
                "Targets": [{"Arn": ref(alias), "Id": "serving-alias"}],
            },
        },
        ids.schedule_permission: {
            "Type": "AWS::Lambda::Permission",
            "Properties": {
                "Action": "lambda:InvokeFunction",
                "FunctionName": ref(alias),
                "Principal": "events.amazonaws.com",
                "SourceArn": get_att(rule, "Arn"),
            },
        },
    }
    return TriggerParts(resources=resources)
