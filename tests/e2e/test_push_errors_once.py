"""One failure, one line, once: a failed push says its error once (no `warning:` echo first)."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.e2e.helpers import run_cli

NOT_FOUND = (
    "shop-local-{fn} not found (lambda:GetFunctionConfiguration) (run `twophase infra up -e ENV` "
    "first)"
)


def test_a_failed_push_says_its_error_once(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "push", "api")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.splitlines() == [f"error: {NOT_FOUND.format(fn='api')}"]


def test_several_failed_pushes_say_each_error_once_then_the_count(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "push", "api", "worker")
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: api: {NOT_FOUND.format(fn='api')}",
        f"error: worker: {NOT_FOUND.format(fn='worker')}",
        "error: 2 of 2 pushes failed",
    ]
