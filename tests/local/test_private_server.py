"""The embedded AWS is private to the user who started it (README, "Security").

Its state and the code Invoke runs live in private folders (0700, this user's, never a predictable
shared path, never reached through a planted link); its root keys are generated at each start and
handed over in a 0600 state file only, with no built-in key to fall back to; moto's admin API
(reset, dashboard, seed…) answers only requests that carry the server's own token; with IAM
enforced, unsigned requests and requests signed with the key twophase used to build in are refused.
A second local user, where the machine lets a test create one, can read none of it and do nothing
without keys.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import stat
import tempfile
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli
from tests.local.test_lambda_invoke import create, payload, role_arn
from twophase.aws.session import Clients
from twophase.build.detzip import Entry, build_zip
from twophase.cli.context import connect_local
from twophase.errors import CredentialsError, ExitStatus
from twophase.local import lifecycle
from twophase.local.extensions import iam_enforcement
from twophase.local.invoke import extract_code
from twophase.local.private import NotPrivate
from twophase.local.protocol import ADMIN_HEADER, IDENTITY_PATH, identity_proof
from twophase.local.root_credentials import RootCredentials

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient

OLD_BUILT_IN_KEY = ("twophase-local", "twophase-local-secret")  # what twophase used to ship
GENUINE = "def handler(event, context):\n    return 'genuine'\n"
PLANTED = "def handler(event, context):\n    return 'planted'\n"
ADMIN_PATHS = [
    ("POST", "/moto-api/reset"),
    ("POST", "/moto-api/reset-auth"),
    ("GET", "/moto-api/"),
    ("GET", "/moto-api/data.json"),
    ("POST", "/moto-api/seed?a=42"),
    ("GET", "/moto-api/state-manager/get-transition?model_name=lambda::function"),
    ("POST", "/moto-api/config"),
    ("POST", "/moto-api/recorder/start-recording"),
    ("GET", "/favicon.ico"),
]


@pytest.fixture
def background(twophase_home: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A real background embedded AWS may be started in this test's own TWOPHASE_HOME."""
    for name in (
        "TWOPHASE_LOCAL_ENDPOINT",
        "TWOPHASE_LOCAL_ACCESS_KEY",
        "TWOPHASE_LOCAL_SECRET_KEY",
    ):
        monkeypatch.delenv(name, raising=False)
    try:
        yield twophase_home
    finally:
        lifecycle.stop()


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _code_folders(home: Path) -> list[Path]:
    return sorted(home.glob("local-code-*"))


def _request(url: str, method: str = "GET", **headers: str) -> tuple[int, bytes]:
    data = b"" if method == "POST" else None
    req = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _signed_with(endpoint: str, key: tuple[str, str]) -> LambdaClient:
    return boto3.client(
        "lambda",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id=key[0],
        aws_secret_access_key=key[1],
    )


def _keys(credentials: RootCredentials | None) -> tuple[str, str]:
    assert credentials is not None
    return credentials.access_key_id, credentials.secret_access_key


# --- private folders and files --------------------------------------------------------------------


def test_state_and_code_folders_are_private_and_the_state_file_is_0600(background: Path) -> None:
    started = lifecycle.start()

    assert _mode(background) == 0o700 and background.stat().st_uid == os.geteuid()
    for name in ("local.json", "local.log", "local.lock"):
        assert _mode(background / name) == 0o600, name
        assert (background / name).stat().st_uid == os.geteuid()
    [code] = _code_folders(background)
    assert code.name.startswith(f"local-code-{started.pid}-")
    assert _mode(code) == 0o700 and code.stat().st_uid == os.geteuid()
    state = json.loads((background / "local.json").read_text())
    assert (state["access_key_id"], state["secret_access_key"]) == _keys(started.credentials)

    lifecycle.stop()
    assert _code_folders(background) == []  # the server removes its code folder


def test_root_keys_are_generated_at_each_start(background: Path) -> None:
    first = lifecycle.start().credentials
    lifecycle.stop()
    second = lifecycle.start().credentials

    assert first is not None and second is not None
    assert first.access_key_id != second.access_key_id
    assert first.secret_access_key != second.secret_access_key
    for keys in (first, second):
        assert re.fullmatch(r"AKIA[A-Z2-7]{16}", keys.access_key_id)
        assert len(keys.secret_access_key) == 40
        assert keys.access_key_id not in OLD_BUILT_IN_KEY
    assert first.secret_access_key not in repr(first)


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o702])
def test_a_state_folder_others_may_change_is_refused(background: Path, mode: int) -> None:
    background.chmod(mode)
    try:
        with pytest.raises(lifecycle.UnsafeStateFolder, match="not private") as refused:
            lifecycle.start()
    finally:
        background.chmod(0o700)

    assert refused.value.exit_status == ExitStatus.USAGE
    assert list(background.iterdir()) == []  # nothing written, nothing started


def test_a_state_folder_others_may_only_read_is_closed(background: Path) -> None:
    background.chmod(0o755)

    assert lifecycle.status() is None

    assert _mode(background) == 0o700


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can give a folder to another user")
def test_a_state_folder_or_link_of_another_user_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    theirs = tmp_path / "theirs"
    theirs.mkdir(mode=0o700)
    os.chown(theirs, 65534, 65534)
    planted = tmp_path / "planted"  # a link to a folder of ours, made by somebody else
    mine = tmp_path / "mine"
    mine.mkdir(mode=0o700)
    planted.symlink_to(mine)
    os.lchown(planted, 65534, 65534)

    for home in (theirs, planted):
        monkeypatch.setenv("TWOPHASE_HOME", str(home))
        with pytest.raises(lifecycle.UnsafeStateFolder, match="another user"):
            lifecycle.status()
    assert list(mine.iterdir()) == []


def test_links_planted_in_the_state_folder_are_never_followed(background: Path) -> None:
    victim = background.parent / f"{background.name}-victim"
    victim.write_text("victim\n")
    for name in ("local.json", "local.log", "local.lock"):
        (background / name).symlink_to(victim)

    assert lifecycle.status() is None
    started = lifecycle.start()

    assert victim.read_text() == "victim\n"
    for name in ("local.json", "local.log", "local.lock"):
        assert not (background / name).is_symlink()
    assert lifecycle.status() == started


# --- the code Invoke runs -------------------------------------------------------------------------


@pytest.mark.parametrize("planted_as", ["folder", "link"])
def test_invoke_never_runs_code_planted_at_the_old_shared_path(
    local_aws: LocalAwsHandle, tmp_path: Path, planted_as: str
) -> None:
    clients = local_aws.clients()
    role_arn(clients)
    lam = clients.client("lambda")
    genuine = f"{GENUINE}# {planted_as}\n"  # one path per case: cases may run side by side
    zipped = build_zip([Entry("app.py", genuine.encode())])
    old_root = Path(tempfile.gettempdir()) / f"twophase-lambda-code-{os.getuid()}"
    made_old_root = not old_root.exists()
    old_root.mkdir(exist_ok=True)
    planted = old_root / hashlib.sha256(zipped).hexdigest()
    decoy = tmp_path / "decoy"
    decoy.mkdir()
    (decoy / "app.py").write_text(PLANTED)
    if planted_as == "link":
        planted.symlink_to(decoy)
    else:
        planted.mkdir()
        (planted / "app.py").write_text(PLANTED)
    try:
        create(lam, "fn", {"app.py": genuine})
        answer = payload(lam.invoke(FunctionName="fn"))
    finally:
        if planted.is_symlink():
            planted.unlink()
        else:
            (planted / "app.py").unlink()
            planted.rmdir()
        if made_old_root:
            old_root.rmdir()

    assert answer == "genuine"
    code_dir = local_aws.server.code_dir
    assert code_dir is not None and _mode(code_dir) == 0o700
    assert not code_dir.is_relative_to(old_root)
    assert (code_dir / planted.name / "app.py").read_text() == genuine


def test_code_is_never_extracted_into_a_folder_others_may_change(tmp_path: Path) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    shared.chmod(0o777)
    with pytest.raises(NotPrivate):
        extract_code(build_zip([Entry("app.py", b"")]), root=shared)

    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    zipped = build_zip([Entry("app.py", b"")])
    (private / hashlib.sha256(zipped).hexdigest()).write_text("not a folder we extracted")
    with pytest.raises(NotPrivate):
        extract_code(zipped, root=private)


# --- keys -----------------------------------------------------------------------------------------


def test_with_iam_the_old_built_in_key_and_unsigned_requests_are_refused(
    local_aws: LocalAwsHandle,
) -> None:
    iam_enforcement.enable(True)
    try:
        with pytest.raises(ClientError) as old_key:
            _signed_with(local_aws.endpoint_url, OLD_BUILT_IN_KEY).list_functions()
        status, body = _request(f"{local_aws.endpoint_url}/2015-03-31/functions/")
        root = local_aws.clients().client("lambda").list_functions()
    finally:
        iam_enforcement.enable(False)

    assert old_key.value.response["Error"]["Code"] == "UnrecognizedClientException"
    assert old_key.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert status == 403 and b"MissingAuthenticationToken" in body
    assert root["Functions"] == []


def test_the_cli_signs_with_the_keys_of_the_server_it_started(background: Path) -> None:
    started = lifecycle.start(iam_enforcement=True)

    target = connect_local(None)

    assert (target.endpoint_url, target.access_key) == (
        started.endpoint,
        _keys(started.credentials)[0],
    )
    assert Clients(target).client("lambda").list_functions()["Functions"] == []
    with pytest.raises(ClientError, match="UnrecognizedClientException"):
        _signed_with(started.endpoint, OLD_BUILT_IN_KEY).list_functions()


def test_no_keys_is_a_credentials_error_never_a_built_in_key(
    background: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TWOPHASE_LOCAL_ENDPOINT", "http://127.0.0.1:9")  # not one twophase started
    with pytest.raises(CredentialsError, match="no credentials for the embedded AWS") as none:
        connect_local(None)
    assert none.value.exit_status == ExitStatus.USAGE

    monkeypatch.setenv("TWOPHASE_LOCAL_ACCESS_KEY", "AKIAEXAMPLE000000000")
    with pytest.raises(CredentialsError, match="TWOPHASE_LOCAL_SECRET_KEY is not"):
        connect_local(None)
    monkeypatch.delenv("TWOPHASE_LOCAL_ACCESS_KEY")

    monkeypatch.chdir(tmp_path)
    Path("src").mkdir()
    Path("src/app.py").write_text(GENUINE)
    Path("twophase.yml").write_text(
        "app: shop\nenvironments:\n  local: {endpoint: local}\n"
        "functions:\n  api: {handler: app.handler, source: src}\n"
    )
    result = run_cli(capsys, "-e", "local", "logs", "api")
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2
    assert len(errors) == 1 and "no credentials for the embedded AWS" in errors[0]


# --- moto's admin API and the identity answer -----------------------------------------------------


@pytest.mark.parametrize("enforced", [False, True], ids=["open", "iam"])
def test_the_admin_api_refuses_requests_without_the_servers_token(
    local_aws: LocalAwsHandle, enforced: bool
) -> None:
    iam = local_aws.clients().client("iam")
    iam.create_user(UserName="survivor")
    iam_enforcement.enable(enforced)
    try:
        answers = {
            (method, path, token): _request(f"{local_aws.endpoint_url}{path}", method, **headers)[0]
            for method, path in ADMIN_PATHS
            for token, headers in (("none", {}), ("wrong", {ADMIN_HEADER: "0" * 64}))
        }
    finally:
        iam_enforcement.enable(False)

    assert set(answers.values()) == {403}, answers
    assert [u["UserName"] for u in iam.list_users()["Users"]] == ["survivor"]
    local_aws.reset()  # the server's own token: reset works
    assert iam.list_users()["Users"] == []


def test_the_identity_answer_proves_the_token_without_revealing_it(
    local_aws: LocalAwsHandle,
) -> None:
    status, body = _request(f"{local_aws.endpoint_url}{IDENTITY_PATH}?nonce=abc")
    identity = json.loads(body)

    assert status == 200 and identity["pid"] == os.getpid()
    assert identity["proof"] == identity_proof(local_aws.server.token, "abc")
    assert local_aws.server.token not in body.decode()
    assert "proof" not in json.loads(_request(f"{local_aws.endpoint_url}{IDENTITY_PATH}")[1])


# --- the product's dependency points one way ------------------------------------------------------


def test_the_embedded_aws_imports_nothing_of_the_product() -> None:
    """The server side of `twophase/local` (all but `lifecycle`, the CLI's handle on it) imports
    from twophase only twophase.local."""
    local = Path(lifecycle.__file__).parent
    outside = []
    for module in sorted(local.rglob("*.py")):
        if module.name == "lifecycle.py":
            continue
        for node in ast.walk(ast.parse(module.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            outside += [
                f"{module.relative_to(local)}: {name}"
                for name in names
                if name.split(".")[0] == "twophase" and not name.startswith("twophase.local")
            ]
    assert outside == []
