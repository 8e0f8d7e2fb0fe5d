"""The API endpoint `infra up` prints answers on the embedded AWS, and the example app works.

`curl <printed endpoint>/health` reaches the dummy (501) until `push api` + `alias promote api`,
then the promoted code; after push and promote of every function, each answers `twophase invoke`
with its default event, and every route the example declares answers 2xx on the endpoint.
"""

from __future__ import annotations

import json
import re
import urllib.request
from pathlib import Path
from typing import Any
from urllib.error import HTTPError

import pytest
import yaml

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli

ENDPOINT_LINE = re.compile(r"^\s+ApiApiEndpoint\s+(\S+)$", re.MULTILINE)


def call(url: str, body: bytes | None = None) -> tuple[int, Any]:
    """Like `curl URL` (`curl -d BODY URL` with a body: a form-urlencoded POST)."""
    try:
        with urllib.request.urlopen(urllib.request.Request(url, data=body), timeout=60) as reply:
            return reply.status, json.loads(reply.read())
    except HTTPError as error:
        return error.code, json.loads(error.read())


def printed_endpoint(capsys: pytest.CaptureFixture[str]) -> str:
    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 0, up.stderr
    found = ENDPOINT_LINE.search(up.stdout)
    assert found is not None, up.stdout
    return found.group(1)


def test_curl_on_the_printed_endpoint_reaches_the_dummy_then_the_promoted_code(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = printed_endpoint(capsys)
    assert endpoint.startswith(f"{local_aws.endpoint_url}/_aws/execute-api/"), endpoint
    again = run_cli(capsys, "--output", "json", "infra", "up", "--yes")
    assert json.loads(again.stdout)["data"]["outputs"]["ApiApiEndpoint"] == endpoint
    template = run_cli(capsys, "infra", "render")
    assert "_aws" not in template.stdout and "127.0.0.1" not in template.stdout

    status, answer = call(f"{endpoint}/health")
    assert status == 501, answer
    assert answer["function"] == "shop-local-api" and "twophase push api" in answer["message"]

    assert run_cli(capsys, "push", "api").exit_code == 0
    assert call(f"{endpoint}/health")[0] == 501  # push moves `next`; the API calls `live`

    assert run_cli(capsys, "alias", "promote", "api").exit_code == 0
    assert call(f"{endpoint}/health") == (200, {"status": "ok"})


def route_url(endpoint: str, route: str) -> str:
    """The URL of a route key such as `GET /orders/{id}`, its parameters filled in."""
    path = route.partition(" ")[2]
    return endpoint + re.sub(r"\{[^}]+\}", "o-42", path)


def test_every_function_answers_its_default_event_and_every_route_answers(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    endpoint = printed_endpoint(capsys)
    functions = yaml.safe_load(app.read_text())["functions"]
    assert run_cli(capsys, "push", "--all").exit_code == 0
    for name in functions:
        promoted = run_cli(capsys, "alias", "promote", name)
        assert promoted.exit_code == 0, promoted.stderr

    answers = {}
    for name in functions:
        invoked = run_cli(capsys, "--output", "json", "invoke", name)
        assert invoked.exit_code == 0, (name, invoked.stdout, invoked.stderr)
        answers[name] = json.loads(invoked.stdout)["data"]["payload"]
    assert answers["api"]["statusCode"] == 200
    assert answers["worker"] == {"processed": 1}
    assert answers["nightly"]["kind"] == "nightly-report"

    order = b'{"sku": "A-100", "qty": 2}'
    got = {}
    for route in functions["api"]["trigger"]["http"]["routes"]:
        url = route_url(endpoint, route)
        got[route] = call(url, order if route.startswith("POST ") else None)
    assert {route: status for route, (status, _) in got.items()} == {
        "GET /health": 200,
        "GET /orders/{id}": 200,
        "POST /orders": 201,
    }
    assert got["GET /orders/{id}"][1]["order"] == "o-42"
    created = got["POST /orders"][1]
    assert (created["sku"], created["qty"], created["status"]) == ("A-100", 2, "accepted")
