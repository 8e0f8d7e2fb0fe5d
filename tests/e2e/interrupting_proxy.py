"""An interrupting HTTP/1.1 proxy for tests: Ctrl-C or SIGKILL a CLI process at a precise request.

`InterruptingProxy` is a `LossyProxy` (tests/e2e/lossy_proxy.py: same listener, same byte-exact
forwarding, same bounded shutdown, loopback only) that watches the query-protocol requests going
through it (CloudFormation and STS: `POST /` with a form body `Action=CreateChangeSet&StackName=…`)
and, at the one request a `Point` picks, signals the process it was armed with:

- `when="before"`: the signal goes before the request is forwarded; the request is then never
  forwarded (the write did not happen);
- `when="after"`: the request is forwarded and its answer read (the write happened), then the
  signal goes; the answer is held until the client closes its connection (SIGKILL, or SIGINT
  raising KeyboardInterrupt inside the read), and sent only if the client still waits for it.

Every other request, before and after, is relayed unchanged, so what a SIGINT-ed process does on
its way out (removing its change set) reaches the upstream. `calls` records each request as
(Action, StackName), in order; `fired` is set once the signal went, and `answered_late` once a
held answer was still sent (the client had not given up on it). Waits are bounded.
"""

from __future__ import annotations

import contextlib
import os
import select
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal
from urllib.parse import parse_qs

from tests.e2e.lossy_proxy import (
    _BAD_GATEWAY,
    _CONTINUE,
    Exchange,
    FramingError,
    Head,
    LossyProxy,
    _method_and_path,
    read_body,
    read_head,
)

CLOSE_WAIT = 5.0  # how long an interrupted client may take to drop its connection
ARM_WAIT = 10.0  # how long a matching request waits for the process to be armed


@dataclass(frozen=True)
class Call:
    """A query-protocol request: its Action and StackName ('' when absent)."""

    action: str
    stack: str = ""

    def matches(self, action: str, stack: str | None) -> bool:
        return self.action == action and (stack is None or self.stack == stack)


@dataclass(frozen=True)
class Point:
    """The `nth` request with this Action (and exactly this StackName, when given), counted only
    once a request matching `following` (Action, StackName) has gone through, if given."""

    action: str
    stack: str | None = None
    nth: int = 1
    when: Literal["before", "after"] = "after"
    following: tuple[str, str | None] | None = None

    def __str__(self) -> str:
        where = f"{self.action}({self.stack or '*'})#{self.nth}"
        if self.following:
            where += f" after {self.following[0]}({self.following[1] or '*'})"
        return f"{self.when} {where}"


def query_call(method: str, head: Head, body: bytes) -> Call | None:
    """The (Action, StackName) of a query-protocol request, None for anything else."""
    content_type = (head.header("Content-Type") or "").lower()
    if method != "POST" or "x-www-form-urlencoded" not in content_type:
        return None
    try:
        form = parse_qs(body.decode("utf-8"), keep_blank_values=True)
    except (UnicodeDecodeError, ValueError):
        return None
    action = (form.get("Action") or [""])[0]
    return Call(action, (form.get("StackName") or [""])[0]) if action else None


class InterruptingProxy(LossyProxy):
    """A forwarding proxy that signals one process at one request (see the module docstring)."""

    def __init__(self, upstream: str, point: Point | None, *, timeout: float = 30.0) -> None:
        super().__init__(upstream, timeout=timeout)
        self.point = point
        self.fired = threading.Event()
        self.answered_late = threading.Event()
        self._armed = threading.Event()
        self._process: subprocess.Popen[bytes] | None = None
        self._signal = signal.SIGINT
        self._calls: list[Call] = []
        self._seen = 0
        self._following_seen = False

    def __enter__(self) -> InterruptingProxy:
        self.start()
        return self

    def arm(self, process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
        self._process, self._signal = process, sig
        self._armed.set()

    @property
    def calls(self) -> list[Call]:
        with self._lock:
            return list(self._calls)

    # the decision, once per request, in order

    def _hits(self, call: Call | None) -> bool:
        with self._lock:
            if call is not None:
                self._calls.append(call)
            point = self.point
            if call is None or point is None or self.fired.is_set():
                return False
            if point.following is not None and not self._following_seen:
                self._following_seen = call.matches(*point.following)
                return False
            if not call.matches(point.action, point.stack):
                return False
            self._seen += 1
            if self._seen != point.nth:
                return False
            self.fired.set()
            return True

    def _interrupt(self) -> None:
        if not self._armed.wait(ARM_WAIT):
            raise RuntimeError("the interrupting proxy was never armed")
        process = self._process
        assert process is not None
        if process.poll() is None:
            process.send_signal(self._signal)

    # relaying (the parent's, with the two interruption points)

    def _relay_one(self, conn: socket.socket, reader: BinaryIO) -> bool:
        head = read_head(reader)
        if head is None:
            return False
        method, path = _method_and_path(head)
        if "100-continue" in head.tokens("Expect"):
            conn.sendall(_CONTINUE)
        body = read_body(reader, head, until_close=False)
        hit = self._hits(query_call(method, head, body))
        if hit and self.point is not None and self.point.when == "before":
            self._interrupt()
            _wait_closed(conn)
            self._record(Exchange(method, path, None, None, True))
            return False  # never forwarded
        try:
            response = self._forward(head.raw + body, method)
        except (OSError, FramingError):
            self._record(Exchange(method, path, None, None, False))
            conn.sendall(_BAD_GATEWAY)
            return False
        self._record(Exchange(method, path, None, response.status, hit))
        if hit:
            self._interrupt()
            if not _wait_closed(conn):
                self.answered_late.set()
                with contextlib.suppress(OSError):
                    conn.sendall(response.raw)  # the client still waits: let it have its answer
            return False
        conn.sendall(response.raw)
        return not (response.close or "close" in head.tokens("Connection"))


def _wait_closed(conn: socket.socket, timeout: float = CLOSE_WAIT) -> bool:
    """Whether the client closed its side within `timeout` (it sends nothing while it waits)."""
    readable, _, _ = select.select([conn], [], [], timeout)
    if not readable:
        return False
    try:
        return not conn.recv(1, socket.MSG_PEEK)
    except OSError:
        return True


# --- running the CLI as a process ---------------------------------------------------------------


@dataclass(frozen=True)
class Interrupted:
    """How an interrupted `twophase` process ended."""

    exit_code: int
    stdout: str
    stderr: str
    fired: bool  # the signal went
    answered_late: bool  # the held answer was still sent after the signal
    seconds: float


def run_interrupted(
    args: list[str],
    *,
    cwd: Path,
    home: Path,
    proxy: InterruptingProxy,
    sig: signal.Signals,
    timeout: float = 60.0,
) -> Interrupted:
    """Run `python -m twophase ARGS` on the embedded AWS through `proxy`, armed to send `sig`;
    wait (bounded) for it to end."""
    env = dict(os.environ)
    env.update(
        TWOPHASE_LOCAL_ENDPOINT=proxy.url,
        TWOPHASE_ENV="local",
        TWOPHASE_HOME=str(home),
        PYTHONUNBUFFERED="1",
    )
    started = time.monotonic()
    with _sigint_not_ignored():
        process = subprocess.Popen(
            [sys.executable, "-m", "twophase", *args],
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # signals reach it from the proxy only
        )
    proxy.arm(process, sig)
    try:
        out, err = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate(timeout=10)
        raise AssertionError(
            f"`twophase {' '.join(args)}` did not end within {timeout}s; stderr: {err.decode()}"
        ) from None
    return Interrupted(
        process.returncode,
        out.decode(errors="replace"),
        err.decode(errors="replace"),
        proxy.fired.is_set(),
        proxy.answered_late.is_set(),
        time.monotonic() - started,
    )


@contextlib.contextmanager
def _sigint_not_ignored() -> Iterator[None]:
    """A child inherits an ignored SIGINT (Python then installs no KeyboardInterrupt handler):
    spawn with the default disposition, whatever the test runner set."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.getsignal(signal.SIGINT)
    if previous is not signal.SIG_IGN:
        yield
        return
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)
