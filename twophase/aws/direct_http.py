"""One kept-alive HTTP/1.1 connection for the direct reads (`direct.py`), on `socket` alone.

`http.client` parses headers with the `email` package and builds the `http` package's status
enum as it loads: about 25 ms, a quarter of `twophase status`'s start-up. The direct reads need
far less of HTTP: one request at a time on a connection, answers framed by `Content-Length`,
`Transfer-Encoding: chunked` or the end of the connection (RFC 9112, section 6.3), and nothing
of proxies, uploads or compression. What does not read as such an answer raises `ProtocolError`,
which the transport treats as a broken connection: it drops the connection and retries.
"""

from __future__ import annotations

import socket
from typing import Any

MAX_LINE = 65536  # as http.client: a longer status or header line is not an HTTP answer
MAX_HEADERS = 100
NO_BODY = frozenset({204, 304})


class ProtocolError(Exception):
    """An answer that is not HTTP/1.x as this client reads it (or a connection that ended in
    the middle of one)."""


class Connection:
    """One connection to `host:port`, opened on the first request and kept open while the
    server keeps it: `connect_timeout` to connect, then `read_timeout` for each read.

    `tls` is an `ssl.SSLContext` for https (None for http). The `Host` header is the caller's
    to send, since it is signed."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        tls: Any = None,
        connect_timeout: float,
        read_timeout: float,
    ) -> None:
        self.host, self.port = host, port
        self._tls = tls
        self._connect_timeout, self._read_timeout = connect_timeout, read_timeout
        self._sock: socket.socket | None = None
        self._reader: Any = None

    def request(
        self, method: str, target: str, headers: dict[str, str], body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        """Send one GET or POST and read its whole answer: status, headers (names lower-case,
        repeated ones joined by ", ") and body. On any error the connection is closed."""
        try:
            if self._sock is not None and _readable(self._sock):
                self.close()  # an idle connection has nothing to say: the server closed it
            if self._sock is None:
                self._open()
            assert self._sock is not None
            self._sock.sendall(_head(method, target, headers, body) + body)
            status, answer_headers, body_out, keep = self._answer()
        except BaseException:
            self.close()
            raise
        if not keep:
            self.close()
        return status, answer_headers, body_out

    def close(self) -> None:
        sock, reader = self._sock, self._reader
        self._sock = self._reader = None
        if reader is not None:
            reader.close()
        if sock is not None:
            sock.close()

    def _open(self) -> None:
        # A host given as bytes skips the idna codec (and its imports) for a plain ASCII name.
        host: str | bytes = self.host.encode("ascii") if self.host.isascii() else self.host
        address = (host, self.port)  # bytes are taken, though typeshed names str only
        sock = socket.create_connection(address, timeout=self._connect_timeout)  # type: ignore[arg-type]
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._tls is not None:
                sock = self._tls.wrap_socket(sock, server_hostname=self.host)
            sock.settimeout(self._read_timeout)
        except BaseException:
            sock.close()
            raise
        self._sock, self._reader = sock, sock.makefile("rb")

    def _answer(self) -> tuple[int, dict[str, str], bytes, bool]:
        while True:
            version, status = _status_line(self._line())
            headers = self._headers()
            if not 100 <= status < 200:
                break  # an interim answer (100 Continue) is followed by the real one
        connection = headers.get("connection", "").lower()
        keep = "close" not in connection and (version == "HTTP/1.1" or "keep-alive" in connection)
        if status in NO_BODY:
            return status, headers, b"", keep
        if "chunked" in headers.get("transfer-encoding", "").lower():
            return status, headers, self._chunked(), keep
        length = headers.get("content-length")
        if length is None:  # the body runs to the end of the connection
            return status, headers, self._reader.read(), False
        if not length.isdigit():
            raise ProtocolError(f"an invalid Content-Length: {length!r}")
        return status, headers, self._exactly(int(length)), keep

    def _line(self) -> bytes:
        line: bytes = self._reader.readline(MAX_LINE + 1)
        if len(line) > MAX_LINE:
            raise ProtocolError("a line of the answer is too long")
        if not line:
            raise ProtocolError("the server closed the connection without an answer")
        return line

    def _headers(self) -> dict[str, str]:
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = self._line()
            if line in (b"\r\n", b"\n"):
                return headers
            name, colon, value = line.decode("iso-8859-1").partition(":")
            if not colon or not name or name != name.strip():
                raise ProtocolError(f"a malformed header line: {line[:80]!r}")
            key, text = name.lower(), value.strip()
            headers[key] = f"{headers[key]}, {text}" if key in headers else text
        raise ProtocolError(f"more than {MAX_HEADERS} header lines")

    def _exactly(self, size: int) -> bytes:
        data: bytes = self._reader.read(size)
        if len(data) != size:
            raise ProtocolError(f"the answer ended after {len(data)} of {size} bytes")
        return data

    def _chunked(self) -> bytes:
        parts: list[bytes] = []
        while True:
            size_text = self._line().split(b";", 1)[0].strip()
            try:
                size = int(size_text, 16)
            except ValueError:
                raise ProtocolError(f"an invalid chunk size: {size_text[:20]!r}") from None
            if size == 0:
                break
            parts.append(self._exactly(size))
            if self._line() not in (b"\r\n", b"\n"):
                raise ProtocolError("a chunk not followed by its line end")
        while self._line() not in (b"\r\n", b"\n"):  # trailer fields, not used
            pass
        return b"".join(parts)


def _readable(sock: socket.socket) -> bool:
    """Whether a read would not block: on an idle kept-alive connection, its end (or a stray
    answer) has arrived. urllib3 looks the same way before it reuses a connection."""
    import select

    if not hasattr(select, "poll"):  # Windows
        return bool(select.select([sock], [], [], 0)[0])
    poller = select.poll()  # not select(): it fails on a descriptor past 1023
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def _head(method: str, target: str, headers: dict[str, str], body: bytes) -> bytes:
    lines = [f"{method} {target} HTTP/1.1"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    lines.append("Accept-Encoding: identity")  # as http.client: never a compressed answer
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _status_line(line: bytes) -> tuple[str, int]:
    version, _, rest = line.decode("iso-8859-1").strip().partition(" ")
    code = rest[:3]
    if not version.startswith("HTTP/1.") or not code.isdigit() or rest[3:4] not in ("", " "):
        raise ProtocolError(f"not an HTTP/1.x status line: {line[:80]!r}")
    return version, int(code)
