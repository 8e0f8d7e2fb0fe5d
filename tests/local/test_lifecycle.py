"""The background embedded AWS: started on demand, found again, stopped by its recorded pid only."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest

from twophase.local import lifecycle
from twophase.local.lifecycle import LocalAwsError, LocalStatus

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient


@pytest.fixture
def twophase_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.setenv("TWOPHASE_HOME", str(tmp_path))
    monkeypatch.delenv("TWOPHASE_LOCAL_ENDPOINT", raising=False)
    yield tmp_path
    lifecycle.stop()


def _pid_alive(pid: int) -> bool:
    with contextlib.suppress(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[-1].split()[0] == "Z")


def _lambda(endpoint: str) -> LambdaClient:
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
    )


def test_start_serves_on_loopback_reuses_and_stop_leaves_no_process(twophase_home: Path) -> None:
    assert lifecycle.status() is None

    started = lifecycle.start()

    assert isinstance(started, LocalStatus)
    assert started.endpoint.startswith("http://127.0.0.1:")
    assert started.endpoint.endswith(f":{started.port}")
    assert started.pid != os.getpid() and _pid_alive(started.pid)
    assert started.iam_enforcement is False
    assert 0 <= started.uptime < 60
    assert _lambda(started.endpoint).list_functions()["Functions"] == []
    state = json.loads((twophase_home / "local.json").read_text())
    assert (state["pid"], state["endpoint"]) == (started.pid, started.endpoint)

    assert lifecycle.start() == started
    assert lifecycle.ensure_running() == started.endpoint
    assert lifecycle.status() == started
    with pytest.raises(LocalAwsError, match="local stop"):
        lifecycle.start(iam_enforcement=True)

    assert lifecycle.stop() is True
    assert not _pid_alive(started.pid)
    assert not (twophase_home / "local.json").exists()
    assert lifecycle.status() is None
    assert lifecycle.stop() is False


def test_ensure_running_prefers_the_endpoint_from_the_environment(
    twophase_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TWOPHASE_LOCAL_ENDPOINT", "http://127.0.0.1:4566")

    assert lifecycle.ensure_running() == "http://127.0.0.1:4566"
    assert not (twophase_home / "local.json").exists()


def test_racing_starters_share_one_server(twophase_home: Path) -> None:
    results: list[LocalStatus] = []
    threads = [threading.Thread(target=lambda: results.append(lifecycle.start())) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(results) == 3
    assert len({r.pid for r in results}) == 1
    assert lifecycle.ensure_running() == results[0].endpoint


def test_stop_never_signals_a_process_that_is_not_our_server(twophase_home: Path) -> None:
    bystander = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (twophase_home / "local.json").write_text(
            json.dumps(
                {
                    "pid": bystander.pid,
                    "port": 9,
                    "endpoint": "http://127.0.0.1:9",
                    "started_at": 0,
                    "iam_enforcement": False,
                    "token": "not-ours",
                }
            )
        )

        assert lifecycle.status() is None
        assert lifecycle.stop() is False
        assert bystander.poll() is None
        assert not (twophase_home / "local.json").exists()
    finally:
        bystander.kill()
        bystander.wait()


def test_a_garbled_state_file_counts_as_no_server(twophase_home: Path) -> None:
    (twophase_home / "local.json").write_text("{not json")

    assert lifecycle.status() is None
    assert lifecycle.stop() is False


def test_a_server_that_cannot_start_gives_one_clear_error(
    twophase_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "executable", "/bin/false")

    with pytest.raises(LocalAwsError, match="exited at start with status 1"):
        lifecycle.start(timeout=5)
