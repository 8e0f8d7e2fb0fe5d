"""A second local user cannot reach into the embedded AWS another user started with `--iam`.

The test creates that user with `useradd` (so it runs as root, where `useradd` exists; it is
skipped elsewhere), starts a real background embedded AWS with IAM enforced, deploys and invokes a
function as its owner, then runs a probe as the second user: it may not read the state file (the
root keys and the admin token) nor the folder of extracted code, and what it sends to the server
without keys (or signed with the key twophase used to build in) is refused, moto's reset
included. The owner's function, its code and its answer are unchanged afterwards.
"""

from __future__ import annotations

import json
import os
import pwd
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.local.test_lambda_invoke import create, payload, role_arn
from twophase.aws.session import Clients
from twophase.cli.context import connect_local
from twophase.local import lifecycle

GENUINE = "def handler(event, context):\n    return 'genuine'\n"

# Runs as the second user with any python3 (standard library only). Prints one JSON object: for
# each attempt, "denied", "allowed", or the HTTP status the embedded AWS answered.
PROBE = r"""
import base64, json, os, sys, time, urllib.error, urllib.request

endpoint, state_file, code_folder, function = sys.argv[1:5]
out = {}

def local(name, action):
    try:
        action()
        out[name] = "allowed"
    except PermissionError:
        out[name] = "denied"

def http(name, method, path, body=None, headers=None):
    req = urllib.request.Request(endpoint + path, data=body, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(req, timeout=20) as resp:
            out[name] = resp.status
    except urllib.error.HTTPError as exc:
        out[name] = exc.code

local("read the state file", lambda: open(state_file).read())
local("list the state folder", lambda: os.listdir(os.path.dirname(state_file)))
local("list the extracted code", lambda: os.listdir(code_folder))
fn = "/2015-03-31/functions/" + function
zipped = base64.b64encode(b"PK\x05\x06" + bytes(18)).decode()
http("list functions", "GET", "/2015-03-31/functions/")
http("push code", "PUT", fn + "/code", json.dumps({"ZipFile": zipped}).encode(),
     {"Content-Type": "application/json"})
http("invoke", "POST", fn + "/invocations", b"{}")
http("who am I", "POST", "/", b"Action=GetCallerIdentity&Version=2011-06-15",
     {"Content-Type": "application/x-www-form-urlencoded"})
date = time.strftime("%Y%m%dT%H%M%SZ", time.gmtime())
forged = ("AWS4-HMAC-SHA256 Credential=twophase-local/" + date[:8] + "/us-east-1/lambda/"
          "aws4_request, SignedHeaders=host;x-amz-date, Signature=" + "0" * 64)
http("list functions with the old built-in key", "GET", "/2015-03-31/functions/",
     headers={"Authorization": forged, "X-Amz-Date": date})
http("reset", "POST", "/moto-api/reset", b"")
http("dashboard", "GET", "/moto-api/data.json")
print(json.dumps(out))
"""

EXPECTED = {
    "read the state file": "denied",
    "list the state folder": "denied",
    "list the extracted code": "denied",
    "list functions": 403,
    "push code": 403,
    "invoke": 403,
    "who am I": 403,
    "list functions with the old built-in key": 403,
    "reset": 403,
    "dashboard": 403,
}


@pytest.fixture
def second_user() -> Iterator[pwd.struct_passwd]:
    """A fresh local user with no home, removed afterwards (skipped where none can be made)."""
    if os.geteuid() != 0 or shutil.which("useradd") is None or shutil.which("userdel") is None:
        pytest.skip("creating a second local user needs root and useradd")
    name = f"tp2nd{os.getpid()}"
    made = subprocess.run(
        ["useradd", "--no-create-home", "--shell", "/usr/sbin/nologin", "--user-group", name],
        capture_output=True,
        text=True,
        check=False,
    )
    if made.returncode != 0:
        pytest.skip(f"useradd could not create a user: {made.stderr.strip()}")
    try:
        yield pwd.getpwnam(name)
    finally:
        subprocess.run(["userdel", name], capture_output=True, check=False)


def _python_for(user: pwd.struct_passwd) -> str:
    """A python3 the user may run (this test's own may sit in a folder closed to them)."""
    candidates = [sys.executable, os.path.realpath(sys.executable), "/usr/bin/python3"]
    for python in dict.fromkeys(candidates):
        ran = _as(user, [python, "-c", "pass"])
        if ran.returncode == 0:
            return python
    pytest.skip(f"no python3 that user {user.pw_name} may run")


def _as(user: pwd.struct_passwd, command: list[str]) -> subprocess.CompletedProcess[str]:
    try:
        return subprocess.run(
            command,
            user=user.pw_uid,
            group=user.pw_gid,
            extra_groups=[],
            cwd="/",
            env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    except OSError as exc:  # e.g. the interpreter is in a folder the user may not enter
        return subprocess.CompletedProcess(command, 126, "", str(exc))


@pytest.fixture
def shared_parent(monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """TWOPHASE_HOME in a folder everyone may enter, so that only its own mode protects it."""
    parent = Path(tempfile.mkdtemp(prefix="twophase-second-user-"))
    parent.chmod(0o755)
    home = parent / "home"
    monkeypatch.setenv("TWOPHASE_HOME", str(home))
    for name in (
        "TWOPHASE_LOCAL_ENDPOINT",
        "TWOPHASE_LOCAL_ACCESS_KEY",
        "TWOPHASE_LOCAL_SECRET_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    try:
        yield home
    finally:
        lifecycle.stop()
        shutil.rmtree(parent, ignore_errors=True)


def test_a_second_local_user_cannot_reach_into_the_embedded_aws(
    second_user: pwd.struct_passwd, shared_parent: Path
) -> None:
    python = _python_for(second_user)
    started = lifecycle.start(iam_enforcement=True)
    owner = Clients(connect_local(None))
    role_arn(owner)
    lam = owner.client("lambda")
    create(lam, "fn", {"app.py": GENUINE})
    assert payload(lam.invoke(FunctionName="fn")) == "genuine"
    sha = lam.get_function(FunctionName="fn")["Configuration"]["CodeSha256"]
    [code_folder] = shared_parent.glob("local-code-*")
    assert any(code_folder.iterdir())  # the code Invoke ran is extracted there

    probe = _as(
        second_user,
        [python, "-c", PROBE, started.endpoint, str(started.state_file), str(code_folder), "fn"],
    )

    assert probe.returncode == 0, probe.stderr
    assert json.loads(probe.stdout) == EXPECTED
    assert lam.get_function(FunctionName="fn")["Configuration"]["CodeSha256"] == sha
    assert payload(lam.invoke(FunctionName="fn")) == "genuine"
    assert lifecycle.status() == started  # not reset, not replaced
