"""The embedded AWS says what it does in the background: the command that starts it says so, and
how to stop it, once; `local status` says so; after a crash, the command that starts a new one
says that what the old one held was lost.

These start real background servers (`twophase local start` as a user runs it), in this test's own
TWOPHASE_HOME, and stop them at the end.
"""

from __future__ import annotations

import contextlib
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import run_cli
from twophase.cli.local import say_if_started
from twophase.cli.terminal import Terminal
from twophase.local import lifecycle

CONFIG = """\
app: shop
environments:
  local: {endpoint: local}
functions:
  api:
    handler: app.handler
    source: src
"""
STARTED = "started the embedded AWS at http://127.0.0.1:"
HOW_TO_STOP = "stop it with `twophase local stop`"


@pytest.fixture
def project(tmp_path: Path, twophase_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.delenv("TWOPHASE_LOCAL_ENDPOINT", raising=False)
    monkeypatch.delenv("TWOPHASE_ENV", raising=False)
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (tmp_path / "twophase.yml").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    try:
        yield tmp_path
    finally:
        lifecycle.stop()


def _lines(text: str, part: str) -> list[str]:
    return [line for line in text.splitlines() if part in line]


def _crash() -> int:
    """Kill the server as a crash would, and wait until its process has fully exited: a killed
    process that is still tearing down its memory has closed its socket but keeps its pid and
    start time, so a command run in that moment would still take it for the server."""
    running = lifecycle.status()
    assert running is not None
    os.kill(running.pid, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):  # this process started it: reap it
        os.waitpid(running.pid, 0)
    assert lifecycle.status() is None
    return running.pid


def test_started_once_said_once_and_a_crash_is_said_by_the_next_start(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # `logs` needs the embedded AWS and little of it (it fails: nothing is deployed, no matter).
    first = run_cli(capsys, "logs", "api", "--output", "json")
    started = _lines(first.stderr, STARTED)
    assert len(started) == 1 and HOW_TO_STOP in started[0]
    assert "is gone" not in first.stderr

    again = run_cli(capsys, "logs", "api")
    assert STARTED not in again.stderr and HOW_TO_STOP not in again.stderr

    status = run_cli(capsys, "local", "status")
    assert status.stdout.startswith("running at http://127.0.0.1:")
    assert status.stderr.splitlines() == [
        "the embedded AWS runs in the background; stop it with `twophase local stop`"
    ]

    pid = _crash()
    crashed = run_cli(capsys, "local", "status")
    assert crashed.stdout.strip() == "not running"
    gone = _lines(crashed.stderr, "is gone")
    assert len(gone) == 1 and f"(pid {pid}," in gone[0]
    assert "stacks, functions, releases" in gone[0]

    after = run_cli(capsys, "logs", "api")
    lost = _lines(after.stderr, "is gone")
    assert len(lost) == 1 and f"(pid {pid}," in lost[0], after.stderr
    assert lost[0].startswith("warning: the embedded AWS that ran before")
    assert lost[0].endswith("deploy again with `twophase infra up -e local`")
    assert len(_lines(after.stderr, STARTED)) == 1

    later = run_cli(capsys, "logs", "api")
    assert "is gone" not in later.stderr and STARTED not in later.stderr

    stopped = run_cli(capsys, "local", "stop")
    assert stopped.stdout.strip() == "stopped"
    quiet = run_cli(capsys, "local", "status")  # a stop is not a crash: nothing was lost
    assert (quiet.stdout.strip(), quiet.stderr) == ("not running", "")


def test_local_start_says_it_runs_in_the_background(
    project: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without starting a server: `local start` finds one running (a stand-in) and says so."""
    running = lifecycle.LocalStatus("http://127.0.0.1:1", 7, 1, time.time(), False, project)
    monkeypatch.setattr(lifecycle, "start", lambda iam_enforcement=False: running)
    result = run_cli(capsys, "local", "start")
    assert result.stdout.startswith("running at http://127.0.0.1:1 (pid 7")
    assert result.stderr.splitlines() == [
        "the embedded AWS runs in the background; stop it with `twophase local stop`"
    ]


def test_only_a_new_server_is_announced() -> None:
    said: list[str] = []

    class Recording(Terminal):
        def _say(self, message: str, *, err: bool, **style: object) -> None:
            said.append(message)

    terminal = Recording()
    old = {"pid": 7, "token": "a", "endpoint": "http://127.0.0.1:1", "started_at": 0.0}
    new = {"pid": 8, "token": "b", "endpoint": "http://127.0.0.1:2", "started_at": 1.0}
    assert say_if_started(terminal, old, old) is False  # the same server
    assert say_if_started(terminal, None, None) is False  # none (a named endpoint)
    assert said == []
    assert say_if_started(terminal, None, new) is True
    assert said == [
        "started the embedded AWS at http://127.0.0.1:2 (pid 8); it runs in the background: "
        "stop it with `twophase local stop`"
    ]
    said.clear()
    assert say_if_started(terminal, old, new, env="dev") is True
    assert said[0].startswith("warning: the embedded AWS that ran before (pid 7, started ")
    assert said[0].endswith("deploy again with `twophase infra up -e dev`")
