"""Uploading an artifact to the embedded S3 while following its bytes."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

from tests.conftest import LocalAwsHandle
from twophase.aws.s3_client import ArtifactStore


def test_put_reports_progress_and_stores_exactly_the_file(
    local_aws: LocalAwsHandle, tmp_path: Path
) -> None:
    s3 = local_aws.clients().client("s3")
    s3.create_bucket(Bucket="artifacts")
    data = os.urandom(3 * 1024 * 1024 + 17)
    path = tmp_path / "a.zip"
    path.write_bytes(data)
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    seen: list[int] = []

    ArtifactStore(s3).put(
        "artifacts", "shop/dev/api/a.zip", path, code_sha256=sha, on_progress=seen.append
    )

    assert len(seen) > 10 and max(seen) == len(data)
    stored = s3.get_object(Bucket="artifacts", Key="shop/dev/api/a.zip")["Body"].read()
    assert stored == data
