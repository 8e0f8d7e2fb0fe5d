"""Hostile input through the real CLI against the embedded AWS: refused, and nothing changes.

After `infra up`, a push of a zip with a `../` entry, of a folder with a link out of the project,
and of a folder whose config grew an alias bomb each end in one `error:` line with exit 2; the
function's code, versions and aliases, and the artifact bucket, are exactly as before.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli

FUNCTION = "shop-local-api"


def remote_state(local_aws: LocalAwsHandle) -> dict[str, Any]:
    clients = local_aws.clients()
    lam, s3 = clients.client("lambda"), clients.client("s3")
    objects = {
        bucket["Name"]: sorted(
            o["Key"] for o in s3.list_objects_v2(Bucket=bucket["Name"]).get("Contents", [])
        )
        for bucket in s3.list_buckets()["Buckets"]
    }
    return {
        "sha": lam.get_function(FunctionName=FUNCTION)["Configuration"]["CodeSha256"],
        "versions": [
            v["Version"] for v in lam.list_versions_by_function(FunctionName=FUNCTION)["Versions"]
        ],
        "aliases": {
            a["Name"]: a["FunctionVersion"]
            for a in lam.list_aliases(FunctionName=FUNCTION)["Aliases"]
        },
        "objects": objects,
    }


def evil_zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return 1\n")
        archive.writestr("../../etc/cron.d/evil", "* * * * * root sh -c 'id'\n")
    return buf.getvalue()


def test_hostile_pushes_are_refused_in_one_line_and_change_nothing(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    before = remote_state(local_aws)

    evil = tmp_path / "evil.zip"
    evil.write_bytes(evil_zip())
    zipped = run_cli(capsys, "push", "api", "--artifact", str(evil))
    assert zipped.exit_code == 2
    assert zipped.stderr.count("\n") == 1
    assert f"error: {evil}: entry '../../etc/cron.d/evil' has a '..' part" in zipped.stderr

    source = app.parent / "examples/shop/services/api"
    (source / "passwd").symlink_to("/etc/passwd")
    linked = run_cli(capsys, "push", "api")
    assert linked.exit_code == 2
    assert linked.stderr.count("\n") == 1
    link = "examples/shop/services/api/passwd"
    assert f"error: api: link {link} points outside the project, to /etc/passwd" in linked.stderr
    (source / "passwd").unlink()

    text = app.read_text()
    app.write_text(
        text
        + "x-bomb: &b0 [1, 2, 3, 4, 5, 6, 7, 8, 9]\n"
        + "".join(f"x-{i}: &b{i} [" + ", ".join([f"*b{i - 1}"] * 9) + "]\n" for i in range(1, 9))
    )
    bombed = run_cli(capsys, "push", "api")
    assert bombed.exit_code == 2
    assert bombed.stderr.count("\n") == 1 and "alias bomb" in bombed.stderr
    app.write_text(text)

    assert remote_state(local_aws) == before
    assert run_cli(capsys, "push", "api").exit_code == 0  # and a clean push still goes through
