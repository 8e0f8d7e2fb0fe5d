"""Run the embedded local AWS in this process (tests) or as the process body (`python -m`).

The server is moto's WSGI application with twophase's extensions installed, on loopback only. It
also answers `GET /__twophase/identity` with its pid and a random token, so that a process holding
the state file can tell *our* server from whatever else may have reused its pid or port.
"""

from __future__ import annotations

import json
import secrets
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from twophase.local.lifecycle import IDENTITY_PATH

StartResponse = Callable[..., Any]
WsgiApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def identity_app(inner: WsgiApp, identity: dict[str, Any]) -> WsgiApp:
    """Wrap `inner` so that IDENTITY_PATH answers with `identity` as JSON."""
    body = json.dumps(identity).encode()

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == IDENTITY_PATH and environ.get("REQUEST_METHOD") == "GET":
            start_response(
                "200 OK",
                [("Content-Type", "application/json"), ("Content-Length", str(len(body)))],
            )
            return [body]
        return inner(environ, start_response)

    return app


@dataclass
class LocalAws:
    """moto server with twophase's extensions, on loopback only."""

    host: str = "127.0.0.1"
    port: int = 0
    iam_enforcement: bool = False
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    _server: Any = field(default=None, repr=False)
    _thread: threading.Thread | None = field(default=None, repr=False)

    def start(self) -> str:
        """Bind, serve in a daemon thread, and return the endpoint URL once it accepts requests."""
        import os

        from moto.moto_server.werkzeug_app import (
            DomainDispatcherApplication,
            MotoRequestHandler,
            create_backend_app,
        )
        from werkzeug.serving import make_server

        from twophase.local.extensions import install_all

        install_all()
        if self.iam_enforcement:
            _enable_iam_enforcement()
        app = identity_app(
            DomainDispatcherApplication(create_backend_app),
            {"service": "twophase-local", "pid": os.getpid(), "token": self.token},
        )
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler
        )
        self.host, self.port = self._server.server_address[:2]
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

    def reset(self) -> None:
        """Forget all state (moto's reset API)."""
        import urllib.request

        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
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
    from moto.core.responses import ActionAuthenticatorMixin

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0
    ActionAuthenticatorMixin.request_count = 0
