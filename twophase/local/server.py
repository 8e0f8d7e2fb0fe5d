"""Run the embedded local AWS in this process (tests) or as the process body (`python -m`).

The server is moto's WSGI application with twophase's extensions installed, on loopback only, and
private to the user who starts it:

- its root user's keys are generated at each start (`root_credentials`), never built in;
- the code Invoke runs is extracted into a folder this server creates (mkdtemp, 0700) and removes;
  the deployment packages are kept there too, one file per SHA-256 (`code_store`), and served at
  GetFunction's `Code.Location` only to a URL signed with the server's token;
- moto's admin API (`/moto-api/...`: reset, dashboard, data.json, seed, state manager, recorder,
  config) is refused with 403 unless the request carries the server's own token in
  `X-Twophase-Admin-Token`; the token is in the private state file only;
- with IAM enforced, a request with no signature at all is a 403 `MissingAuthenticationToken`
  (moto would crash on it with a 500);
- `GET /__twophase/identity?nonce=N` answers the pid and an HMAC of the nonce under that token, so
  that a process holding the state file can tell *our* server from whatever else may have reused
  its pid or port, without the token ever crossing the wire.
"""

from __future__ import annotations

import hmac
import json
import secrets
import shutil
import tempfile
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

from twophase.local import code_store, root_credentials
from twophase.local.protocol import (
    ADMIN_HEADER,
    CODE_FOLDER_PREFIX,
    IDENTITY_PATH,
    MAX_NONCE,
    identity_proof,
)
from twophase.local.root_credentials import RootCredentials

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

_ADMIN_ENVIRON = "HTTP_" + ADMIN_HEADER.upper().replace("-", "_")
_QUERY_SIGNATURES = ("X-Amz-Signature=", "Signature=")  # presigned URLs: SigV4, S3's SigV2


def _json_refusal(kind: str, message: str) -> WsgiApp:
    body = json.dumps({"__type": kind, "message": message}).encode()
    headers = [
        ("Content-Type", "application/json"),
        ("Content-Length", str(len(body))),
        ("x-amzn-ErrorType", kind),
    ]

    def refuse(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        start_response("403 Forbidden", headers)
        return [body]

    return refuse


_ADMIN_REFUSED = _json_refusal(
    "AccessDeniedException",
    "the embedded AWS's admin API (/moto-api) takes requests from its own user only",
)
_UNSIGNED_REFUSED = _json_refusal(
    "MissingAuthenticationTokenException", "Missing Authentication Token"
)
_DOWNLOAD_REFUSED = _json_refusal(
    "AccessDenied", "the package's URL is not signed by this server, or has expired"
)


def identity_app(inner: WsgiApp, pid: int, token: str) -> WsgiApp:
    """Wrap `inner` so that IDENTITY_PATH answers with the pid and the proof for `?nonce=`."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == IDENTITY_PATH and environ.get("REQUEST_METHOD") == "GET":
            identity: dict[str, Any] = {"service": "twophase-local", "pid": pid}
            nonce = parse_qs(environ.get("QUERY_STRING", "")).get("nonce", [""])[0]
            if 0 < len(nonce) <= MAX_NONCE:
                identity["proof"] = identity_proof(token, nonce)
            body = json.dumps(identity).encode()
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return inner(environ, start_response)

    return app


def code_download_app(inner: WsgiApp) -> WsgiApp:
    """Wrap `inner` so that a signed `Code.Location` URL answers the package's bytes."""

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = str(environ.get("PATH_INFO", ""))
        store = code_store.current()
        if not path.startswith(code_store.DOWNLOAD_PATH) or store is None:
            return inner(environ, start_response)
        query = parse_qs(environ.get("QUERY_STRING", ""))
        stored = store.download_path(
            path[len(code_store.DOWNLOAD_PATH) :],
            query.get("expires", [""])[0],
            query.get("signature", [""])[0],
        )
        if stored is None or environ.get("REQUEST_METHOD") != "GET":
            return _DOWNLOAD_REFUSED(environ, start_response)
        size = stored.stat().st_size
        start_response(
            "200 OK", [("Content-Type", "application/zip"), ("Content-Length", str(size))]
        )
        return _chunks(stored)

    return app


def _chunks(path: Path, size: int = 1 << 20) -> Iterable[bytes]:
    with path.open("rb") as package:
        while chunk := package.read(size):
            yield chunk


def _signed(environ: dict[str, Any]) -> bool:
    if environ.get("HTTP_AUTHORIZATION"):
        return True
    query = str(environ.get("QUERY_STRING", ""))
    return any(part.startswith(_QUERY_SIGNATURES) for part in query.split("&"))


def private_dispatcher(token: str) -> WsgiApp:
    """moto's dispatcher, with every request that would reach moto's admin API refused unless
    it carries `token` (whatever path or signature routed it there), and, with IAM enforced,
    every request to an AWS API that carries no signature."""
    from moto.core.authorization import ActionAuthenticatorMixin
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication, create_backend_app

    from twophase.local.extensions.iam_enforcement import enabled as iam_enforced

    public = set(ActionAuthenticatorMixin.PUBLIC_OPERATIONS)

    class PrivateDispatcher(DomainDispatcherApplication):
        def get_application(self, environ: dict[str, Any]) -> Any:
            app = super().get_application(environ)
            service = getattr(app, "service", None)
            if service == "moto_api":
                given = str(environ.get(_ADMIN_ENVIRON, ""))
                return app if hmac.compare_digest(given, token) else _ADMIN_REFUSED
            if service == "instance_metadata" or _signed(environ) or not iam_enforced():
                return app
            return app if environ.get("HTTP_X_AMZ_TARGET") in public else _UNSIGNED_REFUSED

    return PrivateDispatcher(create_backend_app)


@dataclass
class LocalAws:
    """moto server with twophase's extensions, on loopback only, private to its user.

    `work_dir` is a private folder of the user's (the state file's); the folder for extracted
    code is created in it, or in the system's temporary folder without one."""

    host: str = "127.0.0.1"
    port: int = 0
    iam_enforcement: bool = False
    work_dir: Path | None = None
    update_settle: float | None = None  # seconds an update stays InProgress (lambda_update_settle)
    token: str = field(default_factory=lambda: secrets.token_hex(32), repr=False)
    credentials: RootCredentials = field(default_factory=RootCredentials.generate)
    code_dir: Path | None = field(default=None, init=False)
    _server: Any = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> str:
        """Bind, serve in a daemon thread, and return the endpoint URL once it accepts requests."""
        import os

        from moto.moto_server.werkzeug_app import MotoRequestHandler
        from werkzeug.serving import make_server

        from twophase.local import invoke
        from twophase.local.extensions import install_all

        install_all()
        if self.update_settle is not None:
            from twophase.local.extensions.lambda_update_settle import settle_updates

            settle_updates(self.update_settle)
        root_credentials.use(self.credentials)
        prefix = f"{CODE_FOLDER_PREFIX}{os.getpid()}-"
        self.code_dir = Path(tempfile.mkdtemp(prefix=prefix, dir=self.work_dir))
        invoke.use_code_root(self.code_dir)
        store = code_store.CodeStore(self.code_dir / "packages", self.token)
        code_store.use(store)
        if self.iam_enforcement:
            _enable_iam_enforcement()
        app = identity_app(private_dispatcher(self.token), os.getpid(), self.token)
        self._server = make_server(
            self.host,
            self.port,
            code_download_app(app),
            threaded=True,
            request_handler=MotoRequestHandler,
        )
        self.host, self.port = self._server.server_address[:2]
        store.endpoint = self.endpoint_url
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="twophase-local", daemon=True
        )
        self._thread.start()
        return self.endpoint_url

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
        if self.code_dir is not None:
            from twophase.local import invoke

            invoke.use_code_root(None)
            code_store.use(None)
            shutil.rmtree(self.code_dir, ignore_errors=True)
            self.code_dir = None

    def reset(self) -> None:
        """Forget all state (moto's reset API, with this server's token)."""
        import urllib.request

        req = urllib.request.Request(
            f"{self.endpoint_url}/moto-api/reset",
            method="POST",
            headers={ADMIN_HEADER: self.token},
        )
        with urllib.request.urlopen(req, timeout=10) as resp:
            resp.read()


def warm_up() -> None:
    """Import the heavy moto backends ahead of the first request that needs them."""
    import importlib

    for name in (
        "moto.cloudformation.responses",
        "moto.cloudformation.parsing",
        "moto.awslambda.responses",
        "moto.apigatewayv2.responses",
        "moto.s3.responses",
        "moto.sqs.responses",
        "moto.iam.responses",
    ):
        importlib.import_module(name)


def _enable_iam_enforcement() -> None:
    """Make moto check every request against IAM (moto's INITIAL_NO_AUTH_ACTION_COUNT = 0)."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
