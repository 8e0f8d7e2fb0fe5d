"""`twophase invoke` through the CLI on the embedded AWS: dummies answer as designed, code runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.helpers import run_cli


def test_dummies_answer_501_or_raise_and_pushed_code_runs_behind_next(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0

    http = run_cli(capsys, "invoke", "api")
    assert http.exit_code == 0, http.stderr
    assert json.loads(http.stdout)["statusCode"] == 501
    assert "api (live, v1) answered" in http.stderr

    queue = run_cli(capsys, "invoke", "worker")
    assert queue.exit_code == 1
    assert queue.stderr.startswith("error: worker (live, v1) raised FunctionHasNoCode: ")
    assert queue.stderr.count("\n") == 1

    assert run_cli(capsys, "push", "api").exit_code == 0
    order = run_cli(capsys, "invoke", "api", "--alias", "next", "--route", "GET /orders/{id}")
    assert order.exit_code == 0, order.stderr
    answer = json.loads(order.stdout)
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["order"] == "1"
    assert "api (next, v2) answered" in order.stderr
    assert json.loads(run_cli(capsys, "invoke", "api").stdout)["statusCode"] == 501  # live: dummy


def test_invoke_speaks_json_and_shows_the_log_tail(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0

    result = run_cli(capsys, "--output", "json", "invoke", "nightly")

    doc = json.loads(result.stdout)
    assert result.exit_code == 1 and doc["exit_code"] == 1
    assert doc["data"]["function_error"] == "Unhandled"
    assert doc["data"]["payload"]["errorType"] == "FunctionHasNoCode"
    assert "REPORT RequestId" in doc["data"]["log_tail"]


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("invoke", "nope"), 2, "unknown function 'nope'"),
        (("invoke", "worker", "--route", "GET /"), 2, "--route goes with an HTTP event"),
        (("invoke", "nightly", "--event", "direct", "--body", "{x"), 2, "--body is not JSON"),
        (("invoke", "api", "--alias", "beta"), 2, "unknown alias 'beta'"),
        (("invoke", "api", "--alias", "99"), 1, "shop-local-api:99 not found"),
    ],
)
def test_bad_input_is_one_clear_line(
    app: Path, capsys: pytest.CaptureFixture[str], args: tuple[str, ...], code: int, message: str
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0

    result = run_cli(capsys, *args)

    assert result.exit_code == code and message in result.stderr, result.stderr
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
