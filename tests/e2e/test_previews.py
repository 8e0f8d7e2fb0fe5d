"""Preview environments end to end on the embedded AWS (issue 17, "what it must show").

One run, three deploys: `dev`, then the previews `pr-1` and `pr-2` of the example app, made from
the pattern `preview: {match: "pr-*", from: dev, ttl: …}`: `pr-1` while the ttl is 1 day, `pr-2`
once it is 7 (a preview keeps the ttl it was made with). They run different code side by side,
each answering through its own HTTP API; `env list` shows both; with the clock set between their
expiries, `env prune` deletes `pr-1` (stack, functions, log groups) and `pr-2` still answers. `dev`
is untouched throughout: its stack, its functions' versions and aliases, every resource it holds.
And the artifact built once (`twophase build`) and pushed with `--artifact` to `dev` and to `pr-1`
has the same CodeSha256 in both.
"""

from __future__ import annotations

import json
import urllib.request
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import edit_config, run_cli, zip_with
from twophase.aws.session import Clients

DAY = 24 * 3600
OTHER_CODE = """\
import json


def handler(event, context):
    return {"statusCode": 200, "body": json.dumps({"preview": "pr-2"})}
"""


def call(url: str) -> tuple[int, Any]:
    try:
        with urllib.request.urlopen(url, timeout=60) as reply:
            return reply.status, json.loads(reply.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def cli_json(capsys: pytest.CaptureFixture[str], *args: str) -> dict[str, Any]:
    result = run_cli(capsys, "--output", "json", *args)
    assert result.exit_code == 0, f"{args}: {result.stderr}"
    envelope: dict[str, Any] = json.loads(result.stdout)
    assert envelope["status"] == "ok"
    return envelope


def deploy(capsys: pytest.CaptureFixture[str], env: str, artifact: Path) -> str:
    """`infra up` of `env`, push `artifact` as `api` and promote it; the API's endpoint."""
    up = cli_json(capsys, "-e", env, "infra", "up", "--yes")
    for command in (["push", "api", "--artifact", str(artifact)], ["alias", "promote", "api"]):
        cli_json(capsys, "-e", env, *command)
    return str(up["data"]["outputs"]["ApiApiEndpoint"])


def listed(capsys: pytest.CaptureFixture[str]) -> dict[str, dict[str, Any]]:
    data = cli_json(capsys, "env", "list")["data"]
    return {e["name"]: e for e in data["environments"]}


def served_sha256(clients: Clients, function: str, alias: str = "live") -> str:
    lam = clients.client("lambda")
    version = lam.get_alias(FunctionName=function, Name=alias)["FunctionVersion"]
    config = lam.get_function(FunctionName=function, Qualifier=version)["Configuration"]
    return str(config["CodeSha256"])


# --- what "untouched" means: the stack, and every resource it holds still there, unchanged ------


def stack_state(clients: Clients, stack: str) -> dict[str, Any]:
    cfn = clients.client("cloudformation")
    [described] = cfn.describe_stacks(StackName=stack)["Stacks"]
    pages = cfn.get_paginator("list_stack_resources").paginate(StackName=stack)
    resources = sorted(
        (r["ResourceType"], r["LogicalResourceId"], r["PhysicalResourceId"])
        for page in pages
        for r in page["StackResourceSummaries"]
    )
    return {
        "status": described["StackStatus"],
        "updated": described.get("LastUpdatedTime"),
        "resources": resources,
        "held": {logical: held(clients, kind, physical) for kind, logical, physical in resources},
    }


def held(clients: Clients, kind: str, physical: str) -> Any:
    """What the resource is now, read from its own service, or what its service says instead."""
    try:
        return _read(clients, kind, physical)
    except ClientError as error:
        return f"gone: {error.response['Error']['Code']}"


def _read(clients: Clients, kind: str, physical: str) -> Any:
    match kind:
        case "AWS::Lambda::Function":
            lam = clients.client("lambda")
            versions = lam.list_versions_by_function(FunctionName=physical)["Versions"]
            aliases = lam.list_aliases(FunctionName=physical)["Aliases"]
            return (
                [(v["Version"], v["CodeSha256"]) for v in versions],
                sorted(
                    (a["Name"], a["FunctionVersion"], str(a.get("RoutingConfig"))) for a in aliases
                ),
            )
        case "AWS::Logs::LogGroup":
            groups = clients.client("logs").describe_log_groups(logGroupNamePrefix=physical)
            return [g["logGroupName"] for g in groups["logGroups"] if g["logGroupName"] == physical]
        case "AWS::DynamoDB::Table":
            return clients.client("dynamodb").describe_table(TableName=physical)["Table"][
                "TableStatus"
            ]
        case "AWS::SNS::Topic":
            attributes = clients.client("sns").get_topic_attributes(TopicArn=physical)
            return attributes["Attributes"]["TopicArn"]
        case "AWS::SQS::Queue":
            sqs = clients.client("sqs")
            reply = sqs.get_queue_attributes(QueueUrl=physical, AttributeNames=["QueueArn"])
            return reply["Attributes"]["QueueArn"]
        case "AWS::IAM::Role":
            return clients.client("iam").get_role(RoleName=physical)["Role"]["Arn"]
        case "AWS::ApiGatewayV2::Api":
            return clients.client("apigatewayv2").get_api(ApiId=physical)["ApiEndpoint"]
    return None


def changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """What differs, one line each: `OrderEventsTopic: 'arn:…' -> 'gone: NotFound'`."""
    stack = {key: value for key, value in before.items() if key != "held"}
    held_before, held_after = before["held"], after["held"]
    return [
        f"{key}: {value!r} -> {after[key]!r}" for key, value in stack.items() if after[key] != value
    ] + [
        f"{logical}: {value!r} -> {held_after.get(logical)!r}"
        for logical, value in held_before.items()
        if held_after.get(logical) != value
    ]


def gone(clients: Clients, stack: str) -> bool:
    cfn = clients.client("cloudformation")
    live = [s for s in cfn.describe_stacks()["Stacks"] if s["StackStatus"] != "DELETE_COMPLETE"]
    return stack not in {s["StackName"] for s in live}


# --- the run -------------------------------------------------------------------------------------


@pytest.fixture
def with_previews(app: Path) -> Path:
    """The example app with `dev` and `prod` on the embedded AWS and previews made from `dev`
    (`env list` looks for each declared environment's stack, so none may name a missing profile)."""
    edit_config(
        app,
        environments__dev={"endpoint": "local", "parameters": {"Stage": "dev"}},
        environments__prod={
            "endpoint": "local",
            "protected": True,
            "parameters": {"Stage": "prod"},
        },
        environments__preview={"match": "pr-*", "from": "dev", "ttl": "1d"},
    )
    return app


def test_previews_side_by_side_one_pruned_past_its_ttl_and_dev_untouched(
    with_previews: Path,
    local_aws: LocalAwsHandle,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    clients = local_aws.clients()
    folder = with_previews.parent
    built = cli_json(capsys, "build", "api", "-o", "dist/api.zip")["data"]
    artifact = folder / "dist" / "api.zip"
    other = folder / "dist" / "other.zip"
    other.write_bytes(zip_with({"app.py": OTHER_CODE}))

    dev_url = deploy(capsys, "dev", artifact)
    dev = stack_state(clients, "shop-dev")

    first = deploy(capsys, "pr-1", artifact)
    # built once, pushed to two environments: the same bytes in both
    assert served_sha256(clients, "shop-dev-api") == built["code_sha256"]
    assert served_sha256(clients, "shop-pr-1-api") == built["code_sha256"]
    edit_config(with_previews, environments__preview__ttl="7d")
    second = deploy(capsys, "pr-2", other)
    assert served_sha256(clients, "shop-pr-2-api") != built["code_sha256"]

    assert len({dev_url, first, second}) == 3
    assert call(f"{first}/health") == (200, {"status": "ok"})
    assert call(f"{second}/health") == (200, {"preview": "pr-2"})
    assert call(f"{dev_url}/health") == (200, {"status": "ok"})
    assert changes(dev, stack_state(clients, "shop-dev")) == []

    envs = listed(capsys)
    assert {"dev", "pr-1", "pr-2"} <= set(envs)
    assert envs["dev"]["kind"] == "declared" and envs["dev"]["ttl_seconds"] is None
    for name, ttl in (("pr-1", DAY), ("pr-2", 7 * DAY)):
        assert envs[name]["kind"] == "preview" and envs[name]["base"] == "dev"
        assert envs[name]["stack"] == f"shop-{name}"
        assert envs[name]["ttl_seconds"] == ttl and not envs[name]["expired"]
        assert envs[name]["last_push"] is not None

    # The clock between the two previews' expiries: pr-1 is past its ttl, pr-2 is not.
    expires = {name: datetime.fromisoformat(envs[name]["expires"]) for name in ("pr-1", "pr-2")}
    assert expires["pr-2"] - expires["pr-1"] > timedelta(days=5), expires
    later = expires["pr-1"] + (expires["pr-2"] - expires["pr-1"]) / 2
    monkeypatch.setattr("twophase.infra.environments.utc_now", lambda: later)
    envs = listed(capsys)
    assert envs["pr-1"]["expired"] and not envs["pr-2"]["expired"]

    dry = cli_json(capsys, "env", "prune", "--dry-run")["data"]
    assert dry["dry_run"] and dry["pruned"] == ["pr-1"] and "pr-2" in dry["kept"]
    assert call(f"{first}/health") == (200, {"status": "ok"})  # a dry run deletes nothing

    pruned = cli_json(capsys, "env", "prune", "--yes")["data"]
    assert not pruned["dry_run"] and pruned["pruned"] == ["pr-1"] and "pr-2" in pruned["kept"]
    assert gone(clients, "shop-pr-1") and gone(clients, "shop-pr-1-artifacts")
    assert not gone(clients, "shop-pr-2") and not gone(clients, "shop-pr-2-artifacts")
    groups = clients.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/shop-")
    names = {g["logGroupName"] for g in groups["logGroups"]}
    assert not {n for n in names if n.startswith("/aws/lambda/shop-pr-1-")}
    assert "/aws/lambda/shop-pr-2-api" in names
    assert call(f"{second}/health") == (200, {"preview": "pr-2"})
    assert call(f"{dev_url}/health") == (200, {"status": "ok"})
    assert changes(dev, stack_state(clients, "shop-dev")) == []
    assert set(listed(capsys)) >= {"dev", "pr-2"} and "pr-1" not in listed(capsys)
