"""Run the embedded local AWS in this process (tests) or as the process body (`python -m`)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class LocalAws:
    """moto server with twophase's extensions, on loopback only."""

    host: str = "127.0.0.1"
    port: int = 0
    _server: Any = field(default=None, repr=False)

    def start(self) -> str:
        from moto.moto_server.threaded_moto_server import ThreadedMotoServer

        from twophase.local.extensions import install_all

        install_all()
        self._server = ThreadedMotoServer(ip_address=self.host, port=self.port, verbose=False)
        self._server.start()
        self.host, self.port = self._server.get_host_and_port()
        return self.endpoint_url

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    def reset(self) -> None:
        """Forget all state (moto's reset API)."""
        import urllib.request

        req = urllib.request.Request(f"{self.endpoint_url}/moto-api/reset", method="POST")
        urllib.request.urlopen(req, timeout=10).read()
