"""The thin S3 client: content-addressed objects in the app's artifact bucket.

Phase two only heads and puts under its own prefix (`<app>/<env>/<function>/`); phase one also
stages dummies and large templates and, for `infra down --purge`, empties the bucket.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from twophase.aws.errors import aws_call, error_code
from twophase.errors import AwsError, NotFoundError

ARTIFACT_BUCKET_OUTPUT = "ArtifactBucket"
# A missing key answers 404, or 403 to a caller without s3:ListBucket (a deployer policy grants
# only its own prefix): either way the object has to be uploaded.
ABSENT_CODES = {"404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"}


class ArtifactStore:
    """Objects in the artifact bucket. Takes a boto3 `s3` client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def exists(self, bucket: str, key: str) -> bool:
        try:
            with aws_call("s3:HeadObject", f"s3://{bucket}/{key}"):
                self._client.head_object(Bucket=bucket, Key=key)
        except AwsError as exc:
            if error_code(exc) in ABSENT_CODES:
                return False
            raise
        return True

    def bucket_exists(self, bucket: str) -> bool:
        """Whether the bucket exists and this account may use it. A bucket of that name owned
        by another account (403) is an error: its name is taken."""
        try:
            with aws_call("s3:HeadBucket", f"s3://{bucket}"):
                self._client.head_bucket(Bucket=bucket)
        except AwsError as exc:
            code = error_code(exc)
            if code in ("404", "NoSuchBucket", "NotFound"):
                return False
            if code in ("403", "AccessDenied", "Forbidden"):
                raise AwsError(
                    f"the artifact bucket name {bucket} is taken by another account",
                    hint="use another app name or environment",
                ) from exc
            raise
        return True

    def put(
        self,
        bucket: str,
        key: str,
        path: Path,
        *,
        code_sha256: str,
        on_progress: Callable[[int], None] | None = None,
    ) -> None:
        """Upload `path`; S3 checks the bytes against `code_sha256` (base64 SHA-256).
        `on_progress(bytes_sent)` follows the body as it is read (from 0 again on a retry)."""
        with path.open("rb") as file, aws_call("s3:PutObject", f"s3://{bucket}/{key}"):
            body: Any = file if on_progress is None else _Watched(file, on_progress)
            self._client.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=code_sha256,
            )

    def put_bytes(self, bucket: str, key: str, data: bytes) -> None:
        with aws_call("s3:PutObject", f"s3://{bucket}/{key}"):
            self._client.put_object(Bucket=bucket, Key=key, Body=data)

    def url(self, bucket: str, key: str) -> str:
        endpoint = self._client.meta.endpoint_url.rstrip("/")
        return f"{endpoint}/{bucket}/{key}"

    def empty_and_delete(self, bucket: str) -> None:
        """Delete every object version, then the bucket (for `infra down --purge`)."""
        with aws_call("s3:DeleteBucket", f"s3://{bucket}"):
            pages = self._client.get_paginator("list_object_versions").paginate(Bucket=bucket)
            for page in pages:
                objects = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                ]
                if objects:
                    self._client.delete_objects(Bucket=bucket, Delete={"Objects": objects})
            self._client.delete_bucket(Bucket=bucket)


def artifact_bucket(cloudformation: Any, stack_names: Sequence[str]) -> str:
    """The `ArtifactBucket` output of the first of `stack_names` that has one."""
    from twophase.aws.cloudformation import CloudFormation

    cfn = CloudFormation(cloudformation)
    for stack_name in stack_names:
        stack = cfn.get_stack(stack_name)
        if stack is not None and stack.outputs.get(ARTIFACT_BUCKET_OUTPUT):
            return stack.outputs[ARTIFACT_BUCKET_OUTPUT]
    raise NotFoundError(
        f"no {ARTIFACT_BUCKET_OUTPUT} output in stack {' or '.join(stack_names)}",
        hint="run `twophase infra up -e ENV` to create the artifact bucket",
    )


class _Watched(io.RawIOBase):
    """A file whose reads report the position reached (botocore seeks back to retry)."""

    def __init__(self, file: BinaryIO, on_progress: Callable[[int], None]) -> None:
        super().__init__()
        self._file = file
        self._on_progress = on_progress

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        data = self._file.read(size)
        self._on_progress(self._file.tell())
        return data

    def readinto(self, buffer: Any) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()
