"""Phase two through the real CLI against the embedded AWS (issue: push, promote, rollback).

infra up → push api (v2 → next) → push api again (unchanged) → alias promote api (live → v2) →
infra up after a config change (nothing reverted) → alias rollback api (refused: live served only
the dummy before) → alias rollback api --to 1 (asked for) → releases api shows it all, the dummy
marked.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import edit_config, run_cli


def aliases(local_aws: LocalAwsHandle, name: str) -> dict[str, str]:
    lam = local_aws.clients().client("lambda")
    return {a["Name"]: a["FunctionVersion"] for a in lam.list_aliases(FunctionName=name)["Aliases"]}


def test_push_promote_up_rollback_releases(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    lam = local_aws.clients().client("lambda")
    dummy_sha = lam.get_function(FunctionName="shop-local-api")["Configuration"]["CodeSha256"]

    pushed = run_cli(capsys, "--output", "json", "push", "api")
    assert pushed.exit_code == 0, pushed.stderr
    first = json.loads(pushed.stdout)["data"][0]["result"]
    assert (first["version"], first["alias"]) == ("2", "next")
    # $LATEST and the alias read; UpdateFunctionCode, PublishVersion, UpdateAlias; STS once a run
    assert first["api_calls"] == 6
    assert aliases(local_aws, "shop-local-api") == {"next": "2", "live": "1"}
    real_sha = lam.get_function(FunctionName="shop-local-api:2")["Configuration"]["CodeSha256"]
    assert real_sha != dummy_sha

    again = run_cli(capsys, "--output", "json", "push", "api")
    assert again.exit_code == 0, again.stderr
    doc = json.loads(again.stdout)
    assert doc["version"] == 1 and doc["command"] == "push"
    result = doc["data"][0]["result"]
    assert result["unchanged"] is True
    assert result["api_calls"] <= 2

    promoted = run_cli(capsys, "alias", "promote", "api")
    assert promoted.exit_code == 0, promoted.stderr
    assert aliases(local_aws, "shop-local-api") == {"next": "2", "live": "2"}

    edit_config(app, functions__api__memory=1024, defaults__timeout=15)
    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 0, up.stderr
    assert lam.get_function(FunctionName="shop-local-api")["Configuration"]["MemorySize"] == 1024
    assert aliases(local_aws, "shop-local-api") == {"next": "2", "live": "2"}
    assert (
        lam.get_function(FunctionName="shop-local-api")["Configuration"]["CodeSha256"] == real_sha
    )

    refused = run_cli(capsys, "alias", "rollback", "api")
    assert refused.exit_code == 4
    assert refused.stderr.splitlines() == [
        "error: live of shop-local-api: nothing to roll back to but v1, the dummy (no code "
        "pushed) (pass --to 1 to serve the dummy anyway)"
    ]
    assert aliases(local_aws, "shop-local-api") == {"next": "2", "live": "2"}
    rolled = run_cli(capsys, "alias", "rollback", "api", "--to", "1")
    assert rolled.exit_code == 0, rolled.stderr
    assert aliases(local_aws, "shop-local-api") == {"next": "2", "live": "1"}

    history = run_cli(capsys, "--output", "json", "releases", "api")
    assert history.exit_code == 0, history.stderr
    releases = json.loads(history.stdout)["data"]["releases"]
    assert [r["version"] for r in releases] == ["2", "1"]
    by_version = {r["version"]: r for r in releases}
    assert {a["alias"] for a in by_version["1"]["aliases"]} == {"live"}
    assert {a["alias"] for a in by_version["2"]["aliases"]} == {"next"}
    assert by_version["2"]["code_sha256"] == real_sha
    assert (by_version["1"]["dummy"], by_version["2"]["dummy"]) == (True, False)
    table = run_cli(capsys, "releases", "api")
    assert "v1\t" in table.stdout and "dummy (phase one, no code pushed)" in table.stdout
    state = run_cli(capsys, "--output", "json", "status", "api")
    assert json.loads(state.stdout)["data"]["functions"][0]["code"] == "dummy"


def test_push_of_an_unknown_function_is_a_usage_error_and_changes_nothing(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    result = run_cli(capsys, "push", "nope")
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "nope" in result.stderr
    assert "Traceback" not in result.stderr
    assert aliases(local_aws, "shop-local-api") == {"next": "1", "live": "1"}


def test_dry_run_prints_the_plan_and_changes_nothing(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    result = run_cli(capsys, "push", "api", "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "update the code" in result.stdout and "publish" in result.stdout
    assert aliases(local_aws, "shop-local-api") == {"next": "1", "live": "1"}


def test_build_then_push_artifact_serves_the_same_code_as_a_plain_push(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    built = run_cli(capsys, "--output", "json", "build", "api", "-o", str(tmp_path / "api.zip"))
    assert built.exit_code == 0, built.stderr
    sha = json.loads(built.stdout)["data"]["code_sha256"]
    assert (tmp_path / "api.zip").is_file()

    pushed = run_cli(capsys, "push", "api", "--artifact", str(tmp_path / "api.zip"))
    assert pushed.exit_code == 0, pushed.stderr
    assert pushed.stdout.startswith("api  v2 → next  (sha ")
    lam = local_aws.clients().client("lambda")
    assert (
        lam.get_function(FunctionName="shop-local-api:next")["Configuration"]["CodeSha256"] == sha
    )

    plain = run_cli(capsys, "push", "api")
    assert plain.exit_code == 0, plain.stderr
    assert "unchanged" in plain.stdout


def test_a_push_starts_without_yaml_pydantic_or_boto3_once_the_config_is_cached(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0  # validates and caches
    probe = (
        "import sys\n"
        "from twophase.cli.main import run\n"
        "code = run(['push', 'api'])\n"
        "heavy = ('yaml', 'pydantic', 'boto3', 'pathspec', 'tenacity', 'rich')\n"
        "print(code, sorted(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=app.parent
    )

    assert out.stdout.splitlines()[-1] == "0 []", out.stderr
    assert aliases(local_aws, "shop-local-api")["next"] == "2"
