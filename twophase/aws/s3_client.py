"""The thin S3 client: content-addressed objects in the app's artifact bucket.

Phase two only heads and puts under its own prefix (`<app>/<env>/<function>/`); phase one also
stages dummies and large templates and, for `infra down --purge`, empties the bucket. The bucket's
name is derived (`names.artifact_bucket_name`), never looked up.

A large artifact goes up as the best S3 clients send it: a multipart upload whose parts are sent in
parallel by boto3's own transfer manager (s3transfer), each part checked by S3 against its SHA-256;
Lambda then reports the whole object's CodeSha256, which push compares with the artifact's. A
smaller file is one PutObject, checked by S3 against the whole file's SHA-256.
"""

from __future__ import annotations

import io
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from twophase.aws.errors import aws_call, error_code
from twophase.errors import AwsError, NotFoundError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client
    from mypy_boto3_s3.type_defs import ObjectIdentifierTypeDef
    from s3transfer.subscribers import BaseSubscriber

# A missing key answers 404, or 403 to a caller without s3:ListBucket (a deployer policy grants
# only its own prefix): either way the object has to be uploaded.
ABSENT_CODES = {"404", "NoSuchKey", "NotFound", "403", "AccessDenied", "Forbidden"}
MB = 1024 * 1024
MULTIPART_FROM = 16 * MB  # below this, one PutObject (the AWS CLI starts parts at 8 MB)
PART_SIZE = 16 * MB  # S3 advises 8 to 16 MB; fewer requests for the same bytes
PARALLEL_PARTS = 8
NO_BUCKET_HINT = "run `twophase infra up -e ENV` to create the artifact bucket"


class ArtifactStore:
    """Objects in the artifact bucket. Takes a boto3 `s3` client."""

    def __init__(self, client: S3Client) -> None:
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
        """Upload `path` (`code_sha256`: the base64 SHA-256 of its bytes). `on_progress(sent)`
        follows the bytes sent (it goes back when a request is retried)."""
        try:
            with aws_call("s3:PutObject", f"s3://{bucket}/{key}"):
                if path.stat().st_size < MULTIPART_FROM:
                    self._put_whole(bucket, key, path, code_sha256, on_progress)
                else:
                    self._put_in_parts(bucket, key, path, on_progress)
        except AwsError as exc:
            if error_code(exc) == "NoSuchBucket":
                raise NotFoundError(
                    f"the artifact bucket {bucket} does not exist", hint=NO_BUCKET_HINT
                ) from exc
            raise

    def _put_whole(
        self,
        bucket: str,
        key: str,
        path: Path,
        code_sha256: str,
        on_progress: Callable[[int], None] | None,
    ) -> None:
        with path.open("rb") as file:
            body: Any = file if on_progress is None else _Watched(file, on_progress)
            self._client.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=code_sha256,
            )

    def _put_in_parts(
        self, bucket: str, key: str, path: Path, on_progress: Callable[[int], None] | None
    ) -> None:
        """A multipart upload, its parts in parallel; s3transfer aborts it if one fails."""
        from s3transfer.exceptions import S3UploadFailedError
        from s3transfer.manager import TransferConfig, TransferManager

        config = TransferConfig(
            multipart_threshold=MULTIPART_FROM,
            multipart_chunksize=PART_SIZE,
            max_request_concurrency=PARALLEL_PARTS,
        )
        subscribers = [] if on_progress is None else [_progress(on_progress)]
        with TransferManager(self._client, config) as manager:
            future = manager.upload(
                str(path),
                bucket,
                key,
                extra_args={"ChecksumAlgorithm": "SHA256"},
                subscribers=subscribers,
            )
            try:
                future.result()
            except S3UploadFailedError as exc:  # a part failed past its retries
                raise AwsError(f"upload to s3://{bucket}/{key} failed: {exc}") from exc

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
                objects: list[ObjectIdentifierTypeDef] = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in [*page.get("Versions", []), *page.get("DeleteMarkers", [])]
                ]
                if objects:
                    self._client.delete_objects(Bucket=bucket, Delete={"Objects": objects})
            self._client.delete_bucket(Bucket=bucket)


def _progress(on_progress: Callable[[int], None]) -> BaseSubscriber:
    """An s3transfer subscriber adding up what the parts report, from the threads sending them
    (s3transfer is imported only for a multipart upload)."""
    from s3transfer.subscribers import BaseSubscriber

    lock = threading.Lock()
    sent = 0

    class Progress(BaseSubscriber):
        def on_progress(self, future: Any, bytes_transferred: int, **kwargs: Any) -> None:
            nonlocal sent
            with lock:
                sent += bytes_transferred
                on_progress(sent)

    return Progress()


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
