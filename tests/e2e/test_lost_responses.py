"""A write whose answer was lost is recognised as one's own.

botocore retries a write when the connection closes before the answer arrives; the retry then meets
the state its own first attempt created: the alias already at our version (UpdateAlias), `$LATEST`
already our code (UpdateFunctionCode), our version already published (PublishVersion). twophase must
recognise its own write and succeed, not report a conflict that names the user themself.

`LossyProxy` (tests/e2e/lossy_proxy.py) stands between the CLI and the embedded AWS and loses the
answers of chosen Lambda writes after the embedded AWS has performed them. First the proxy itself is
tested (bytes through it unchanged, SigV4 signatures still valid, a lost answer retried by botocore
and the retry reaching the upstream, bounded shutdown); then `push` and `alias promote` run through
it, once with the first answer of every write kind lost, then as a seeded soak of 20 releases.
"""

from __future__ import annotations

import json
import socket
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import CliResult, run_cli
from tests.e2e.lossy_proxy import (
    PUBLISH_VERSION,
    UPDATE_ALIAS,
    UPDATE_FUNCTION_CODE,
    WRITE_KINDS,
    DropAtRandom,
    DropFirstAnswer,
    LossyProxy,
    write_kind,
)
from tests.local.test_lambda_revision_id import code, create_function
from twophase.aws.session import Clients, Target
from twophase.local.extensions import iam_enforcement
from twophase.local.root_credentials import RootCredentials

FUNCTION = "shop-local-api"
API_SOURCE = Path("examples/shop/services/api/app.py")
SOAK_ROUNDS = 20
SOAK_DROP_P = 0.3
SOAK_SEED = 42  # loses answers of every kind, often, and up to 3 in a row


@pytest.fixture
def signatures_checked(local_aws: LocalAwsHandle) -> Iterator[None]:
    """The embedded AWS checks every request's SigV4 signature (and the local key is root)."""
    iam_enforcement.enable(True)
    try:
        yield
    finally:
        iam_enforcement.enable(False)


def lambda_through(url: str, root: RootCredentials, secret: str | None = None) -> Any:
    """A Lambda client from twophase's own factory (standard retry mode, 6 attempts) at `url`."""
    target = Target(
        region="us-east-1",
        endpoint_url=url,
        local=True,
        access_key=root.access_key_id,
        secret_key=secret or root.secret_access_key,
    )
    return Clients(target).client("lambda")


# --- the proxy itself ---------------------------------------------------------------------------


def test_write_kinds_are_exactly_the_three_lambda_writes() -> None:
    base = "/2015-03-31/functions/shop-local-api"
    assert write_kind("PUT", f"{base}/code") == UPDATE_FUNCTION_CODE
    assert write_kind("POST", f"{base}/versions") == PUBLISH_VERSION
    assert write_kind("PUT", f"{base}/aliases/next") == UPDATE_ALIAS
    assert write_kind("PUT", "/2015-03-31/functions/arn%3Aaws%3Alambda%3Afn/code") is not None
    assert write_kind("GET", f"{base}/aliases/next") is None  # GetAlias
    assert write_kind("POST", f"{base}/aliases") is None  # CreateAlias
    assert write_kind("GET", f"{base}/versions?MaxItems=50") is None  # ListVersionsByFunction
    assert write_kind("PUT", f"{base}/configuration") is None  # UpdateFunctionConfiguration
    assert write_kind("POST", "/") is None  # STS, CloudFormation


def test_drop_policies_are_deterministic_and_bounded() -> None:
    first = DropFirstAnswer()
    path = "/2015-03-31/functions/fn/aliases/"
    calls = [("PUT", path + "next"), ("PUT", path + "next"), ("PUT", path + "live")]
    assert [first.should_drop(m, p) for m, p in calls] == [True, False, True]
    assert first.should_drop("GET", path + "next") is False

    def draws(seed: int) -> list[bool]:
        policy = DropAtRandom(0.9, seed, max_in_a_row=3)
        return [policy.should_drop("PUT", path + "next") for _ in range(200)]

    assert draws(7) == draws(7)
    assert draws(7) != draws(8)
    run = longest = 0
    for dropped in draws(7):
        run = run + 1 if dropped else 0
        longest = max(longest, run)
    assert longest == 3  # p=0.9 would make longer runs: the cap holds
    never = DropAtRandom(0.0, 1)
    assert not any(never.should_drop("PUT", path + "next") for _ in range(50))


def test_the_upstream_must_be_loopback_http() -> None:
    with pytest.raises(ValueError, match="loopback"):
        LossyProxy("http://192.0.2.1:80")
    with pytest.raises(ValueError, match="http://"):
        LossyProxy("https://127.0.0.1:443")


class RawUpstream:
    """A loopback HTTP server that records each request's bytes exactly and answers with canned
    bytes chosen by path (one request per connection, like the proxy's upstream connections)."""

    def __init__(self, answers: dict[str, bytes]) -> None:
        self.answers = answers
        self.received: list[bytes] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.05)
        self._stopping = threading.Event()
        self._unanswered: list[socket.socket] = []
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> RawUpstream:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stopping.set()
        self._thread.join(5)
        self._listener.close()
        for conn in self._unanswered:
            conn.close()

    def _serve(self) -> None:
        while not self._stopping.is_set():
            try:
                conn, _ = self._listener.accept()
            except TimeoutError:
                continue
            conn.settimeout(5)
            request = self._read_request(conn)
            self.received.append(request)
            answer = self.answers[request.split(b" ", 2)[1].decode()]
            if not answer:
                self._unanswered.append(conn)  # left open, silent, until __exit__
                continue
            with conn:
                conn.sendall(answer)

    @staticmethod
    def _read_request(conn: socket.socket) -> bytes:
        data = b""
        while b"\r\n\r\n" not in data:
            data += conn.recv(65536)
        head, _, body = data.partition(b"\r\n\r\n")
        length = 0
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            if name.strip().lower() == b"content-length":
                length = int(value)
        while len(body) < length:
            body += conn.recv(65536)
        return head + b"\r\n\r\n" + body


def read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def test_bytes_pass_through_unchanged_and_a_dropped_answer_never_arrives() -> None:
    chunked = (
        b"HTTP/1.1 200 OK\r\nx-amzn-RequestId: abc\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n"
        b"Transfer-Encoding: chunked\r\n\r\n"
        b"5;ext=1\r\nhello\r\n3\r\n\x00\r\n\r\n0\r\nX-T: 1\r\n\r\n"
    )
    body = b'{"Type":"User","x":"\xff\x00\r\n"}'
    sized = (
        b"HTTP/1.1 412 Precondition Failed\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n\r\n%s" % (len(body), body)
    )
    alias_path = "/2015-03-31/functions/fn/aliases/live"
    written = b'HTTP/1.1 200 OK\r\nContent-Length: 16\r\n\r\n{"Version": "2"}'
    requests = [
        b"GET /chunked?a=1&b=%20 HTTP/1.1\r\nHost: lambda.us-east-1.amazonaws.com\r\n"
        b"authorization: AWS4-HMAC-SHA256 Credential=x, SignedHeaders=host, Signature=00\r\n"
        b"X-Dup: 1\r\nX-Dup: 2\r\n\r\n",
        b"POST /sized HTTP/1.1\r\nHost: elsewhere:1234\r\nContent-Length: 6\r\n\r\n"
        b"\x00\x01\r\n\xfe\xff",
    ]
    expect_head = (
        b"PUT /expect HTTP/1.1\r\nHost: h\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n"
    )
    continued = b"HTTP/1.1 100 Continue\r\n\r\n"
    write = f"PUT {alias_path} HTTP/1.1\r\nHost: h\r\nContent-Length: 2\r\n\r\n{{}}".encode()
    answers = {
        "/chunked?a=1&b=%20": chunked,
        "/sized": sized,
        "/expect": continued + sized,  # the upstream's interim answer is not relayed twice
        alias_path: written,
    }
    with (
        RawUpstream(answers) as upstream,
        LossyProxy(upstream.url, DropFirstAnswer()) as proxy,
        socket.create_connection(("127.0.0.1", proxy.port), timeout=5) as client,
    ):
        for request, answer in zip(requests, (chunked, sized), strict=True):
            client.sendall(request)  # one keep-alive connection for all
            assert read_exactly(client, len(answer)) == answer
        client.sendall(expect_head)
        assert read_exactly(client, len(continued)) == continued
        client.sendall(b"abc")
        assert read_exactly(client, len(sized)) == sized
        client.sendall(write)
        assert client.recv(1) == b""  # closed without an answer

    assert upstream.received == [*requests, expect_head + b"abc", write]  # byte for byte
    assert [(e.status, e.dropped) for e in proxy.exchanges] == [
        (200, False),
        (412, False),
        (412, False),
        (200, True),
    ]
    assert proxy.dropped == Counter({UPDATE_ALIAS: 1})


def test_botocore_retries_a_dropped_write_and_the_retry_reaches_the_upstream(
    local_aws: LocalAwsHandle, signatures_checked: None
) -> None:
    direct = local_aws.clients()
    create_function(direct, "fn")
    lam = direct.client("lambda")
    lam.publish_version(FunctionName="fn")
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    lam.update_function_code(FunctionName="fn", ZipFile=code("v = 2\n"))
    lam.publish_version(FunctionName="fn")

    with LossyProxy(local_aws.endpoint_url, DropFirstAnswer()) as proxy:
        # No RevisionId: the retry may land on the state the lost attempt made.
        moved = lambda_through(proxy.url, local_aws.credentials).update_alias(
            FunctionName="fn", Name="live", FunctionVersion="2"
        )
        with pytest.raises(ClientError) as forged:  # signatures are really checked
            lambda_through(proxy.url, local_aws.credentials, secret="not-the-secret").get_alias(
                FunctionName="fn", Name="live"
            )

    assert moved["FunctionVersion"] == "2"
    assert moved["ResponseMetadata"]["RetryAttempts"] == 1
    updates = [e for e in proxy.exchanges if e.kind == UPDATE_ALIAS]
    assert [e.dropped for e in updates] == [True, False]
    assert all(e.status is not None and 200 <= e.status < 300 for e in updates)
    assert proxy.dropped == Counter({UPDATE_ALIAS: 1})
    assert forged.value.response["Error"]["Code"] == "InvalidSignatureException"
    assert lam.get_alias(FunctionName="fn", Name="live")["FunctionVersion"] == "2"


def test_the_embedded_aws_identity_answers_through_the_proxy(local_aws: LocalAwsHandle) -> None:
    import http.client

    with LossyProxy(local_aws.endpoint_url) as proxy:
        conn = http.client.HTTPConnection("127.0.0.1", proxy.port, timeout=5)
        conn.request("GET", "/__twophase/identity")
        answer = conn.getresponse()
        identity = json.loads(answer.read())
        conn.close()
    assert answer.status == 200
    assert identity["service"] == "twophase-local"


def test_stop_is_bounded_with_idle_half_sent_and_unanswered_requests() -> None:
    ok = b"HTTP/1.1 204 No Content\r\n\r\n"
    with RawUpstream({"/ok": ok, "/hang": b""}) as upstream:  # /hang: never answered
        proxy = LossyProxy(upstream.url, timeout=30)
        proxy.start()
        clients = [socket.create_connection(("127.0.0.1", proxy.port), timeout=5) for _ in "abc"]
        for client in clients[:2]:  # each accepted and answered once, then kept alive
            client.sendall(b"GET /ok HTTP/1.1\r\nHost: h\r\n\r\n")
            assert read_exactly(client, len(ok)) == ok
        clients[1].sendall(b"GET /ok HTTP/1.1\r\nHo")  # half a request
        clients[2].sendall(b"GET /hang HTTP/1.1\r\nHost: h\r\n\r\n")
        while len(upstream.received) < 3:  # the unanswered request reached the upstream
            time.sleep(0.01)
        started = time.monotonic()
        proxy.stop()
        assert time.monotonic() - started < 2  # not the 30 s socket timeout
        assert clients[0].recv(1) == b""
        for client in clients:
            client.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("lossy-proxy")]


# --- push and promote through lost answers ------------------------------------------------------


def versions(lam: Any) -> dict[str, str]:
    """Published version → its CodeSha256, read directly (not through the proxy)."""
    pages = lam.get_paginator("list_versions_by_function").paginate(FunctionName=FUNCTION)
    found = {v["Version"]: v["CodeSha256"] for p in pages for v in p["Versions"]}
    found.pop("$LATEST", None)
    return found


def aliases(lam: Any) -> dict[str, str]:
    listed = lam.list_aliases(FunctionName=FUNCTION)["Aliases"]
    return {a["Name"]: a["FunctionVersion"] for a in listed}


def failed(result: CliResult, proxy: LossyProxy) -> str:
    trail = [(e.method, e.path, e.status, e.dropped) for e in proxy.exchanges if e.kind]
    return f"exit {result.exit_code}: {result.stderr.strip()}\nwrites through the proxy: {trail}"


def release(
    capsys: pytest.CaptureFixture[str], lam: Any, proxy: LossyProxy, label: str
) -> tuple[str, str]:
    """push api, then alias promote api, through the proxy: both succeed, exactly one new version
    is published, it holds `$LATEST`'s (our) code, and next and live both point at it."""
    before = versions(lam)
    pushed = run_cli(capsys, "--output", "json", "push", "api")
    assert pushed.exit_code == 0, f"{label}: push api: {failed(pushed, proxy)}"
    result = json.loads(pushed.stdout)["data"][0]["result"]
    promoted = run_cli(capsys, "alias", "promote", "api")
    assert promoted.exit_code == 0, f"{label}: alias promote api: {failed(promoted, proxy)}"
    for said in (pushed.stderr, promoted.stderr):  # not even as a warning
        assert "under you" not in said and "conflict" not in said.lower(), f"{label}: {said}"

    after = versions(lam)
    new = sorted(set(after) - set(before), key=int)
    assert len(new) == 1, f"{label}: versions published by one push: {new}"
    version = new[0]
    latest = lam.get_function_configuration(FunctionName=FUNCTION)["CodeSha256"]
    assert after[version] == latest == result["code_sha256"], label
    assert result["version"] == version, label
    assert aliases(lam) == {"next": version, "live": version}, label
    return version, latest


def shared_models(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every CLI run builds a fresh botocore session, which parses the service models again (about
    0.1 s a run, half the soak's time). The soak's 40 runs share one loader of that read-only model
    data: what goes over the wire, and what twophase does with it, are unchanged."""
    import botocore.loaders
    import botocore.session

    loader = botocore.loaders.create_loader()
    monkeypatch.setattr(botocore.session, "create_loader", lambda *_: loader)


@pytest.fixture
def deployed(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> Iterator[Any]:
    """`infra up` straight to the embedded AWS; yields a Lambda client that bypasses the proxy."""
    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 0, up.stderr
    yield local_aws.clients().client("lambda")


def test_first_lost_answer_of_every_write_kind_is_recognised_as_ours(
    deployed: Any,
    local_aws: LocalAwsHandle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    signatures_checked: None,
) -> None:
    lam = deployed
    dummy = versions(lam)
    with LossyProxy(local_aws.endpoint_url, DropFirstAnswer()) as proxy:
        monkeypatch.setenv("TWOPHASE_LOCAL_ENDPOINT", proxy.url)
        _, sha = release(capsys, lam, proxy, "first answers lost")

    assert sha not in dummy.values()  # the push really changed the code
    assert proxy.dropped == Counter(
        {UPDATE_FUNCTION_CODE: 1, PUBLISH_VERSION: 1, UPDATE_ALIAS: 2}
    ), "every write kind lost its first answer (next by push, live by promote)"
    lost = [e for e in proxy.exchanges if e.dropped]
    assert {e.path.rsplit("/", 1)[-1] for e in lost if e.kind == UPDATE_ALIAS} == {"next", "live"}
    assert all(e.status is not None and 200 <= e.status < 300 for e in lost), (
        f"every lost answer was of a write that happened: {lost}"
    )


def test_soak_of_releases_with_answers_lost_at_random(
    deployed: Any,
    app: Path,
    local_aws: LocalAwsHandle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    shared_models(monkeypatch)
    lam = deployed
    source = app.parent / API_SOURCE
    original = source.read_text()
    seen: set[str] = set()
    policy = DropAtRandom(SOAK_DROP_P, SOAK_SEED)
    with LossyProxy(local_aws.endpoint_url, policy) as proxy:
        monkeypatch.setenv("TWOPHASE_LOCAL_ENDPOINT", proxy.url)
        for n in range(1, SOAK_ROUNDS + 1):
            source.write_text(f"{original}\nRELEASE = {n}\n")
            _, sha = release(capsys, lam, proxy, f"round {n}/{SOAK_ROUNDS}")
            assert sha not in seen, f"round {n}: the code changed"
            seen.add(sha)

    assert len(seen) == SOAK_ROUNDS
    # else the soak proves nothing: answers of every kind lost, and retries' answers lost too
    assert all(proxy.dropped[kind] >= 1 for kind in WRITE_KINDS), proxy.dropped
    assert longest_loss_run(proxy) >= 2, "no write lost the answer of its retry as well"


def longest_loss_run(proxy: LossyProxy) -> int:
    """The most answers lost in a row for one write (a first attempt and its retries)."""
    longest = run = 0
    previous: tuple[str | None, str] | None = None
    for exchange in (e for e in proxy.exchanges if e.kind is not None):
        key = (exchange.kind, exchange.path)
        run = (run + 1 if key == previous else 1) if exchange.dropped else 0
        previous = key
        longest = max(longest, run)
    return longest
