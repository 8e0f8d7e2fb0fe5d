"""The direct reads' transport: botocore's standard retries, kept-alive connections, one
`before-call` per call, and AWS's refusals read in either protocol.

Each test scripts a tiny HTTP server on the loopback. Retry behaviour follows botocore's
standard mode: "Retry behavior", https://docs.aws.amazon.com/sdkref/latest/guide/feature-retry-behavior.html
"""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from twophase import __version__
from twophase.aws.direct import (
    DirectCloudFormation,
    DirectLambda,
    Transport,
    error_code,
    refusal,
)
from twophase.aws.direct_credentials import DirectTarget
from twophase.aws.direct_sign import Credentials
from twophase.aws.errors import ServiceError
from twophase.aws.session import ATTEMPTS, Clients, Target
from twophase.errors import AwsError, UsageError

KEYS = Credentials("AKIDTEST", "test-secret")
ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"
NO_ALIASES: tuple[int, dict[str, str], bytes] = (200, {}, b'{"Aliases": []}')
THROTTLED = (400, {"x-amzn-ErrorType": "TooManyRequestsException"}, b'{"message": "Rate exceeded"}')
UNAVAILABLE = (
    503,
    {"x-amzn-ErrorType": "ServiceException"},
    b'{"message": "Service unavailable"}',
)
NOT_FOUND = (
    404,
    {"x-amzn-ErrorType": "ResourceNotFoundException:http://internal.amazon.com/coral/"},
    b'{"Type": "User", "message": "Function not found: fn"}',
)
Answer = tuple[int, dict[str, str], bytes]


@dataclass
class Script:
    """What the server answers, in order (the last answer repeats), and what it saw."""

    answers: list[Answer] = field(default_factory=list)
    requests: list[tuple[str, str, dict[str, str], bytes]] = field(default_factory=list)
    connections: int = 0
    close_after_each: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next(self) -> Answer:
        with self.lock:
            return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # kept alive, as AWS endpoints are
    disable_nagle_algorithm = True  # headers and body go in two writes: no delayed ACK wait
    timeout = 5
    server: Server

    def setup(self) -> None:
        super().setup()
        with self.server.script.lock:
            self.server.script.connections += 1

    def do_GET(self) -> None:
        self._answer()

    def do_POST(self) -> None:
        self._answer()

    def _answer(self) -> None:
        script = self.server.script
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        headers = {k.lower(): v for k, v in self.headers.items()}
        with script.lock:
            script.requests.append((self.command, self.path, headers, body))
        status, extra, data = script.next()
        self.send_response(status)
        for name, value in {"Content-Type": "application/json", **extra}.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        self.close_connection = script.close_after_each

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), Handler)
        self.script = Script()

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


@pytest.fixture
def server() -> Iterator[Server]:
    srv = Server()
    thread = threading.Thread(target=srv.serve_forever, args=(0.01,), daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()
    thread.join(5)


@pytest.fixture
def sleeps() -> list[float]:
    return []


def transport(endpoint: str, sleeps: list[float], service: str = "lambda") -> Transport:
    return Transport(DirectTarget(KEYS, "us-east-1", endpoint), service, sleep=sleeps.append)


def lam(server: Server, sleeps: list[float], *answers: Answer) -> DirectLambda:
    server.script.answers = list(answers)
    return DirectLambda(transport(server.endpoint, sleeps))


def assert_backoff(sleeps: list[float], count: int) -> None:
    """`count` waits, the n-th (from 0) jittered within 2**n seconds."""
    assert len(sleeps) == count
    assert all(0 <= wait <= 2**n for n, wait in enumerate(sleeps))


def test_a_5xx_is_retried_then_answered(server: Server, sleeps: list[float]) -> None:
    client = lam(server, sleeps, UNAVAILABLE, NO_ALIASES)

    assert client.list_aliases(FunctionName="fn") == {"Aliases": []}
    assert len(server.script.requests) == 2
    assert_backoff(sleeps, 1)


def test_a_throttling_code_on_a_400_is_retried(server: Server, sleeps: list[float]) -> None:
    client = lam(server, sleeps, THROTTLED, THROTTLED, NO_ALIASES)

    assert client.list_aliases(FunctionName="fn") == {"Aliases": []}
    assert len(server.script.requests) == 3
    assert_backoff(sleeps, 2)


def test_a_429_is_retried(server: Server, sleeps: list[float]) -> None:
    client = lam(server, sleeps, (429, {}, b"{}"), NO_ALIASES)

    assert client.list_aliases(FunctionName="fn") == {"Aliases": []}
    assert_backoff(sleeps, 1)


def test_a_refusal_is_raised_at_once(server: Server, sleeps: list[float]) -> None:
    client = lam(server, sleeps, NOT_FOUND, NO_ALIASES)

    with pytest.raises(ServiceError) as info:
        client.list_aliases(FunctionName="fn")

    assert info.value.response == {
        "Error": {"Code": "ResourceNotFoundException", "Message": "Function not found: fn"},
        "ResponseMetadata": {"HTTPStatusCode": 404},
    }
    assert info.value.operation_name == "ListAliases"
    assert len(server.script.requests) == 1
    assert sleeps == []


def test_the_last_5xx_is_answered_after_six_attempts(server: Server, sleeps: list[float]) -> None:
    client = lam(server, sleeps, UNAVAILABLE)

    with pytest.raises(ServiceError) as info:
        client.list_versions_by_function(FunctionName="fn")

    assert info.value.response["Error"]["Code"] == "ServiceException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 503
    assert len(server.script.requests) == ATTEMPTS == 6
    assert_backoff(sleeps, 5)


def test_send_returns_the_last_retried_answer(server: Server, sleeps: list[float]) -> None:
    server.script.answers = [UNAVAILABLE]

    status, headers, data = transport(server.endpoint, sleeps).send(
        "ListAliases", "GET", "/2015-03-31/functions/fn/aliases"
    )

    assert (status, headers["x-amzn-errortype"], data) == (503, "ServiceException", UNAVAILABLE[2])
    assert len(server.script.requests) == 6


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_an_unreachable_endpoint_fails_naming_it_after_six_attempts(sleeps: list[float]) -> None:
    port = closed_port()
    client = DirectLambda(transport(f"http://127.0.0.1:{port}", sleeps))

    with pytest.raises(AwsError) as info:
        client.list_aliases(FunctionName="fn")

    assert f"127.0.0.1:{port}" in str(info.value)
    assert "ListAliases" in str(info.value)
    assert_backoff(sleeps, 5)  # six attempts: a wait between each two


def test_an_endpoint_that_never_answers_times_out_each_attempt(
    sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A connection that is accepted but never answered ends at the read timeout, attempt by
    attempt (60 s in use; a fraction of a second here), instead of hanging the command."""
    monkeypatch.setattr("twophase.aws.direct.READ_TIMEOUT", 0.05)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        silent.listen(ATTEMPTS)
        client = DirectLambda(transport(f"http://127.0.0.1:{silent.getsockname()[1]}", sleeps))
        with pytest.raises(AwsError, match="cannot reach") as info:
            client.list_aliases(FunctionName="fn")
    assert "timed out" in str(info.value)
    assert len(sleeps) == ATTEMPTS - 1


def test_a_connection_is_kept_alive_across_calls(server: Server, sleeps: list[float]) -> None:
    client = lam(server, sleeps, NO_ALIASES)

    client.list_aliases(FunctionName="a")
    client.list_aliases(FunctionName="b")
    client.list_versions_by_function(FunctionName="c")

    assert len(server.script.requests) == 3
    assert server.script.connections == 1


def test_it_connects_within_5_s_and_waits_60_s_for_an_answer(
    server: Server, sleeps: list[float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The boto3 clients' timeouts: 5 s to connect, 60 s to read an answer."""
    timeouts: list[float | None] = []
    create = socket.create_connection

    def connect(address: Any, timeout: Any = None, *args: Any, **kwargs: Any) -> socket.socket:
        timeouts.append(timeout)
        return create(address, timeout, *args, **kwargs)

    monkeypatch.setattr(socket, "create_connection", connect)
    transport_ = transport(server.endpoint, sleeps)
    server.script.answers = [NO_ALIASES]
    DirectLambda(transport_).list_aliases(FunctionName="fn")

    assert timeouts == [5.0]
    assert transport_._local.connection._sock.gettimeout() == 60.0


def test_a_connection_the_server_closed_is_opened_again(
    server: Server, sleeps: list[float]
) -> None:
    client = lam(server, sleeps, NO_ALIASES)
    server.script.close_after_each = True

    client.list_aliases(FunctionName="a")
    assert client.list_aliases(FunctionName="b") == {"Aliases": []}

    assert server.script.connections == 2
    assert len(server.script.requests) == 2


def test_each_thread_has_its_own_connection(server: Server, sleeps: list[float]) -> None:
    client = lam(server, sleeps, NO_ALIASES)
    client.list_aliases(FunctionName="a")

    worker = threading.Thread(target=lambda: client.list_aliases(FunctionName="b"))
    worker.start()
    worker.join(5)

    assert server.script.connections == 2
    assert len(server.script.requests) == 2


def test_before_call_is_emitted_once_per_call_not_per_attempt(
    server: Server, sleeps: list[float]
) -> None:
    client = lam(server, sleeps, UNAVAILABLE, UNAVAILABLE, NO_ALIASES, NO_ALIASES)
    seen: list[str] = []
    client.meta.events.register("before-call", lambda **kw: seen.append(kw["operation_name"]))

    client.list_aliases(FunctionName="fn")
    client.list_versions_by_function(FunctionName="fn")

    assert seen == ["ListAliases", "ListVersionsByFunction"]
    assert len(server.script.requests) == 4


def test_only_before_call_can_be_listened_to(server: Server, sleeps: list[float]) -> None:
    client = lam(server, sleeps, NO_ALIASES)
    with pytest.raises(ValueError, match="before-call"):
        client.meta.events.register("after-call", lambda **kw: None)


def test_requests_are_signed_for_the_service_and_region(
    server: Server, sleeps: list[float]
) -> None:
    lam(server, sleeps, NO_ALIASES).list_aliases(FunctionName="fn")

    _, _, headers, _ = server.script.requests[0]
    credential = headers["authorization"].split(",")[0]
    assert credential.startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")
    assert credential.endswith("/us-east-1/lambda/aws4_request")
    assert headers["host"] == server.endpoint.removeprefix("http://")
    # What CloudTrail shows as the event's userAgent (docs/platform-teams.md), left unsigned
    assert headers["user-agent"] == f"twophase/{__version__}"
    assert "user-agent" not in headers["authorization"].split("SignedHeaders=")[1]


# --- the wire form is boto3's -------------------------------------------------------------------


def boto(server: Server, service: str) -> Any:
    target = Target("us-east-1", endpoint_url=server.endpoint, access_key="a", secret_key="b")
    return Clients(target).client(service)


def test_lambda_requests_are_boto3s(server: Server, sleeps: list[float]) -> None:
    """The same path (the ARN percent-encoded) and query as boto3 sends."""
    params = {"FunctionName": ARN, "FunctionVersion": "$LATEST", "Marker": "a/b+c=d:e"}
    server.script.answers = [NO_ALIASES]
    for client in (boto(server, "lambda"), DirectLambda(transport(server.endpoint, sleeps))):
        client.list_aliases(**params, MaxItems=1)
        client.list_versions_by_function(FunctionName=ARN, Marker="m/1", MaxItems=50)

    boto_requests, direct_requests = server.script.requests[:2], server.script.requests[2:]
    for (b_method, b_path, _, _), (d_method, d_path, _, _) in zip(
        boto_requests, direct_requests, strict=True
    ):
        assert d_method == b_method == "GET"
        assert urlsplit(d_path).path == urlsplit(b_path).path
        assert sorted(parse_qsl(urlsplit(d_path).query)) == sorted(
            parse_qsl(urlsplit(b_path).query)
        )
    assert "arn%3Aaws%3Alambda" in direct_requests[0][1]


def test_get_template_posts_boto3s_form(server: Server, sleeps: list[float]) -> None:
    answer = (
        b'<GetTemplateResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
        b"<GetTemplateResult><TemplateBody>Resources: {}</TemplateBody>"
        b"<StagesAvailable><member>Original</member><member>Processed</member>"
        b"</StagesAvailable></GetTemplateResult></GetTemplateResponse>"
    )
    server.script.answers = [(200, {"Content-Type": "text/xml"}, answer)]
    params = {"StackName": "app dev/1", "TemplateStage": "Original"}

    theirs = boto(server, "cloudformation").get_template(**params)
    ours = DirectCloudFormation(transport(server.endpoint, sleeps, "cloudformation")).get_template(
        **params
    )

    assert ours == {"TemplateBody": "Resources: {}", "StagesAvailable": ["Original", "Processed"]}
    assert ours["StagesAvailable"] == theirs["StagesAvailable"]
    assert ours["TemplateBody"] == theirs["TemplateBody"]
    (b_method, _, _, b_body), (d_method, _, d_headers, d_body) = server.script.requests
    assert d_method == b_method == "POST"
    assert parse_qsl(d_body.decode()) == parse_qsl(b_body.decode())
    assert d_headers["content-type"].startswith("application/x-www-form-urlencoded")


TEMPLATE_ANSWERS = {
    "escaped": "<TemplateBody>{&quot;A&quot;: &quot;&lt;b&gt; &amp; &#x41;&#66;&apos;&quot;}"
    "</TemplateBody>",
    "cdata": "<TemplateBody><![CDATA[Resources: {x: '<y>'}]]></TemplateBody>",
    "unicode": "<TemplateBody>Description: caf\u00e9 \u2014 \U0001f680</TemplateBody>",
    "empty-body": "<TemplateBody></TemplateBody><StagesAvailable><member>Original</member>"
    "</StagesAvailable>",
    "no-stages": "<TemplateBody>Resources: {}</TemplateBody>",
    "stages-first": "<StagesAvailable><member>Processed</member></StagesAvailable>"
    "<TemplateBody>x: 1</TemplateBody>",
}


@pytest.mark.parametrize("result", TEMPLATE_ANSWERS.values(), ids=TEMPLATE_ANSWERS.keys())
def test_get_template_reads_what_botocore_reads(
    server: Server, sleeps: list[float], result: str
) -> None:
    """The query protocol's XML as botocore's parser reads it: entities and CDATA unescaped,
    text decoded as UTF-8, a missing StagesAvailable an empty list."""
    answer = (
        '<GetTemplateResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
        f"<GetTemplateResult>{result}</GetTemplateResult>"
        "<ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata></GetTemplateResponse>"
    ).encode()
    server.script.answers = [(200, {"Content-Type": "text/xml"}, answer)]

    theirs = boto(server, "cloudformation").get_template(StackName="app")
    ours = DirectCloudFormation(transport(server.endpoint, sleeps, "cloudformation")).get_template(
        StackName="app"
    )

    body = theirs.get("TemplateBody", "")
    if isinstance(body, dict):  # boto3 parses a JSON body; stack_template takes either
        assert json.loads(ours["TemplateBody"]) == body
    else:
        assert ours["TemplateBody"] == body
    assert ours["StagesAvailable"] == theirs.get("StagesAvailable", [])


def page(key: str, names: list[str], marker: str | None) -> Answer:
    items = [{"Name" if key == "Aliases" else "Version": n} for n in names]
    return (
        200,
        {},
        json.dumps({key: items, **({"NextMarker": marker} if marker else {})}).encode(),
    )


@pytest.mark.parametrize(
    ("operation", "key"), [("list_aliases", "Aliases"), ("list_versions_by_function", "Versions")]
)
def test_pages_follow_next_marker_as_boto3s_paginator(
    server: Server, sleeps: list[float], operation: str, key: str
) -> None:
    """Each page asks for the one after NextMarker, with the same filter and page size, until a
    page has no NextMarker (https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html)."""
    answers = [page(key, ["a"], "m/1+"), page(key, ["b"], "m2="), page(key, ["c"], None)]
    params: dict[str, Any] = {"FunctionName": "fn", "MaxItems": 1}
    if operation == "list_aliases":
        params["FunctionVersion"] = "2"
    server.script.answers = [*answers, *answers]
    direct = DirectLambda(transport(server.endpoint, sleeps))

    theirs = list(boto(server, "lambda").get_paginator(operation).paginate(**params))
    ours = list(direct.get_paginator(operation).paginate(**params))

    assert ours == [{k: v for k, v in p.items() if k != "ResponseMetadata"} for p in theirs]
    assert [next(iter(item.values())) for p in ours for item in p[key]] == ["a", "b", "c"]
    queries = [sorted(parse_qsl(urlsplit(r[1]).query)) for r in server.script.requests]
    assert queries[3:] == queries[:3]
    assert [dict(q).get("Marker") for q in queries[3:]] == [None, "m/1+", "m2="]


def test_a_repeated_marker_ends_pagination(server: Server, sleeps: list[float]) -> None:
    client = lam(server, sleeps, (200, {}, json.dumps({"Aliases": [], "NextMarker": "m"}).encode()))

    with pytest.raises(ServiceError) as info:
        list(client.get_paginator("list_aliases").paginate(FunctionName="fn"))

    assert info.value.response["Error"]["Code"] == "PaginationError"
    assert len(server.script.requests) == 2


# --- refusals in either protocol ----------------------------------------------------------------


REFUSALS = {
    "json-__type-with-namespace": (
        400,
        {},
        b'{"__type": "com.amazon.coral.service#ResourceConflictException", "message": "busy"}',
        "ResourceConflictException",
        "busy",
    ),
    "header-with-suffix": (
        404,
        {"x-amzn-errortype": "ResourceNotFoundException:http://internal.amazon.com/"},
        b'{"Message": "Function not found"}',
        "ResourceNotFoundException",
        "Function not found",
    ),
    "query-protocol-xml": (
        400,
        {},
        b'<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/">'
        b"<Error><Type>Sender</Type><Code>ValidationError</Code>"
        b"<Message>Stack with id app does not exist</Message></Error>"
        b"<RequestId>r-1</RequestId></ErrorResponse>",
        "ValidationError",
        "Stack with id app does not exist",
    ),
    "query-protocol-throttling": (
        400,
        {},
        b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code>"
        b"<Message>Rate exceeded</Message></Error></ErrorResponse>",
        "Throttling",
        "Rate exceeded",
    ),
    "no-code-at-all": (502, {}, b"Bad Gateway", "", "Bad Gateway"),
}


@pytest.mark.parametrize(
    ("status", "headers", "body", "code", "message"), REFUSALS.values(), ids=REFUSALS.keys()
)
def test_error_code_and_refusal_read_either_protocol(
    status: int, headers: dict[str, str], body: bytes, code: str, message: str
) -> None:
    assert error_code(headers, body) == code

    error = refusal("Op", status, headers, body)

    assert error.response["Error"] == {"Code": code or str(status), "Message": message}
    assert error.response["ResponseMetadata"]["HTTPStatusCode"] == status
    assert error.operation_name == "Op"


def test_a_query_protocol_throttle_is_retried(server: Server, sleeps: list[float]) -> None:
    throttled = REFUSALS["query-protocol-throttling"]
    server.script.answers = [
        (400, {"Content-Type": "text/xml"}, throttled[2]),
        (400, {"Content-Type": "text/xml"}, REFUSALS["query-protocol-xml"][2]),
    ]
    client = DirectCloudFormation(transport(server.endpoint, sleeps, "cloudformation"))

    with pytest.raises(ServiceError) as info:
        client.get_template(StackName="app")

    assert info.value.response["Error"]["Code"] == "ValidationError"
    assert_backoff(sleeps, 1)


@pytest.mark.parametrize(
    "body",
    [b"<html>Sign in to the guest network</html>", b"[]", b'{"Aliases": ['],
    ids=["a portal's page", "not an object", "cut short"],
)
def test_a_success_that_is_not_lambdas_answer_is_one_clear_error(
    server: Server, sleeps: list[float], body: bytes
) -> None:
    client = lam(server, sleeps, (200, {}, body))

    with pytest.raises(AwsError, match="answered something that is not AWS's answer") as info:
        client.list_aliases(FunctionName="fn")
    assert "ListAliases" in str(info.value) and server.endpoint[7:] in str(info.value)
    assert "TWOPHASE_DIRECT_READS=off" in (info.value.hint or "")


def test_a_success_that_is_not_cloudformations_xml_is_one_clear_error(
    server: Server, sleeps: list[float]
) -> None:
    server.script.answers = [(200, {}, b"<html><body>proxy says hi")]
    client = DirectCloudFormation(transport(server.endpoint, sleeps, "cloudformation"))

    with pytest.raises(AwsError, match=r"GetTemplate: the endpoint .* not AWS's answer"):
        client.get_template(StackName="app-dev")


def test_the_ca_bundle_named_is_the_one_trusted(tmp_path: Path) -> None:
    """AWS_CA_BUNDLE replaces the default CA certificates, as botocore's `verify` does: the
    context trusts exactly the certificates of the file named."""
    import certifi

    from twophase.aws.direct import _tls

    first = certifi.contents().split("-----END CERTIFICATE-----")[0] + "-----END CERTIFICATE-----\n"
    bundle = tmp_path / "corp.pem"
    bundle.write_text(first[first.index("-----BEGIN CERTIFICATE-----") :])

    assert _tls(str(bundle)).cert_store_stats()["x509_ca"] == 1
    assert _tls(None).cert_store_stats()["x509_ca"] > 1


def test_a_ca_bundle_that_is_not_one_is_said_at_once(tmp_path: Path, sleeps: list[float]) -> None:
    target = DirectTarget(KEYS, "us-east-1", "https://127.0.0.1:9", str(tmp_path / "missing.pem"))
    client = DirectLambda(Transport(target, "lambda", sleep=sleeps.append))

    with pytest.raises(UsageError, match=r"AWS_CA_BUNDLE names .*missing\.pem"):
        client.list_aliases(FunctionName="fn")
    assert sleeps == []  # not retried
