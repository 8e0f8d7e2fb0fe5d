"""S3 operations phase one needs: staging content-addressed objects, emptying a bucket."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twophase.aws.errors import aws_call, error_code
from twophase.errors import AwsError


@dataclass
class S3Store:
    client: Any

    def exists(self, bucket: str, key: str) -> bool:
        try:
            with aws_call("s3:HeadObject", f"s3://{bucket}/{key}"):
                self.client.head_object(Bucket=bucket, Key=key)
        except AwsError as exc:
            if error_code(exc) in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return True

    def put(self, bucket: str, key: str, data: bytes) -> None:
        with aws_call("s3:PutObject", f"s3://{bucket}/{key}"):
            self.client.put_object(Bucket=bucket, Key=key, Body=data)

    def url(self, bucket: str, key: str) -> str:
        endpoint = self.client.meta.endpoint_url.rstrip("/")
        return f"{endpoint}/{bucket}/{key}"

    def empty_and_delete(self, bucket: str) -> None:
        """Delete every object version, then the bucket (for `infra down --purge`)."""
        with aws_call("s3:DeleteBucket", f"s3://{bucket}"):
            pages = self.client.get_paginator("list_object_versions").paginate(Bucket=bucket)
            for page in pages:
                objects = [
                    {"Key": v["Key"], "VersionId": v["VersionId"]}
                    for v in page.get("Versions", []) + page.get("DeleteMarkers", [])
                ]
                if objects:
                    self.client.delete_objects(Bucket=bucket, Delete={"Objects": objects})
            self.client.delete_bucket(Bucket=bucket)
