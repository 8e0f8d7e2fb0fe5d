"""The custom-runtime dummy (`bootstrap`) against a small fake Lambda Runtime API."""

from __future__ import annotations

import io
import json
import shutil
import subprocess
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from twophase.dummies import dummy_artifact

EVENTS = Path(__file__).resolve().parent.parent / "events"
FUNCTION = "shop-dev-nightly"
MESSAGE = "shop-dev-nightly has no code yet: push it with `twophase push nightly`"
NEXT = "/2018-06-01/runtime/invocation/next"

pytestmark = pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")


@dataclass
class RuntimeApi:
    """Serves `events` one per `next`, then records what the function posts back."""

    events: list[bytes]
    posts: list[tuple[str, dict[str, str], bytes]] = field(default_factory=list)
    done: threading.Event = field(default_factory=threading.Event)
    served: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def next_event(self) -> tuple[int, bytes] | None:
        with self.lock:
            if self.served == len(self.events):
                return None
            self.served += 1
            return self.served, self.events[self.served - 1]

    def record(self, path: str, headers: dict[str, str], body: bytes) -> None:
        with self.lock:
            self.posts.append((path, headers, body))
            if len(self.posts) == len(self.events):
                self.done.set()


def handler_class(api: RuntimeApi) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            assert self.path == NEXT
            served = api.next_event()
            if served is None:  # nothing left: hold the long poll as Lambda does
                api.done.wait(10)
                self.send_error(503)
                return
            number, event = served
            request_id_header = "Lambda-Runtime-Aws-Request-Id"
            if number % 2 == 0:  # header names are case-insensitive
                request_id_header = request_id_header.lower()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header(request_id_header, f"req-{number}")
            self.send_header("Lambda-Runtime-Deadline-Ms", str(int(time.time() * 1000) + 30000))
            self.send_header(
                "Lambda-Runtime-Invoked-Function-Arn",
                f"arn:aws:lambda:eu-west-1:123456789012:function:{FUNCTION}:live",
            )
            self.send_header("Content-Length", str(len(event)))
            self.end_headers()
            self.wfile.write(event)

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            api.record(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
            self.send_response(202)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"{}")

        def log_message(self, format: str, *args: Any) -> None:  # quiet
            pass

    return Handler


@pytest.fixture
def bootstrap(tmp_path: Path) -> Path:
    artifact = dummy_artifact("provided.al2023", "bootstrap")
    with zipfile.ZipFile(io.BytesIO(artifact.data)) as zf:
        zf.extractall(tmp_path)
        mode = (zf.getinfo("bootstrap").external_attr >> 16) & 0o777
    path = tmp_path / "bootstrap"
    path.chmod(mode)  # zipfile does not restore modes; Lambda does
    return path


@pytest.fixture
def serve() -> Iterator[Any]:
    servers: list[tuple[ThreadingHTTPServer, RuntimeApi]] = []

    def start(events: list[bytes]) -> tuple[str, RuntimeApi]:
        api = RuntimeApi(events)
        server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class(api))
        server.daemon_threads = True
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append((server, api))
        return f"127.0.0.1:{server.server_address[1]}", api

    yield start
    for server, api in servers:
        api.done.set()
        server.shutdown()
        server.server_close()


def run_bootstrap(bootstrap: Path, address: str, api: RuntimeApi) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "AWS_LAMBDA_RUNTIME_API": address,
        "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
        "TWOPHASE_FUNCTION": "nightly",
        "LAMBDA_TASK_ROOT": str(bootstrap.parent),
    }
    process = subprocess.Popen(
        [str(bootstrap)], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE
    )
    try:
        finished = api.done.wait(20)
    finally:
        process.terminate()
        _, stderr = process.communicate(timeout=10)
    assert finished, f"bootstrap answered {len(api.posts)} events; stderr: {stderr.decode()}"


def read_event(name: str) -> bytes:
    return (EVENTS / f"{name}.json").read_bytes()


def test_bootstrap_answers_http_with_501_and_fails_a_queue_batch(
    bootstrap: Path, serve: Any
) -> None:
    address, api = serve([read_event("apigw_v2"), read_event("sqs_batch")])
    run_bootstrap(bootstrap, address, api)

    (path, headers, body), (error_path, error_headers, error_body) = api.posts
    assert path == "/2018-06-01/runtime/invocation/req-1/response"
    assert headers["content-type"] == "application/json"
    response = json.loads(body)
    assert response["statusCode"] == 501
    assert response["headers"] == {"content-type": "application/json"}
    assert json.loads(response["body"]) == {"message": MESSAGE, "function": FUNCTION}
    assert "statusDescription" not in response

    assert error_path == "/2018-06-01/runtime/invocation/req-2/error"
    assert json.loads(error_body) == {"errorMessage": MESSAGE, "errorType": "FunctionHasNoCode"}
    assert error_headers["lambda-runtime-function-error-type"] == "Unhandled"


HTTP_EVENTS = ("apigw_v1", "apigw_v2", "alb")
OTHER_EVENTS = ("sqs_batch", "schedule", "dynamodb_stream", "kinesis", "direct")


def test_bootstrap_tells_every_sample_event_apart(bootstrap: Path, serve: Any) -> None:
    names = [*HTTP_EVENTS, *OTHER_EVENTS]
    events = [read_event(name) for name in names]
    events.append('{"note": "café ☕ – à bientôt", "n": 1}'.encode())  # bytes != characters
    names.append("direct_utf8")
    address, api = serve(events)
    run_bootstrap(bootstrap, address, api)

    by_request = {path.split("/")[4]: (path, body) for path, _, body in api.posts}
    for number, name in enumerate(names, start=1):
        path, body = by_request[f"req-{number}"]
        if name in HTTP_EVENTS:
            assert path.endswith("/response"), name
            response = json.loads(body)
            assert response["statusCode"] == 501
            assert json.loads(response["body"])["function"] == FUNCTION
            assert response.get("statusDescription") == (
                "501 Not Implemented" if name == "alb" else None
            )
        else:
            assert path.endswith("/error"), name
            assert json.loads(body)["errorType"] == "FunctionHasNoCode"


def test_bootstrap_exits_when_the_runtime_api_is_gone(bootstrap: Path, serve: Any) -> None:
    address, api = serve([])
    port = address.rsplit(":", 1)[1]
    api.done.set()
    run = subprocess.run(
        [str(bootstrap)],
        env={"PATH": "/usr/bin:/bin", "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{port}"},
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert run.returncode == 1
    assert "cannot read the next invocation (HTTP 503)" in run.stderr
