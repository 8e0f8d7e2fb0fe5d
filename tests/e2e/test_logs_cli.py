"""`twophase logs` through the CLI on the embedded AWS: what an invocation logged."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.helpers import run_cli


def test_logs_show_what_an_invocation_wrote(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    quiet = run_cli(capsys, "logs", "nightly")
    assert (quiet.exit_code, quiet.stdout) == (0, "")  # the group exists, nothing ran yet

    assert run_cli(capsys, "invoke", "nightly").exit_code == 1
    result = run_cli(capsys, "logs", "nightly")

    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split("  ", 1)[1].startswith("START RequestId: ")
    assert any("FunctionHasNoCode" in line for line in lines)
    doc = json.loads(run_cli(capsys, "--output", "json", "logs", "nightly").stdout)
    assert doc["data"]["log_group"] == "/aws/lambda/shop-local-nightly"
    assert len(doc["data"]["events"]) == len(lines)


def test_an_unknown_function_is_a_usage_error(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "logs", "nope")

    assert result.exit_code == 2 and "unknown function 'nope'" in result.stderr
