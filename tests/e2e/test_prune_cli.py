"""`twophase prune` and `retention:` through the real CLI against the embedded AWS.

infra up → three pushes (v2, v3, v4 on next) and a promote (live → v3) → prune --dry-run changes
nothing → prune --keep 0 deletes only v2 (v1 is the dummy, v3 live, v4 next; next rolls back to
v3) → with `retention: 1` a push deletes what falls out → a deprecated runtime loads with a warning.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import edit_config, run_cli


def versions(local_aws: LocalAwsHandle, name: str = "shop-local-api") -> list[str]:
    lam = local_aws.clients().client("lambda")
    listed = lam.list_versions_by_function(FunctionName=name)["Versions"]
    return sorted((v["Version"] for v in listed if v["Version"] != "$LATEST"), key=int)


def push_changed(app: Path, capsys: pytest.CaptureFixture[str], n: int) -> dict[str, object]:
    (app.parent / "examples/shop/services/api/release.py").write_text(f"RELEASE = {n}\n")
    pushed = run_cli(capsys, "--output", "json", "push", "api")
    assert pushed.exit_code == 0, pushed.stderr
    outcome: dict[str, object] = json.loads(pushed.stdout)["data"][0]
    return outcome


def test_prune_and_retention(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    for n in (2, 3, 4):
        push_changed(app, capsys, n)
    assert run_cli(capsys, "alias", "promote", "api", "--version", "3").exit_code == 0

    dry = run_cli(capsys, "prune", "api", "--keep", "0", "--dry-run")
    assert dry.exit_code == 0, dry.stderr
    assert dry.stdout.splitlines() == [
        "api: would run",
        f"  delete v2 of shop-local-api (code sha {_sha(local_aws, '2')[:12]})",
    ]
    assert versions(local_aws) == ["1", "2", "3", "4"]

    done = run_cli(capsys, "--output", "json", "prune", "api", "--keep", "0")
    assert done.exit_code == 0, done.stderr
    (data,) = json.loads(done.stdout)["data"]
    assert data["deleted"] == ["2"] and data["skipped"] == []
    assert {k["version"]: k["reason"] for k in data["kept"]} == {
        "4": "served",
        "3": "served",
        "1": "dummy",
    }
    assert versions(local_aws) == ["1", "3", "4"]

    again = run_cli(capsys, "prune", "--all", "--keep", "0")
    assert again.exit_code == 0, again.stderr
    assert again.stdout.splitlines()[0] == "api  deleted nothing  (kept 3: v4, v3, v1)"

    edit_config(app, defaults__retention=1)
    outcome = push_changed(app, capsys, 5)  # v5 on next; next rolls back to v4; live serves v3
    assert outcome["pruned"] == []
    outcome = push_changed(app, capsys, 6)  # v6; v4 is neither served, rolled back to nor recent
    assert outcome["pruned"] == ["4"]
    assert versions(local_aws) == ["1", "3", "5", "6"]


def test_a_deprecated_runtime_warns_at_load_and_the_command_runs(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_config(app, functions__nightly__runtime="python3.9")
    rendered = run_cli(capsys, "infra", "render", "--offline")
    assert rendered.exit_code == 0, rendered.stderr
    assert rendered.stderr.splitlines() == [
        "warning: python3.9 (functions nightly) is deprecated by AWS Lambda since 2025-12-15: no "
        "more security patches; AWS blocks creating functions with it from 2027-02-01 and "
        "updating them from 2027-03-03: move to python3.14"
    ]


def _sha(local_aws: LocalAwsHandle, version: str) -> str:
    lam = local_aws.clients().client("lambda")
    sha: str = lam.get_function_configuration(FunctionName="shop-local-api", Qualifier=version)[
        "CodeSha256"
    ]
    return sha
