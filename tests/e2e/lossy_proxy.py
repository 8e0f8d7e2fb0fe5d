"""A lossy HTTP/1.1 forwarding proxy for tests: the write happened, but its answer never came back.

`LossyProxy` listens on 127.0.0.1 (a free port) in front of an upstream on a loopback address (the
embedded AWS). It relays each request's bytes upstream exactly as received (request line, headers
in their order and case, including Host and the SigV4 Authorization, and the body) and the
upstream's final response back exactly as sent, so signatures and answers are untouched. For the
requests its drop policy picks, it performs the request upstream, reads the whole answer (the
write has happened), and then closes the client's connection without a byte of response:
botocore sees the connection close, raises a connection error and retries the write, which then
meets the state its own first attempt created.

A drop policy decides from the request's method and path; only Lambda's REST writes are ever
dropped (`write_kind`). `DropFirstAnswer` drops the first answer of each write kind on each
resource; `DropAtRandom` drops answers with a probability, from a seeded `random.Random`, never
more than a few in a row for one resource (botocore makes 6 attempts). `dropped` counts what was
dropped per kind, `exchanges` records every request.

Bounded: every socket has a timeout, `stop()` closes every connection and joins every thread,
and it is a context manager. Only loopback addresses are used, on both sides.
"""

from __future__ import annotations

import contextlib
import ipaddress
import random
import re
import socket
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO, Protocol
from urllib.parse import urlsplit

UPDATE_FUNCTION_CODE = "UpdateFunctionCode"
PUBLISH_VERSION = "PublishVersion"
UPDATE_ALIAS = "UpdateAlias"
WRITE_KINDS = (UPDATE_FUNCTION_CODE, PUBLISH_VERSION, UPDATE_ALIAS)

_WRITES = (
    ("PUT", re.compile(r"/2015-03-31/functions/[^/]+/code"), UPDATE_FUNCTION_CODE),
    ("POST", re.compile(r"/2015-03-31/functions/[^/]+/versions"), PUBLISH_VERSION),
    ("PUT", re.compile(r"/2015-03-31/functions/[^/]+/aliases/[^/]+"), UPDATE_ALIAS),
)
_MAX_HEAD = 64 * 1024
_MAX_LINES = 200
_CONTINUE = b"HTTP/1.1 100 Continue\r\n\r\n"
_BAD_GATEWAY = b"HTTP/1.1 502 Bad Gateway\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"


def write_kind(method: str, path: str) -> str | None:
    """The Lambda write a request is (`UpdateFunctionCode`, …), or None for anything else."""
    bare = path.split("?", 1)[0]
    for verb, pattern, kind in _WRITES:
        if method == verb and pattern.fullmatch(bare):
            return kind
    return None


# --- drop policies ------------------------------------------------------------------------------


class DropPolicy(Protocol):
    def should_drop(self, method: str, path: str) -> bool:
        """Whether to lose the answer of this request (called once per request, in order)."""
        ...


class NeverDrop:
    def should_drop(self, method: str, path: str) -> bool:
        return False


class DropFirstAnswer:
    """Drop the first answer of each write kind on each resource (path): the first
    UpdateFunctionCode and PublishVersion of a function, the first UpdateAlias of each alias.
    The retry that follows, and every later request, is answered."""

    def __init__(self, kinds: tuple[str, ...] = WRITE_KINDS) -> None:
        self.kinds = kinds
        self._seen: set[tuple[str, str]] = set()

    def should_drop(self, method: str, path: str) -> bool:
        kind = write_kind(method, path)
        if kind not in self.kinds:
            return False
        key = (kind, path.split("?", 1)[0])
        if key in self._seen:
            return False
        self._seen.add(key)
        return True


class DropAtRandom:
    """Drop each answer of these write kinds with probability `p`, drawn from
    `random.Random(seed)` (one draw per write, so a seed replays the same losses), but never more
    than `max_in_a_row` answers in a row for one resource: botocore makes 6 attempts, so every
    write eventually gets an answer."""

    def __init__(
        self,
        p: float,
        seed: int,
        kinds: tuple[str, ...] = WRITE_KINDS,
        max_in_a_row: int = 3,
    ) -> None:
        if not 0.0 <= p <= 1.0:
            raise ValueError(f"p must be within [0, 1], not {p}")
        self.p = p
        self.kinds = kinds
        self.max_in_a_row = max_in_a_row
        self._random = random.Random(seed)
        self._in_a_row: Counter[tuple[str, str]] = Counter()

    def should_drop(self, method: str, path: str) -> bool:
        kind = write_kind(method, path)
        if kind not in self.kinds:
            return False
        key = (kind, path.split("?", 1)[0])
        drop = self._random.random() < self.p and self._in_a_row[key] < self.max_in_a_row
        self._in_a_row[key] = self._in_a_row[key] + 1 if drop else 0
        return drop


# --- HTTP/1.1 framing, on raw bytes -------------------------------------------------------------


class FramingError(Exception):
    """A message the proxy cannot frame (too long, malformed, cut short)."""


@dataclass(frozen=True)
class Head:
    raw: bytes
    start_line: str
    headers: tuple[tuple[str, str], ...]

    def header(self, name: str) -> str | None:
        values = [v for k, v in self.headers if k.lower() == name.lower()]
        return ",".join(values) if values else None

    def tokens(self, name: str) -> list[str]:
        value = self.header(name) or ""
        return [t.strip().lower() for t in value.split(",") if t.strip()]


def read_head(reader: BinaryIO) -> Head | None:
    """The start line and headers, as sent; None on a clean end of stream before any byte."""
    lines: list[bytes] = []
    while True:
        line = reader.readline(_MAX_HEAD + 1)
        if not line:
            if lines:
                raise FramingError("stream ended inside a message head")
            return None
        if not line.endswith(b"\n") or len(lines) >= _MAX_LINES:
            raise FramingError("message head too long")
        lines.append(line)
        if line in (b"\r\n", b"\n"):
            break
    raw = b"".join(lines)
    if len(raw) > _MAX_HEAD:
        raise FramingError("message head too long")
    text = [ln.decode("latin-1").rstrip("\r\n") for ln in lines[:-1]]
    headers = tuple(_split_header(ln) for ln in text[1:])
    return Head(raw, text[0], headers)


def _split_header(line: str) -> tuple[str, str]:
    name, sep, value = line.partition(":")
    if not sep or not name.strip():
        raise FramingError(f"malformed header line {line!r}")
    return name.strip(), value.strip()


def _read_exact(reader: BinaryIO, size: int) -> bytes:
    data = reader.read(size)
    if len(data) != size:
        raise FramingError("stream ended inside a message body")
    return data


def _read_chunked(reader: BinaryIO) -> bytes:
    """A chunked body, framing and trailers included, exactly as sent."""
    parts: list[bytes] = []
    while True:
        line = reader.readline(1024)
        if not line.endswith(b"\n"):
            raise FramingError("bad chunk size line")
        parts.append(line)
        try:
            size = int(line.split(b";", 1)[0].strip(), 16)
        except ValueError as exc:
            raise FramingError("bad chunk size line") from exc
        if size == 0:
            break
        parts.append(_read_exact(reader, size + 2))
    while True:  # trailers, up to the blank line
        line = reader.readline(_MAX_HEAD)
        if not line.endswith(b"\n"):
            raise FramingError("stream ended inside the trailers")
        parts.append(line)
        if line in (b"\r\n", b"\n"):
            return b"".join(parts)


def read_body(reader: BinaryIO, head: Head, *, until_close: bool) -> bytes:
    """The body after `head`: chunked, Content-Length, or (a response without either) until the
    connection closes."""
    if "chunked" in head.tokens("Transfer-Encoding"):
        return _read_chunked(reader)
    length = head.header("Content-Length")
    if length is not None:
        sizes = {v.strip() for v in length.split(",")}
        if len(sizes) != 1 or not next(iter(sizes)).isdigit():
            raise FramingError(f"bad Content-Length {length!r}")
        return _read_exact(reader, int(sizes.pop()))
    return reader.read() if until_close else b""


def _status(head: Head) -> int:
    parts = head.start_line.split(" ", 2)
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        raise FramingError(f"bad status line {head.start_line!r}")
    return int(parts[1])


def _has_body(method: str, status: int) -> bool:
    return method != "HEAD" and status >= 200 and status not in (204, 304)


# --- the proxy ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Exchange:
    """One request the proxy forwarded: its write kind, the upstream's status (None when the
    upstream could not be reached) and whether its answer was dropped."""

    method: str
    path: str
    kind: str | None
    status: int | None
    dropped: bool


@dataclass(frozen=True)
class _Response:
    raw: bytes
    status: int
    close: bool


def _loopback_address(host: str, port: int) -> tuple[str, int]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    addresses = [info[4] for info in infos]
    if not addresses or not all(ipaddress.ip_address(a[0]).is_loopback for a in addresses):
        raise ValueError(f"the upstream {host!r} is not a loopback address")
    ipv4 = [a for a in addresses if ":" not in str(a[0])]
    chosen = (ipv4 or addresses)[0]
    return str(chosen[0]), int(chosen[1])


class LossyProxy:
    """A threaded HTTP/1.1 forwarding proxy on 127.0.0.1 that loses chosen answers."""

    def __init__(
        self,
        upstream: str,
        policy: DropPolicy | None = None,
        *,
        timeout: float = 30.0,
        join_timeout: float = 5.0,
    ) -> None:
        url = urlsplit(upstream)
        if url.scheme != "http" or url.hostname is None:
            raise ValueError(f"the upstream must be an http:// URL, not {upstream!r}")
        self.upstream = upstream
        self.policy: DropPolicy = policy or NeverDrop()
        self._address = _loopback_address(url.hostname, url.port or 80)
        self._timeout = timeout
        self._join_timeout = join_timeout
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._listener: socket.socket | None = None
        self._acceptor: threading.Thread | None = None
        self._threads: set[threading.Thread] = set()
        self._sockets: set[socket.socket] = set()
        self._exchanges: list[Exchange] = []
        self._dropped: Counter[str] = Counter()
        self.port = 0

    # lifecycle

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> str:
        """Listen on a free loopback port and accept in the background; returns the URL."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", 0))
        listener.listen(64)
        listener.settimeout(0.05)  # the accept loop checks for stop() this often
        self._listener = listener
        self.port = listener.getsockname()[1]
        self._acceptor = self._spawn(self._accept_loop, "lossy-proxy-accept")
        return self.url

    def stop(self) -> None:
        """Stop accepting, close every open connection, then join every thread."""
        self._stopping.set()
        if self._acceptor is not None:  # first, so that no connection starts after this
            self._acceptor.join(self._join_timeout)
        with self._lock:
            sockets = list(self._sockets)
            threads = list(self._threads)
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for thread in threads:
            thread.join(self._join_timeout)
        alive = [t.name for t in threads if t.is_alive()]
        if self._listener is not None:
            self._listener.close()
            self._listener = None
        if alive:
            raise RuntimeError(f"the proxy's threads did not stop: {alive}")

    def __enter__(self) -> LossyProxy:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # what happened

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    @property
    def dropped(self) -> Counter[str]:
        """Dropped answers per write kind."""
        with self._lock:
            return Counter(self._dropped)

    # internals

    def _spawn(self, target: Callable[..., None], name: str, *args: object) -> threading.Thread:
        # daemon only as a safety net: stop() joins every thread
        thread = threading.Thread(target=self._run, args=(target, *args), name=name, daemon=True)
        with self._lock:
            self._threads.add(thread)
        thread.start()
        return thread

    def _run(self, target: Callable[..., None], *args: object) -> None:
        try:
            target(*args)
        finally:
            with self._lock:
                self._threads.discard(threading.current_thread())

    def _track(self, sock: socket.socket, on: bool) -> None:
        with self._lock:
            if on:
                self._sockets.add(sock)
            else:
                self._sockets.discard(sock)

    def _accept_loop(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(self._timeout)
            self._track(conn, True)
            self._spawn(self._serve, "lossy-proxy-connection", conn)

    def _serve(self, conn: socket.socket) -> None:
        """Relay requests of one client connection (keep-alive) until it closes or one is
        dropped."""
        try:
            with conn.makefile("rb") as reader:
                while not self._stopping.is_set() and self._relay_one(conn, reader):
                    pass
        except (OSError, FramingError):
            pass  # a client that went away, a timeout or a message we cannot frame: close
        finally:
            self._track(conn, False)
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            conn.close()

    def _relay_one(self, conn: socket.socket, reader: BinaryIO) -> bool:
        """Relay one request; False when the client connection must close now."""
        head = read_head(reader)
        if head is None:
            return False
        method, path = _method_and_path(head)
        if "100-continue" in head.tokens("Expect"):
            conn.sendall(_CONTINUE)  # the upstream's own 100 Continue is swallowed below
        request = head.raw + read_body(reader, head, until_close=False)
        kind = write_kind(method, path)
        try:
            response = self._forward(request, method)
        except (OSError, FramingError):
            self._record(Exchange(method, path, kind, None, False))
            conn.sendall(_BAD_GATEWAY)
            return False
        with self._lock:  # decided once the upstream answered: an unreachable one consumes nothing
            drop = self.policy.should_drop(method, path)
        self._record(Exchange(method, path, kind, response.status, drop))
        if drop:
            return False  # the write happened upstream; its answer is lost with the connection
        conn.sendall(response.raw)
        return not (response.close or "close" in head.tokens("Connection"))

    def _forward(self, request: bytes, method: str) -> _Response:
        """Send the request's bytes upstream on a new connection; the final response's bytes."""
        upstream = socket.create_connection(self._address, timeout=self._timeout)
        self._track(upstream, True)
        try:
            upstream.sendall(request)
            with upstream.makefile("rb") as reader:
                head = _final_head(reader)
                status = _status(head)
                if not _has_body(method, status):
                    return _Response(head.raw, status, "close" in head.tokens("Connection"))
                delimited = "chunked" in head.tokens("Transfer-Encoding") or (
                    head.header("Content-Length") is not None
                )
                body = read_body(reader, head, until_close=True)
                close = "close" in head.tokens("Connection") or not delimited
                return _Response(head.raw + body, status, close)
        finally:
            self._track(upstream, False)
            upstream.close()

    def _record(self, exchange: Exchange) -> None:
        with self._lock:
            self._exchanges.append(exchange)
            if exchange.dropped and exchange.kind is not None:
                self._dropped[exchange.kind] += 1


def _final_head(reader: BinaryIO) -> Head:
    """The final response's head: 1xx answers are interim (the client got its own 100 Continue)."""
    while True:
        head = read_head(reader)
        if head is None:
            raise FramingError("the upstream closed without an answer")
        if not 100 <= _status(head) < 200:
            return head


def _method_and_path(head: Head) -> tuple[str, str]:
    parts = head.start_line.split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise FramingError(f"bad request line {head.start_line!r}")
    return parts[0], parts[1]
