"""`twophase invoke` through the CLI on the embedded AWS: dummies answer as designed, code runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.helpers import run_cli, zip_with


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
        (("invoke", "api", "--route", "GET /nope"), 2, "is not one of the function's routes"),
        (("invoke", "nightly", "--event", "http", "--route", "orders"), 2, "is not a route"),
        (("invoke", "nightly", "--body", "{}"), 2, "a scheduled event has no body"),
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


def test_a_payload_file_is_sent_as_is_and_must_be_json(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    event = app.parent / "event.json"
    event.write_text(
        json.dumps({"rawPath": "/health", "requestContext": {"http": {"method": "GET"}}})
    )
    assert run_cli(capsys, "push", "api").exit_code == 0

    sent = run_cli(capsys, "invoke", "api", "--alias", "next", "--payload", str(event))
    assert json.loads(sent.stdout)["statusCode"] == 200

    both = run_cli(capsys, "invoke", "api", "--payload", str(event), "--body", "{}")
    assert both.exit_code == 2 and "--payload is the whole event" in both.stderr
    event.write_bytes(b"\xff\xfe not json")
    broken = run_cli(capsys, "invoke", "api", "--payload", str(event))
    assert broken.exit_code == 2 and "the payload is not JSON" in broken.stderr
    assert broken.stderr.count("\n") == 1


def test_an_error_over_several_lines_is_reported_in_one(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    code = "def handler(event, context):\n    raise ValueError('first line\\nsecond line')\n"
    artifact = app.parent / "boom.zip"
    artifact.write_bytes(zip_with({"app.py": code}))
    assert run_cli(capsys, "push", "api", "--artifact", str(artifact)).exit_code == 0

    result = run_cli(capsys, "invoke", "api", "--alias", "next")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: api (next, v2) raised ValueError: first line …")
    assert result.stderr.count("\n") == 1
    assert json.loads(result.stdout)["errorMessage"] == "first line\nsecond line"
    doc = json.loads(run_cli(capsys, "--output", "json", "invoke", "api", "--alias", "next").stdout)
    assert doc["errors"] and doc["errors"][0].startswith("api (next, v2) raised ValueError")
