"""The embedded AWS behind a small boundary: it imports nothing of twophase, its errors reach the
user as twophase's, and a command that needs it asks it nothing while it runs."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.e2e.helpers import run_cli
from twophase.errors import ExitStatus
from twophase.files import user_cache_dir
from twophase.local import lifecycle
from twophase.local.protocol import PF_EXITING, process_start, start_of_running

LOCAL = Path(lifecycle.__file__).parent


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TWOPHASE_HOME", str(tmp_path))
    monkeypatch.delenv("TWOPHASE_LOCAL_ENDPOINT", raising=False)
    yield tmp_path
    lifecycle.stop()


def _imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


def test_the_embedded_aws_imports_nothing_of_the_product() -> None:
    outside = {
        f"{path.relative_to(LOCAL)}: {name}"
        for path in LOCAL.rglob("*.py")
        for name in _imported(path)
        if name.split(".")[0] == "twophase" and not name.startswith("twophase.local")
    }
    assert outside == set()


def test_its_state_folder_is_twophases_per_user_folder(home: Path) -> None:
    assert lifecycle.home() == user_cache_dir() == home


def test_its_errors_reach_the_user_with_their_message_and_exit_status(
    home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home.chmod(0o777)
    try:
        result = run_cli(capsys, "local", "status")
    finally:
        home.chmod(0o700)
    assert result.exit_code == ExitStatus.USAGE
    assert result.stderr.startswith(f"error: the embedded AWS keeps its keys in {home}, which is")
    assert "`chmod 700` yours, or set TWOPHASE_HOME" in result.stderr


def test_connect_asks_a_running_server_nothing(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    started = lifecycle.start()

    def asked(*_: object, **__: object) -> bool:
        raise AssertionError("connect asked the server who it is")

    try:
        with monkeypatch.context() as patched:
            patched.setattr(lifecycle, "_answers", asked)
            connection = lifecycle.connect()
    finally:
        lifecycle.stop()

    assert (connection.endpoint, connection.credentials) == (started.endpoint, started.credentials)


def test_a_recorded_pid_that_another_process_reused_is_not_trusted(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        assert process_start(bystander.pid) is not None
        state = {
            "pid": bystander.pid,
            "process_start": "1",
            "port": 9,
            "endpoint": "http://127.0.0.1:9",
            "started_at": 0,
            "token": "t",
            "access_key_id": "AKIA",
            "secret_access_key": "s",
        }
        (home / "local.json").write_text(json.dumps(state))
        os.chmod(home / "local.json", 0o600)
        asked: list[str] = []
        elsewhere = lifecycle.LocalStatus("http://127.0.0.1:2", 2, 2, 0.0, False, home)
        with monkeypatch.context() as patched:
            patched.setattr(lifecycle, "_answers", lambda endpoint, *_: asked.append(endpoint))
            patched.setattr(lifecycle, "start", lambda: elsewhere)
            connected = lifecycle.connect()

        assert connected.endpoint == "http://127.0.0.1:2"
        assert asked == ["http://127.0.0.1:9"]  # asked, since its start time is not the server's
    finally:
        bystander.kill()
        bystander.wait()


def test_a_server_that_has_died_or_is_exiting_is_not_taken_for_running() -> None:
    """proc(5), /proc/PID/stat: field 3 is the state (Z zombie, X or x dead), field 9 the
    kernel flags, where PF_EXITING (0x4, include/linux/sched.h) is set as a process begins to
    exit. A killed server keeps its pid and start time until the kernel has freed its memory."""
    line = Path("/proc/self/stat").read_text()
    head, tail = line.rsplit(")", 1)
    fields = tail.split()
    running = start_of_running(line)
    assert running == fields[19] and running == process_start(os.getpid())

    def with_field(index: int, value: str) -> str:
        changed = [*fields[:index], value, *fields[index + 1 :]]
        return f"{head}) {' '.join(changed)}\n"

    for state in ("Z", "X", "x"):
        assert start_of_running(with_field(0, state)) is None
    assert start_of_running(with_field(6, str(int(fields[6]) | PF_EXITING))) is None
    assert start_of_running(with_field(6, str(int(fields[6]) & ~PF_EXITING))) == running
    assert start_of_running("1 (a) b) R 1") is None  # cut short: not a stat line


def test_a_zombie_has_no_running_start_time() -> None:
    """A server killed and not yet reaped by its parent (the CLI that started it)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    deadline = time.monotonic() + 10
    while Path(f"/proc/{child.pid}/stat").read_text().rsplit(")", 1)[-1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    try:
        assert process_start(child.pid) is None
    finally:
        child.wait()
