"""An SQS mapping keeps the alias it was given and delivers to the alias's version(s) of the moment.

AWS behaviour (Lambda developer guide, "Using Lambda aliases in event sources and permissions
policies", https://docs.aws.amazon.com/lambda/latest/dg/using-aliases.html: "If you specify a
Lambda function alias in the mapping configuration, you don't need to update the mapping when the
function version changes"; "Using Lambda with Amazon SQS",
https://docs.aws.amazon.com/lambda/latest/dg/with-sqs.html; "Handling errors for an SQS event
source in Lambda", https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html):
a mapping created with an alias ARN (CreateEventSourceMapping, or AWS::Lambda::EventSourceMapping)
reads back with that ARN as `FunctionArn`; each batch runs the version the alias points to when it
is delivered, split by the alias's routing weights; a disabled mapping delivers nothing and its
messages wait in the queue until it is enabled; a processed batch is deleted from the queue, a
failed one stays (only the reported items with ReportBatchItemFailures); a deleted mapping
delivers nothing.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, role_resource, zip_bytes
from tests.local.test_lambda_invoke import ROLE, role_arn
from twophase.build.detzip import Entry, build_zip

ACCOUNT = "123456789012"
LIVE = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker:live"

HANDLER = """
import json, os
RELEASE = {release}
def handler(event, context):
    failures = []
    with open(os.environ["OUT"], "a") as out:
        for r in event["Records"]:
            out.write(json.dumps({{
                "release": RELEASE, "version": context.function_version, "body": r["body"],
                "arn": context.invoked_function_arn, "source": r["eventSourceARN"],
            }}) + "\\n")
            if r["body"] == "raise":
                raise ValueError("cannot handle it")
            if r["body"] == "bad":
                failures.append({{"itemIdentifier": r["messageId"]}})
    return {{"batchItemFailures": failures}}
"""


def source(release: int) -> bytes:
    return build_zip([Entry("app.py", HANDLER.format(release=release).encode())])


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


class World:
    def __init__(self, local_aws: LocalAwsHandle, out: Path) -> None:
        clients = local_aws.clients()
        self.lam = clients.client("lambda")
        self.sqs = clients.client("sqs")
        self.cfn = clients.client("cloudformation")
        self.out = out

    def deliveries(self) -> list[dict[str, Any]]:
        if not self.out.exists():
            return []
        return [json.loads(line) for line in self.out.read_text().splitlines()]

    def wait_for_deliveries(self, count: int) -> list[dict[str, Any]]:
        wait_for(lambda: len(self.deliveries()) >= count)
        return self.deliveries()

    def counts(self, url: str) -> tuple[int, int]:
        """(visible, in flight) messages of the queue."""
        names = ["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"]
        got = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]
        return int(got[names[0]]), int(got[names[1]])

    def queue(self, name: str = "orders") -> tuple[str, str]:
        url = self.sqs.create_queue(QueueName=name)["QueueUrl"]
        arn = self.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        return url, arn["Attributes"]["QueueArn"]

    def worker(self, releases: int = 2) -> None:
        """`worker` with versions 1..releases (release N runs as version N), alias live → 1."""
        self.lam.create_function(
            FunctionName="worker",
            Runtime="python3.12",
            Role=ROLE,
            Handler="app.handler",
            Code={"ZipFile": source(1)},
            Environment={"Variables": {"OUT": str(self.out)}},
        )
        for release in range(1, releases + 1):
            if release > 1:
                self.lam.update_function_code(FunctionName="worker", ZipFile=source(release))
            assert self.lam.publish_version(FunctionName="worker")["Version"] == str(release)
        self.lam.create_alias(FunctionName="worker", Name="live", FunctionVersion="1")


@pytest.fixture
def world(local_aws: LocalAwsHandle, tmp_path: Path) -> World:
    role_arn(local_aws.clients())
    return World(local_aws, tmp_path / "deliveries.jsonl")


def test_the_mapping_keeps_the_alias_arn_and_follows_the_alias(world: World) -> None:
    world.worker()
    url, queue_arn = world.queue()
    created = world.lam.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=LIVE, BatchSize=1
    )
    assert created["FunctionArn"] == LIVE
    assert world.lam.get_event_source_mapping(UUID=created["UUID"])["FunctionArn"] == LIVE
    [listed] = world.lam.list_event_source_mappings()["EventSourceMappings"]
    assert listed["FunctionArn"] == LIVE

    world.sqs.send_message(QueueUrl=url, MessageBody="before")
    [first] = world.wait_for_deliveries(1)
    assert (first["release"], first["version"], first["arn"]) == (1, "1", LIVE)
    assert first["source"] == queue_arn

    world.lam.update_alias(FunctionName="worker", Name="live", FunctionVersion="2")
    world.sqs.send_message(QueueUrl=url, MessageBody="after")
    second = world.wait_for_deliveries(2)[1]
    assert (second["body"], second["release"], second["version"]) == ("after", 2, "2")
    assert world.lam.get_event_source_mapping(UUID=created["UUID"])["FunctionArn"] == LIVE
    wait_for(lambda: world.counts(url) == (0, 0))  # processed batches are deleted


def test_an_unqualified_name_keeps_the_function_arn_and_runs_latest(world: World) -> None:
    world.worker()
    world.lam.update_function_code(FunctionName="worker", ZipFile=source(3))
    url, queue_arn = world.queue()
    created = world.lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName="worker")
    assert created["FunctionArn"] == f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:worker"
    world.sqs.send_message(QueueUrl=url, MessageBody="m")
    [delivery] = world.wait_for_deliveries(1)
    assert (delivery["release"], delivery["version"]) == (3, "$LATEST")


def test_a_weighted_alias_splits_the_deliveries_by_its_weights(world: World) -> None:
    world.worker()
    world.lam.update_alias(
        FunctionName="worker",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}},
    )
    url, queue_arn = world.queue()
    world.lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=LIVE, BatchSize=1)
    for n in range(3):
        world.sqs.send_message(QueueUrl=url, MessageBody=f"all-to-2-{n}")
    assert {d["version"] for d in world.wait_for_deliveries(3)} == {"2"}

    world.lam.update_alias(
        FunctionName="worker",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    for n in range(24):  # both versions are drawn, but with probability 2 * 2**-24
        world.sqs.send_message(QueueUrl=url, MessageBody=f"half-{n}")
    split = world.wait_for_deliveries(27)[3:]
    assert {d["version"] for d in split} == {"1", "2"}
    assert all(d["release"] == int(d["version"]) for d in split)


def test_a_disabled_mapping_delivers_nothing_until_it_is_enabled(world: World) -> None:
    world.worker()
    url, queue_arn = world.queue()
    mapping = world.lam.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=LIVE, Enabled=False
    )
    assert mapping["State"] == "Disabled"
    world.sqs.send_message(QueueUrl=url, MessageBody="waits")
    time.sleep(1.0)
    assert world.deliveries() == []
    assert world.counts(url) == (1, 0)

    world.lam.update_alias(FunctionName="worker", Name="live", FunctionVersion="2")
    world.lam.update_event_source_mapping(UUID=mapping["UUID"], Enabled=True)
    [delivery] = world.wait_for_deliveries(1)
    assert (delivery["body"], delivery["version"]) == ("waits", "2")
    wait_for(lambda: world.counts(url) == (0, 0))


def test_a_deleted_mapping_delivers_nothing(world: World) -> None:
    world.worker()
    url, queue_arn = world.queue()
    mapping = world.lam.create_event_source_mapping(EventSourceArn=queue_arn, FunctionName=LIVE)
    world.lam.delete_event_source_mapping(UUID=mapping["UUID"])
    world.sqs.send_message(QueueUrl=url, MessageBody="nobody")
    time.sleep(1.0)
    assert world.deliveries() == []
    assert world.counts(url) == (1, 0)


def test_a_failed_batch_stays_in_the_queue_and_reported_items_only_are_kept(
    world: World,
) -> None:
    world.worker(releases=1)
    url, queue_arn = world.queue()
    mapping = world.lam.create_event_source_mapping(
        EventSourceArn=queue_arn, FunctionName=LIVE, BatchSize=10
    )
    world.sqs.send_message(QueueUrl=url, MessageBody="bad")
    world.wait_for_deliveries(1)
    wait_for(lambda: world.counts(url) == (0, 0))  # a response the mapping did not ask for

    world.lam.update_event_source_mapping(
        UUID=mapping["UUID"], FunctionResponseTypes=["ReportBatchItemFailures"]
    )
    world.sqs.send_message(QueueUrl=url, MessageBody="bad")
    world.wait_for_deliveries(2)
    wait_for(lambda: world.counts(url) == (0, 1))  # the reported message stays, in flight

    world.sqs.send_message(QueueUrl=url, MessageBody="raise")
    world.wait_for_deliveries(3)
    wait_for(lambda: world.counts(url) == (0, 2))  # an error keeps the whole batch


def test_a_cloudformation_mapping_on_an_alias_keeps_it(world: World) -> None:
    inline = {"ZipFile": "def handler(event, context):\n    return None\n"}
    template = {
        "Resources": {
            "Role": role_resource(),
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "worker",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": inline,
                    "Environment": {"Variables": {"OUT": str(world.out)}},
                },
            },
            "Ver": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
            "Live": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "FunctionVersion": {"Fn::GetAtt": ["Ver", "Version"]},
                    "Name": "live",
                },
            },
            "Queue": {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": "orders"}},
            "Mapping": {
                "Type": "AWS::Lambda::EventSourceMapping",
                "Properties": {
                    "EventSourceArn": {"Fn::GetAtt": ["Queue", "Arn"]},
                    "FunctionName": {"Ref": "Live"},
                    "BatchSize": 1,
                },
            },
        }
    }
    world.cfn.create_stack(StackName="s", TemplateBody=body(template))
    assert final_status(world.cfn, "s") == "CREATE_COMPLETE"
    [mapping] = world.lam.list_event_source_mappings()["EventSourceMappings"]
    assert mapping["FunctionArn"] == LIVE

    world.lam.update_function_code(
        FunctionName="worker", ZipFile=zip_bytes(HANDLER.format(release=2), "index.py")
    )
    version = world.lam.publish_version(FunctionName="worker")["Version"]
    world.lam.update_alias(FunctionName="worker", Name="live", FunctionVersion=version)
    url = world.sqs.get_queue_url(QueueName="orders")["QueueUrl"]
    world.sqs.send_message(QueueUrl=url, MessageBody="promoted")
    [delivery] = world.wait_for_deliveries(1)
    assert (delivery["release"], delivery["version"], delivery["arn"]) == (2, version, LIVE)

    disabled = json.loads(body(template))
    disabled["Resources"]["Mapping"]["Properties"]["Enabled"] = False
    world.cfn.update_stack(StackName="s", TemplateBody=body(disabled))
    assert final_status(world.cfn, "s") == "UPDATE_COMPLETE"
    [mapping] = world.lam.list_event_source_mappings()["EventSourceMappings"]
    assert (mapping["FunctionArn"], mapping["State"]) == (LIVE, "Disabled")
    world.sqs.send_message(QueueUrl=url, MessageBody="held")
    time.sleep(1.0)
    assert len(world.deliveries()) == 1
    assert world.counts(url) == (1, 0)
