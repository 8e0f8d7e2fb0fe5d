"""A large artifact goes to the embedded S3 as a multipart upload of parallel parts."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from twophase.aws.s3_client import MULTIPART_FROM, PART_SIZE, ArtifactStore
from twophase.errors import NotFoundError


def test_a_large_artifact_goes_up_in_parts_with_its_progress(
    local_aws: LocalAwsHandle, tmp_path: Path
) -> None:
    s3 = local_aws.clients().client("s3")
    s3.create_bucket(Bucket="artifacts")
    data = os.urandom(1024 * 1024) * (MULTIPART_FROM // (1024 * 1024)) + b"tail"
    path = tmp_path / "big.zip"
    path.write_bytes(data)
    sha = base64.b64encode(hashlib.sha256(data).digest()).decode()
    calls: list[str] = []

    def count(model: Any, **_: Any) -> None:
        calls.append(model.name)

    s3.meta.events.register("before-call.s3", count)
    seen: list[int] = []

    ArtifactStore(s3).put(
        "artifacts", "shop/dev/api/big.zip", path, code_sha256=sha, on_progress=seen.append
    )

    parts = -(-len(data) // PART_SIZE)
    assert sorted(calls) == sorted(
        ["CreateMultipartUpload", *["UploadPart"] * parts, "CompleteMultipartUpload"]
    )
    assert max(seen) == len(data) and len(seen) >= parts
    stored = s3.get_object(Bucket="artifacts", Key="shop/dev/api/big.zip")["Body"].read()
    assert stored == data


@pytest.mark.parametrize("size", [10, MULTIPART_FROM])
def test_an_upload_to_a_missing_bucket_says_to_create_it(
    local_aws: LocalAwsHandle, tmp_path: Path, size: int
) -> None:
    path = tmp_path / "a.zip"
    path.write_bytes(b"x" * size)
    sha = base64.b64encode(hashlib.sha256(path.read_bytes()).digest()).decode()
    store = ArtifactStore(local_aws.clients().client("s3"))
    with pytest.raises(NotFoundError, match="artifact bucket nowhere does not exist") as err:
        store.put("nowhere", "shop/dev/api/a.zip", path, code_sha256=sha)
    assert "infra up" in (err.value.hint or "")
