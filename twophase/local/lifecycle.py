"""`twophase local start | stop | status`: a background embedded AWS, found again by its state file.

The server runs as a detached `python -m twophase.local serve` process on a free loopback port. When
it accepts requests it writes `$TWOPHASE_HOME/local.json` (default `~/.cache/twophase/local.json`)
with its pid, port, endpoint, start time, a random token and the root keys it generated for this
start. The folder is private (0700, this user's, checked: see `private`) and the file 0600: the
keys reach twophase through it and nowhere else. A process is ours only if the recorded pid is
alive *and* the endpoint proves it holds the recorded token (`protocol.IDENTITY_PATH`); `stop`
signals nothing else. A command that only needs the server (`connect`) asks it nothing when the
recorded pid still runs with the recorded start time: that process is the one that wrote the
file. A lock file serialises starters so that two commands racing start one server. The server
keeps the packages it was sent, and extracts the code Invoke runs, in its own `local-code-PID-*`
folder there; a server that was killed leaves its folder behind, and the next start removes it.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import stat
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twophase.local.errors import LocalAwsError, UnsafeStateFolder
from twophase.local.private import NotPrivate, open_private, private_folder, read_private
from twophase.local.protocol import (
    CODE_FOLDER_PREFIX,
    IDENTITY_PATH,
    identity_proof,
    process_start,
    start_of_running,
    stopped,
)
from twophase.local.root_credentials import RootCredentials

if TYPE_CHECKING:
    import subprocess

__all__ = ["LocalAwsError", "LocalConnection", "LocalStatus", "UnsafeStateFolder"]

ENDPOINT_ENV = "TWOPHASE_LOCAL_ENDPOINT"
HOME_ENV = "TWOPHASE_HOME"  # twophase's per-user folder, the same as `twophase.files`'
START_TIMEOUT = 15.0
STOP_TIMEOUT = 5.0
_POLL = 0.01

_children: list[subprocess.Popen[bytes]] = []  # kept so that Python does not warn or leak zombies


@dataclass(frozen=True)
class LocalStatus:
    """A running embedded AWS: its state file, confirmed by its identity answer."""

    endpoint: str
    pid: int
    port: int
    started_at: float
    iam_enforcement: bool
    state_file: Path
    credentials: RootCredentials | None = field(default=None, repr=False)

    @property
    def uptime(self) -> float:
        """Seconds since the server started."""
        return max(0.0, time.time() - self.started_at)


@dataclass(frozen=True)
class LocalConnection:
    """Where the embedded AWS answers, and its root keys (None for an endpoint named by
    TWOPHASE_LOCAL_ENDPOINT: twophase did not start it and holds no keys for it)."""

    endpoint: str
    credentials: RootCredentials | None = field(default=None, repr=False)


def home() -> Path:
    """The user's private state folder, `$TWOPHASE_HOME` else `~/.cache/twophase` (created 0700;
    refused if another user could use it)."""
    configured = os.environ.get(HOME_ENV)
    folder = Path(configured) if configured else Path.home() / ".cache" / "twophase"
    try:
        return private_folder(folder)
    except NotPrivate as exc:
        raise UnsafeStateFolder(
            f"the embedded AWS keeps its keys in {folder}, which is not private: {exc}",
            hint="use a folder only you can write to: `chmod 700` yours, or set TWOPHASE_HOME",
        ) from exc


def state_path() -> Path:
    return home() / "local.json"


def connect() -> LocalConnection:
    """The running embedded AWS (started if none runs) and its root keys.

    Every `endpoint: local` command comes here, so the usual case asks the server nothing: the
    state file names the process that wrote it, by pid and start time, and that process still
    running is the server (`_recorded_process_runs`). Only where that cannot be told (no /proc,
    or a state file without the start time) is the server asked who it is, as `status` does."""
    url = os.environ.get(ENDPOINT_ENV)
    if url:
        return LocalConnection(url)
    path = state_path()
    state = _read_state(path)
    if state is not None and _recorded_process_runs(state):
        return LocalConnection(state["endpoint"], _credentials(state))
    current = status() or start()
    return LocalConnection(current.endpoint, current.credentials)


def ensure_running() -> str:
    """Return the endpoint URL of the running embedded AWS, starting one if none runs."""
    return connect().endpoint


def recorded() -> dict[str, Any] | None:
    """What the state file records (pid, endpoint, started_at…): the server last started, whether
    or not it still runs; None without a state file. `local stop` removes it, a crash does not."""
    return _read_state(state_path())


def status() -> LocalStatus | None:
    """The running embedded AWS, or None when none runs (a stale state file counts as none)."""
    path = state_path()
    state = _read_state(path)
    return _confirm(state, path) if state is not None else None


def start(iam_enforcement: bool = False, *, timeout: float = START_TIMEOUT) -> LocalStatus:
    """Start the embedded AWS in the background, or return the one already running."""
    path = state_path()
    with _locked(path.with_name("local.lock")):
        current = status()
        if current is not None:
            if current.iam_enforcement != iam_enforcement:
                wanted = "with" if iam_enforcement else "without"
                raise LocalAwsError(
                    f"the embedded AWS already runs (pid {current.pid}) but {wanted} the IAM "
                    "enforcement asked for",
                    hint="run `twophase local stop` first, then start it again",
                )
            return current
        path.unlink(missing_ok=True)
        _remove_code_folders_of_dead_servers(path.parent)
        proc = _spawn(path, iam_enforcement)
        return _wait_ready(proc, path, timeout)


def stop(*, timeout: float = STOP_TIMEOUT) -> bool:
    """Stop the embedded AWS this state file records; False when none was running."""
    path = state_path()
    state = _read_state(path)
    if state is None:
        return False
    current = _confirm(state, path)
    if current is None:  # stale: the recorded pid is gone or is not our server any more
        _remove_if_token(path, state.get("token"))
        return False
    _signal(current.pid, signal.SIGTERM)
    if not _wait_exit(current.pid, timeout):
        _signal(current.pid, signal.SIGKILL)
        if not _wait_exit(current.pid, timeout):
            raise LocalAwsError(
                f"the embedded AWS (pid {current.pid}) did not exit",
                hint=f"end it with `kill -9 {current.pid}`",
            )
    _remove_if_token(path, state.get("token"))
    return True


# -- state file ---------------------------------------------------------------------------------


def _read_state(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(read_private(path))
    except (OSError, ValueError):
        return None  # none, unreadable, a link, not ours, or garbled: treat as no server
    required = {"pid": int, "port": int, "endpoint": str, "started_at": float, "token": str}
    if not isinstance(data, dict):
        return None
    for key, kind in required.items():
        value = data.get(key)
        if kind is float and isinstance(value, int):
            continue
        if not isinstance(value, kind):
            return None
    return data


def _remove_if_token(path: Path, token: object) -> None:
    state = _read_state(path)
    if state is not None and state.get("token") == token:
        with contextlib.suppress(FileNotFoundError):
            path.unlink()


def _confirm(state: dict[str, Any], path: Path) -> LocalStatus | None:
    pid = int(state["pid"])
    if not _alive(pid, exiting=False) or not _answers(state["endpoint"], state["token"], pid):
        return None
    return LocalStatus(
        endpoint=state["endpoint"],
        pid=pid,
        port=int(state["port"]),
        started_at=float(state["started_at"]),
        iam_enforcement=bool(state.get("iam_enforcement", False)),
        state_file=path,
        credentials=_credentials(state),
    )


def _recorded_process_runs(state: dict[str, Any]) -> bool:
    """Whether the process the state file records still runs: its pid is alive and started when
    the server wrote (`protocol.process_start`), so it is that server, not a process that reused
    its pid. The server writes the state file only once it accepts requests."""
    recorded_start = state.get("process_start")
    if not isinstance(recorded_start, str) or not recorded_start:
        return False
    return process_start(int(state["pid"])) == recorded_start  # None for a dead or exiting one


def _credentials(state: dict[str, Any]) -> RootCredentials | None:
    key, secret = state.get("access_key_id"), state.get("secret_access_key")
    if isinstance(key, str) and isinstance(secret, str) and key and secret:
        return RootCredentials(key, secret)
    return None


# -- processes ----------------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(lock_path: Path) -> Iterator[None]:
    import fcntl

    if lock_path.is_symlink():
        lock_path.unlink()  # the folder is private: replaced, never followed
    try:
        fd = open_private(lock_path, os.O_RDWR | os.O_CREAT)
    except OSError as exc:
        raise UnsafeStateFolder(f"cannot use the lock file {lock_path}: {exc}") from exc
    with os.fdopen(fd, "r+b") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _spawn(path: Path, iam_enforcement: bool) -> subprocess.Popen[bytes]:
    import subprocess  # here: a command that finds the server running never pays for it

    command = [sys.executable, "-m", "twophase.local", "serve", "--port", "0"]
    command += ["--state-file", str(path)]
    if iam_enforcement:
        command.append("--iam-enforcement")
    package_root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH")) if p)
    env.pop(ENDPOINT_ENV, None)
    # glibc: buffers of 1 MB and more (a pushed package, its base64 text) are mapped and given
    # back when freed, instead of staying in the heap; the server's memory follows what it holds.
    env.setdefault("MALLOC_MMAP_THRESHOLD_", str(1 << 20))
    log_path = path.with_name("local.log")
    log_path.unlink(missing_ok=True)  # a fresh file each start, never what a link points to
    log_fd = open_private(log_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL)
    with os.fdopen(log_fd, "wb") as log:
        proc = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=log,
            env=env,
            cwd=str(path.parent),
            start_new_session=True,
            close_fds=True,
        )
    _children.append(proc)
    return proc


def _wait_ready(proc: subprocess.Popen[bytes], path: Path, timeout: float) -> LocalStatus:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise LocalAwsError(
                f"the embedded AWS exited at start with status {proc.returncode}: "
                f"{_last_line(path.with_name('local.log'))}",
                hint="check that moto[server] is installed (pip install 'twophase[local]')",
            )
        state = _read_state(path)
        if state is not None and state["pid"] == proc.pid:
            current = _confirm(state, path)
            if current is not None:
                return current
        time.sleep(_POLL)
    proc.terminate()
    raise LocalAwsError(
        f"the embedded AWS did not answer within {timeout:g} s",
        hint=f"see {path.with_name('local.log')}",
    )


def _remove_code_folders_of_dead_servers(folder: Path) -> None:
    """Remove the code folders (`local-code-PID-*`) that servers no longer running left behind."""
    for entry in folder.glob(f"{CODE_FOLDER_PREFIX}*"):
        pid = entry.name[len(CODE_FOLDER_PREFIX) :].split("-", 1)[0]
        try:
            st = os.lstat(entry)
        except OSError:
            continue
        mine = stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid()
        if mine and pid.isdigit() and not _alive(int(pid)):
            import shutil

            shutil.rmtree(entry, ignore_errors=True)


def _last_line(log: Path) -> str:
    try:
        lines = [ln for ln in read_private(log).splitlines() if ln]
    except OSError:
        return "no output"
    return lines[-1] if lines else "no output"


def _alive(pid: int, *, exiting: bool = True) -> bool:
    """Whether process `pid` exists and has not ended (a zombie has). `exiting`: whether one
    that has begun to exit counts: it does while waiting for it to end, not as a server to use
    (a killed server keeps its pid while the kernel frees its memory, and never answers)."""
    if pid <= 0:
        return False
    _reap(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # alive but somebody else's; _answers() decides whether it is our server
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no /proc to tell more
    return not stopped(stat) if exiting else start_of_running(stat) is not None


def _reap(pid: int) -> None:
    """Collect the exit status if `pid` is our own child, so that it does not linger as a zombie."""
    with contextlib.suppress(ChildProcessError, OSError):
        os.waitpid(pid, os.WNOHANG)


def _answers(endpoint: str, token: str, pid: int, timeout: float = 1.0) -> bool:
    # http.client, not urllib.request: botocore loads it anyway, and this runs on every command.
    import hmac
    import http.client
    from urllib.parse import urlsplit

    url = urlsplit(endpoint)
    if url.scheme != "http" or url.hostname is None:
        return False
    nonce = os.urandom(16).hex()
    conn = http.client.HTTPConnection(url.hostname, url.port or 80, timeout=timeout)
    try:
        conn.request("GET", f"{IDENTITY_PATH}?nonce={nonce}")
        resp = conn.getresponse()
        if resp.status != 200:
            return False
        identity = json.loads(resp.read())
    except (OSError, ValueError, http.client.HTTPException):
        return False
    finally:
        conn.close()
    if not isinstance(identity, dict) or identity.get("pid") != pid:
        return False
    proof = identity.get("proof")
    return isinstance(proof, str) and hmac.compare_digest(proof, identity_proof(token, nonce))


def _signal(pid: int, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _wait_exit(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _alive(pid):
            return True
        time.sleep(_POLL)
    return not _alive(pid)
