"""The direct reads' HTTP/1.1 connection (`twophase/aws/direct_http.py`), against a loopback server
that writes exactly the bytes each test scripts.

How an answer's body is framed follows RFC 9112, "HTTP/1.1", section 6.3 (Message Body Length):
no body for 204 and 304, else chunked, else Content-Length, else up to the end of the
connection; section 9.3 (Persistence): HTTP/1.1 keeps a connection unless `Connection: close`,
HTTP/1.0 closes it unless `keep-alive`. Interim 1xx answers precede the final one (RFC 9110,
section 15.2). Whatever does not read as an answer is a ProtocolError, never a wrong body.
"""

from __future__ import annotations

import socket
import ssl
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from twophase.aws.direct_http import MAX_HEADERS, Connection, ProtocolError, _readable

OK = b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"


CLOSE = b""  # after an answer in the script: the server closes the connection


@dataclass
class RawServer:
    """Answers each request with the next scripted bytes. `CLOSE` after an answer closes the
    connection once it is written; a request with nothing left in the script is not answered:
    the connection is closed instead."""

    script: list[bytes] = field(default_factory=list)
    requests: list[bytes] = field(default_factory=list)
    connections: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        with client, client.makefile("rb") as reader:
            while True:
                head = b""
                while not head.endswith(b"\r\n\r\n"):
                    line = reader.readline()
                    if not line:
                        return
                    head += line
                sized = [n for n in head.split(b"\r\n") if n.lower().startswith(b"content-length")]
                size = int(sized[0].split(b":")[1]) if sized else 0
                self.requests.append(head + reader.read(size))
                with self.lock:  # the answer and its CLOSE are taken together
                    if not self.script:
                        return
                    answer = self.script.pop(0)
                    close = self.script[:1] == [CLOSE]
                    del self.script[:close]
                client.sendall(answer)
                if close:
                    return


@pytest.fixture
def server() -> Iterator[RawServer]:
    srv = RawServer()
    yield srv
    srv.listener.close()


def connect(server: RawServer) -> Connection:
    return Connection("127.0.0.1", server.port, connect_timeout=5, read_timeout=5)


def test_a_request_is_sent_as_written_with_its_host_and_no_compression(
    server: RawServer,
) -> None:
    server.script = [OK, OK]
    conn = connect(server)
    conn.request("GET", "/2015-03-31/functions/fn/aliases?Marker=x", {"Host": "lambda:9"})
    conn.request("POST", "/", {"Host": "cfn"}, b"Action=GetTemplate")

    get, post = server.requests
    assert get == (
        b"GET /2015-03-31/functions/fn/aliases?Marker=x HTTP/1.1\r\nHost: lambda:9\r\n"
        b"Accept-Encoding: identity\r\n\r\n"
    )
    assert post.startswith(b"POST / HTTP/1.1\r\nHost: cfn\r\nContent-Length: 18\r\n")
    assert post.endswith(b"\r\n\r\nAction=GetTemplate")


def test_a_sized_answer_is_read_and_the_connection_kept(server: RawServer) -> None:
    server.script = [
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
        OK,
    ]
    conn = connect(server)
    assert conn.request("GET", "/a", {}) == (
        200,
        {"content-type": "application/json", "content-length": "2"},
        b"{}",
    )
    assert conn.request("GET", "/b", {})[2] == b"hello"
    assert server.connections == 1


def test_a_chunked_answer_is_joined_past_extensions_and_trailers(server: RawServer) -> None:
    server.script = [
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"4;name=value\r\nwiki\r\n5\r\npedia\r\nE\r\n in\r\n\r\nchunks.\r\n0\r\n"
        b"Expires: never\r\n\r\n",
        OK,
    ]
    conn = connect(server)
    assert conn.request("GET", "/", {})[2] == b"wikipedia in\r\n\r\nchunks."
    assert conn.request("GET", "/", {})[2] == b"hello"  # the trailer was read to its end
    assert server.connections == 1


@pytest.mark.parametrize(
    "answer",
    [
        b"HTTP/1.1 200 OK\r\n\r\nok",  # no length: the body runs to the close
        b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok",
        b"HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok",
    ],
    ids=["read-to-close", "connection-close", "http-1.0"],
)
def test_an_answer_that_ends_the_connection_closes_it_and_the_next_opens_one(
    server: RawServer, answer: bytes
) -> None:
    server.script = [answer, CLOSE, OK]
    conn = connect(server)
    assert conn.request("GET", "/", {})[2] == b"ok"
    assert conn.request("GET", "/", {})[2] == b"hello"
    assert server.connections == 2


def test_an_http_1_0_answer_that_keeps_alive_keeps_the_connection(server: RawServer) -> None:
    server.script = [b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n", OK]
    conn = connect(server)
    conn.request("GET", "/", {})
    conn.request("GET", "/", {})
    assert server.connections == 1


@pytest.mark.parametrize("status", [204, 304])
def test_a_204_or_304_has_no_body_whatever_it_says(server: RawServer, status: int) -> None:
    server.script = [f"HTTP/1.1 {status} X\r\nContent-Length: 5\r\n\r\n".encode(), OK]
    conn = connect(server)
    assert conn.request("GET", "/", {}) == (status, {"content-length": "5"}, b"")
    assert conn.request("GET", "/", {})[2] == b"hello"


def test_an_interim_answer_is_passed_over(server: RawServer) -> None:
    server.script = [b"HTTP/1.1 100 Continue\r\n\r\n" + OK]
    assert connect(server).request("POST", "/", {}, b"x") == (
        200,
        {"content-length": "5"},
        b"hello",
    )


def test_a_repeated_header_is_joined(server: RawServer) -> None:
    server.script = [b"HTTP/1.1 200 OK\r\nVia: a\r\nVIA: b\r\nContent-Length: 0\r\n\r\n"]
    assert connect(server).request("GET", "/", {})[1]["via"] == "a, b"


@pytest.mark.parametrize(
    "answer",
    [
        b"<html>captive portal</html>\r\n\r\n",
        b"HTTP/2 200\r\n\r\n",
        b"HTTP/1.1 2xx OK\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort",
        b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\nabc",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabcX\r\n0\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nno colon here\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n folded: header\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: " + b"y" * 70000 + b"\r\n\r\n",
        b"HTTP/1.1 200 OK\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1) + b"\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n",  # the connection ends in the headers
    ],
    ids=[
        "not-http",
        "http-2",
        "status-not-a-number",
        "body-cut-short",
        "negative-length",
        "two-lengths",
        "bad-chunk-size",
        "chunk-without-line-end",
        "header-without-colon",
        "folded-header",
        "line-too-long",
        "too-many-headers",
        "ends-in-headers",
    ],
)
def test_what_is_not_an_answer_is_a_protocol_error_and_the_connection_dropped(
    server: RawServer, answer: bytes
) -> None:
    server.script = [answer, CLOSE, OK]
    conn = connect(server)
    with pytest.raises(ProtocolError):
        conn.request("GET", "/", {})
    assert conn.request("GET", "/", {})[2] == b"hello"
    assert server.connections == 2


def test_a_connection_the_server_closed_while_idle_is_replaced_before_sending(
    server: RawServer,
) -> None:
    """What a kept-alive connection meets when AWS closes it between calls: the next request
    goes on a new connection, not onto the closed one to fail there."""
    server.script = [OK, CLOSE, OK]
    conn = connect(server)
    conn.request("GET", "/", {})
    kept = conn._sock
    assert kept is not None
    deadline = time.monotonic() + 5
    while not _readable(kept) and time.monotonic() < deadline:
        time.sleep(0.01)  # until the close has reached this side

    assert conn.request("GET", "/", {})[2] == b"hello"
    assert len(server.requests) == 2  # nothing was sent on the closed connection
    assert server.connections == 2


def test_an_endpoint_that_refuses_raises_oserror() -> None:
    with socket.create_server(("127.0.0.1", 0)) as probe:
        port = probe.getsockname()[1]
    conn = Connection("127.0.0.1", port, connect_timeout=5, read_timeout=5)
    with pytest.raises(OSError):
        conn.request("GET", "/", {})


def _self_signed(folder: Path) -> tuple[Path, Path]:
    """A certificate for `localhost` signed by its own key: (certificate, key) as PEM files."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("localhost")]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_file, key_file


def _tls_server(cert: Path, key: Path) -> tuple[int, list[bytes]]:
    """A loopback TLS server answering every request of its connections with OK."""
    served = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    served.load_cert_chain(cert, key)
    listener = socket.create_server(("127.0.0.1", 0))
    heads: list[bytes] = []

    def serve() -> None:
        while True:
            raw, _ = listener.accept()
            try:
                with served.wrap_socket(raw, server_side=True) as tls, tls.makefile("rb") as r:
                    head = b""
                    while line := r.readline():
                        head += line
                        if line == b"\r\n":
                            heads.append(head)
                            tls.sendall(OK)
                            head = b""
            except (OSError, ssl.SSLError):
                continue

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1], heads


def test_https_verifies_the_server_by_the_context_given(tmp_path: Path) -> None:
    """The TLS context decides whom to trust: the certificate's own issuer is trusted, the
    default CA certificates do not know it (RFC 9110, section 4.3.4: https requires the
    server's certificate to be verified for the host)."""
    cert, key = _self_signed(tmp_path)
    port, heads = _tls_server(cert, key)
    trusting = ssl.create_default_context(cafile=str(cert))

    conn = Connection("localhost", port, tls=trusting, connect_timeout=5, read_timeout=5)
    assert conn.request("GET", "/a", {"Host": f"localhost:{port}"})[2] == b"hello"
    assert conn.request("GET", "/b", {"Host": f"localhost:{port}"})[2] == b"hello"
    assert [h.split(b"\r\n")[0] for h in heads] == [b"GET /a HTTP/1.1", b"GET /b HTTP/1.1"]
    conn.close()  # the server serves one connection at a time

    stranger = Connection(
        "localhost", port, tls=ssl.create_default_context(), connect_timeout=5, read_timeout=5
    )
    with pytest.raises(ssl.SSLCertVerificationError):
        stranger.request("GET", "/c", {"Host": f"localhost:{port}"})
    assert len(heads) == 2
