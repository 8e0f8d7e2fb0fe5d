"""`push --all` under Lambda's control-plane rate limit: paced and retried, never failed by it.

The embedded AWS refuses Lambda calls past a few a second with 429 TooManyRequestsException, as
AWS does past an account's rate (`twophase.local.extensions.lambda_throttling`). A push of every
function of the example app meets it at once (its workers call in parallel); the same push with
no retry fails, so the limit is met and the test can fail.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli
from twophase.aws import session
from twophase.local.extensions.lambda_throttling import (
    WINDOW_SECONDS,
    refused_calls,
    throttle_lambda,
)

if TYPE_CHECKING:
    from botocore.config import _RetryDict

RATE = 8  # calls a second: fewer than three functions pushed at once ask for


@pytest.fixture
def deployed(app: Path, capsys: pytest.CaptureFixture[str]) -> Iterator[Path]:
    """The example app after `infra up`, on an embedded AWS that then throttles Lambda."""
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    time.sleep(WINDOW_SECONDS)  # phase one's own calls are out of the window
    throttle_lambda(RATE)
    try:
        yield app
    finally:
        throttle_lambda(None)


def test_push_all_is_paced_and_retried_under_throttling(
    deployed: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    pushed = run_cli(capsys, "--output", "json", "push", "--all")

    assert pushed.exit_code == 0, pushed.stderr
    outcomes = json.loads(pushed.stdout)["data"]
    assert len(outcomes) == 3
    assert all("error" not in o and o["result"]["version"] == "2" for o in outcomes)
    assert refused_calls() > 0  # the limit was met, and retried past
    throttle_lambda(None)
    lam = local_aws.clients().client("lambda")
    for outcome in outcomes:
        alias = lam.get_alias(FunctionName=outcome["result"]["physical"], Name="next")
        assert alias["FunctionVersion"] == "2"


def test_without_retries_the_same_push_fails(
    deployed: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    def once(*, once: bool, paced: bool) -> _RetryDict:
        return {"mode": "standard", "total_max_attempts": 1}

    monkeypatch.setattr(session, "_retries", once)

    pushed = run_cli(capsys, "--output", "json", "push", "--all")

    assert pushed.exit_code != 0
    assert "Rate exceeded" in pushed.stdout
