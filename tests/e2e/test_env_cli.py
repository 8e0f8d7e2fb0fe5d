"""`env list` and `env prune` against the embedded AWS: a preview made from a pattern entry is
listed beside `dev`, and once past its ttl `env prune` deletes its stack, artifacts and log groups
while `dev` keeps all of its own; `--dry-run` deletes nothing, and CI without --yes is refused."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli
from twophase.aws.session import Clients
from twophase.infra.down import delete_app_stack

CONFIG = """\
app: tiny
environments:
  dev: { endpoint: local }
  preview: { match: "pr-*", from: dev, ttl: 1d }
functions:
  fn: { handler: app.handler, source: src }
"""


@pytest.fixture
def tiny(tmp_path: Path, local_aws: LocalAwsHandle, monkeypatch: pytest.MonkeyPatch) -> Clients:
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 'v1'\n")
    (tmp_path / "twophase.yml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    return local_aws.clients()


def _json(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, dict[str, Any]]:
    result = run_cli(capsys, *args, "--output", "json")
    return result.exit_code, json.loads(result.stdout)


def _stacks(clients: Clients) -> dict[str, dict[str, str]]:
    stacks = clients.client("cloudformation").describe_stacks()["Stacks"]
    return {
        s["StackName"]: {t["Key"]: t["Value"] for t in s.get("Tags", [])}
        for s in stacks
        if s["StackStatus"] != "DELETE_COMPLETE"
    }


def _log_groups(clients: Clients) -> set[str]:
    groups = clients.client("logs").describe_log_groups(logGroupNamePrefix="/aws/lambda/tiny-")
    return {g["logGroupName"] for g in groups["logGroups"]}


def _buckets(clients: Clients) -> set[str]:
    return {b["Name"] for b in clients.client("s3").list_buckets()["Buckets"]}


def test_a_preview_is_listed_and_pruned_past_its_ttl_and_dev_is_untouched(
    tiny: Clients, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    for env in ("dev", "pr-1"):
        assert run_cli(capsys, "-e", env, "infra", "up", "--yes").exit_code == 0
    assert run_cli(capsys, "push", "fn", "-e", "pr-1").exit_code == 0
    logs = tiny.client("logs")
    for group in ("/aws/lambda/tiny-pr-1-fn", "/aws/lambda/tiny-dev-fn"):
        if group not in _log_groups(tiny):  # Lambda makes it on the first log line
            logs.create_log_group(logGroupName=group)
    stacks = _stacks(tiny)
    assert stacks["tiny-pr-1"] == {
        "twophase:app": "tiny",
        "twophase:env": "pr-1",
        "twophase:kind": "preview",
        "twophase:base": "dev",
        "twophase:ttl": "86400",
    }
    assert stacks["tiny-dev"] == {
        "twophase:app": "tiny",
        "twophase:env": "dev",
        "twophase:kind": "declared",
    }
    buckets_before = _buckets(tiny)
    pr_bucket = next(b for b in buckets_before if b.startswith("tiny-pr-1-artifacts-"))
    dev_bucket = next(b for b in buckets_before if b.startswith("tiny-dev-artifacts-"))

    code, doc = _json(capsys, "env", "list")
    assert code == 0 and doc["schema"] == "twophase.env.list/1"
    listed = {e["name"]: e for e in doc["data"]["environments"]}
    assert list(listed) == ["dev", "pr-1"]
    assert (listed["dev"]["kind"], listed["dev"]["base"], listed["dev"]["ttl_seconds"]) == (
        "declared",
        None,
        None,
    )
    preview = listed["pr-1"]
    assert (preview["kind"], preview["base"], preview["stack"]) == ("preview", "dev", "tiny-pr-1")
    assert (preview["ttl_seconds"], preview["expired"]) == (86400, False)
    assert preview["last_push"] is not None and preview["pushed_by"]
    assert listed["dev"]["last_push"] is None

    later = datetime.now(UTC) + timedelta(days=2)
    monkeypatch.setattr("twophase.infra.environments.utc_now", lambda: later)

    code, doc = _json(capsys, "env", "prune", "--dry-run")
    assert code == 0
    assert doc["data"] == {"dry_run": True, "pruned": ["pr-1"], "kept": []}
    assert "tiny-pr-1" in _stacks(tiny) and pr_bucket in _buckets(tiny)

    refused = run_cli(capsys, "env", "prune")  # no TTY, no --yes: CI must say so
    assert refused.exit_code == 2 and "--yes" in refused.stderr
    assert "tiny-pr-1" in _stacks(tiny)

    def late_log_line(stack: str, svc: Any) -> bool:
        """The stack deletes its log group; a last invocation's log line makes it again."""
        deleted = delete_app_stack(stack, svc)
        logs.create_log_group(logGroupName="/aws/lambda/tiny-pr-1-fn")
        return deleted

    monkeypatch.setattr("twophase.infra.environments.delete_app_stack", late_log_line)
    code, doc = _json(capsys, "env", "prune", "--yes")
    assert code == 0
    assert doc["data"] == {"dry_run": False, "pruned": ["pr-1"], "kept": []}
    stacks = _stacks(tiny)
    assert "tiny-pr-1" not in stacks and "tiny-pr-1-artifacts" not in stacks
    assert {"tiny-dev", "tiny-dev-artifacts"} <= set(stacks)
    assert pr_bucket not in _buckets(tiny) and dev_bucket in _buckets(tiny)
    assert _log_groups(tiny) == {"/aws/lambda/tiny-dev-fn"}
    assert tiny.client("lambda").get_function(FunctionName="tiny-dev-fn")

    code, doc = _json(capsys, "env", "list")
    assert [e["name"] for e in doc["data"]["environments"]] == ["dev"]
