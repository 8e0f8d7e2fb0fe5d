"""A push of many functions on a terminal: one line with a bar and the counts, then each failure;
elsewhere, a line per function as before. The paced Lambda client push uses."""

from __future__ import annotations

import contextlib
import io
from typing import TYPE_CHECKING, cast

import pytest

from twophase.aws.session import PACED_ATTEMPTS, Clients, Target
from twophase.cli import push as push_cli
from twophase.cli import terminal
from twophase.cli.terminal import Terminal
from twophase.errors import ConflictError
from twophase.release.push import PushOutcome, PushReport
from twophase.release.push_apply import PushResult

if TYPE_CHECKING:
    from twophase.cli.context import AppContext


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def result(function: str, *, unchanged: bool = False) -> PushResult:
    return PushResult(function, f"shop-{function}", "2", "next", "ab" * 32, 10, 0.1, unchanged, 3)


OUTCOMES = [
    PushOutcome("api", result=result("api")),
    PushOutcome("nightly", result=result("nightly", unchanged=True)),
    PushOutcome("worker", error=ConflictError("alias next of shop-worker moved under you")),
]


@pytest.fixture(autouse=True)
def every_update_redraws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "REDRAW_SECONDS", 0.0)


def test_a_terminal_shows_one_line_with_the_counts_and_no_step_lines() -> None:
    err = Tty()
    with contextlib.redirect_stderr(err):
        term = Terminal(color=False)
        tally = push_cli.Tally(term)
        tally.started(["api", "nightly", "worker", "queue"])
        for outcome in OUTCOMES:
            term.info(f"{outcome.function}: UpdateFunctionCode")  # a step: gives way to the bar
            term.progress(f"{outcome.function}: upload", 5, 10, "bytes")
            tally.finished(outcome)
        term.warn("worker: pushed, but retention failed")
        tally.close()

    out = err.getvalue()
    draws = out.split("\r\x1b[K")
    assert draws[1] == "push [----------] 0/4: pushed 0, unchanged 0, failed 0, remaining 4"
    assert draws[-2] == "push [#######---] 3/4: pushed 1, unchanged 1, failed 1, remaining 1"
    assert "UpdateFunctionCode" not in out and "upload" not in out
    assert "warning: worker: pushed, but retention failed\n" in out
    assert out.endswith("\r\x1b[K")  # the bar is gone when the push ends


def test_after_the_bar_each_failure_then_the_counts() -> None:
    out, err = Tty(), Tty()
    report = PushReport(tuple(OUTCOMES))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        term = Terminal(color=False)
        assert term.interactive
        push_cli._tallied(app_with(term), report)

    assert err.getvalue() == "error: worker: alias next of shop-worker moved under you\n"
    assert out.getvalue() == "pushed 1, unchanged 1, failed 1\n"


def test_a_non_terminal_gets_a_line_per_function() -> None:
    out, err = io.StringIO(), io.StringIO()
    report = PushReport(tuple(OUTCOMES))
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        term = Terminal(color=False)
        assert not term.interactive
        term.tally("push", 1, 3, {"pushed": 1})  # never drawn off a terminal
        push_cli._human(app_with(term), report, dry_run=False)

    assert out.getvalue().splitlines() == [
        "api  v2 → next  (sha abababab…, 10 B, 0.1 s)",
        "nightly  unchanged  (v2 = next, sha abababab…)",
    ]
    assert err.getvalue() == "error: worker: alias next of shop-worker moved under you\n"


def test_push_gets_a_paced_lambda_client_other_commands_keep_theirs() -> None:
    clients = Clients(Target("eu-west-1", access_key="a", secret_key="b"))

    paced, usual = clients.client("lambda", paced=True), clients.client("lambda")

    assert paced is not usual and paced is clients.client("lambda", paced=True)
    retries = paced.meta.config.retries  # type: ignore[attr-defined]
    assert retries == {"mode": "adaptive", "total_max_attempts": PACED_ATTEMPTS}


class _App:
    def __init__(self, term: Terminal) -> None:
        self.terminal = term


def app_with(term: Terminal) -> AppContext:
    return cast("AppContext", _App(term))
