"""Start-up: the commands that read a cached twophase.yml import neither pydantic nor YAML (only
the ones that validate it do), run as a user runs them, in a fresh interpreter."""

from __future__ import annotations

import http.server
import json
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from twophase.config.cache import load_cached

PHASE_TWO = """\
app: shop
environments:
  dev: {{region: eu-west-1, endpoint: "{endpoint}"}}
functions:
  api: {{handler: app.handler, source: src}}
"""
HEAVY = ("pydantic", "yaml")


class _NoFunctions(http.server.BaseHTTPRequestHandler):
    """An AWS endpoint where nothing is deployed: Lambda and CloudFormation answer "not found" at
    once (never retried), STS names a caller."""

    def do_GET(self) -> None:
        self._answer(404, b'{"Type": "User", "Message": "Function not found"}')

    def do_POST(self) -> None:
        form = self.rfile.read(int(self.headers["Content-Length"]))
        if b"Action=GetCallerIdentity" in form:
            self._answer(200, STS_CALLER)
        else:
            self._answer(400, NO_STACK)

    def _answer(self, status: int, body: bytes) -> None:
        self.send_response(status)
        if status == 404:
            self.send_header("x-amzn-ErrorType", "ResourceNotFoundException")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


STS_CALLER = (
    b'<GetCallerIdentityResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/">'
    b"<GetCallerIdentityResult><Arn>arn:aws:iam::123456789012:user/dev</Arn>"
    b"<UserId>AIDA</UserId><Account>123456789012</Account></GetCallerIdentityResult>"
    b"</GetCallerIdentityResponse>"
)
NO_STACK = (
    b'<ErrorResponse xmlns="http://cloudformation.amazonaws.com/doc/2010-05-15/"><Error>'
    b"<Type>Sender</Type><Code>ValidationError</Code>"
    b"<Message>Stack with id shop-dev does not exist</Message></Error></ErrorResponse>"
)


def run_fresh(folder: Path, *commands: list[str]) -> tuple[list[int], list[str]]:
    """Run `commands` in one fresh interpreter in `folder`: their exit statuses, and the heavy
    modules they imported."""
    probe = (
        "import json, sys\n"
        "from twophase.cli.main import run\n"
        f"codes = [run(argv) for argv in {list(commands)!r}]\n"
        f"print(json.dumps([codes, sorted(m for m in {HEAVY!r} if m in sys.modules)]))\n"
    )
    env = {**os.environ, "AWS_ACCESS_KEY_ID": "x", "AWS_SECRET_ACCESS_KEY": "x"}
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=folder, env=env
    )
    assert out.returncode == 0, out.stderr
    codes, modules = json.loads(out.stdout.splitlines()[-1])
    return codes, modules


@pytest.fixture
def aws_without_functions() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _NoFunctions)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_status_and_releases_from_the_cache_import_neither_pydantic_nor_yaml(
    tmp_path: Path, aws_without_functions: str
) -> None:
    (tmp_path / "src").mkdir()
    (tmp_path / "src/app.py").write_text("def handler(e, c):\n    return 1\n")
    (tmp_path / "twophase.yml").write_text(PHASE_TWO.format(endpoint=aws_without_functions))
    load_cached(tmp_path / "twophase.yml")  # the cache is warm, as after any earlier command

    # status reads every function (none deployed: exit 0); releases refuses a missing one (1)
    assert run_fresh(tmp_path, ["status"], ["releases", "api"]) == ([0, 1], [])
    (tmp_path / ".twophase/cache/config.json").unlink()  # cold: validating needs both
    assert run_fresh(tmp_path, ["status"]) == ([0], list(HEAVY))


def test_phase_two_help_imports_neither_pydantic_nor_yaml(tmp_path: Path) -> None:
    helps = [["push", "--help"], ["alias", "promote", "--help"], ["logs", "--help"]]
    helps += [["invoke", "--help"], ["status", "--help"], ["releases", "--help"]]
    assert run_fresh(tmp_path, *helps) == ([0] * len(helps), [])
