"""Artifact storage: head and put on twophase's own prefix of the artifact bucket, nothing else.

Also reads the bucket's name from the stacks' outputs (`ArtifactBucket`), the one CloudFormation
read phase two makes, and only when an artifact is too large to upload directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from twophase.aws.lambda_client import aws_errors, translate_error
from twophase.errors import NotFoundError, UsageError

ARTIFACT_BUCKET_OUTPUT = "ArtifactBucket"


class ArtifactStore:
    """HeadObject / PutObject on artifact keys. Takes a boto3 `s3` client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def exists(self, bucket: str, key: str) -> bool:
        from botocore.exceptions import BotoCoreError, ClientError

        resource = f"s3://{bucket}/{key}"
        try:
            self._client.head_object(Bucket=bucket, Key=key)
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code", "")) in {
                "404",
                "NoSuchKey",
                "NotFound",
            }:
                return False
            raise translate_error(exc, action="s3:HeadObject", resource=resource) from exc
        except BotoCoreError as exc:
            raise translate_error(exc, action="s3:HeadObject", resource=resource) from exc
        return True

    def put(self, bucket: str, key: str, path: Path, *, code_sha256: str) -> None:
        """Upload `path`; S3 checks the bytes against `code_sha256` (base64 SHA-256)."""
        with path.open("rb") as body, aws_errors("s3:PutObject", f"s3://{bucket}/{key}"):
            self._client.put_object(
                Bucket=bucket,
                Key=key,
                Body=body,
                ChecksumAlgorithm="SHA256",
                ChecksumSHA256=code_sha256,
            )


def artifact_bucket(cloudformation: Any, stack_names: Sequence[str]) -> str:
    """The `ArtifactBucket` output of the first of `stack_names` that has one."""
    for stack_name in stack_names:
        try:
            with aws_errors("cloudformation:DescribeStacks", f"stack {stack_name}"):
                stacks = cloudformation.describe_stacks(StackName=stack_name).get("Stacks", [])
        except (NotFoundError, UsageError):  # a missing stack is a ValidationError
            continue
        for stack in stacks:
            for output in stack.get("Outputs") or []:
                if output.get("OutputKey") == ARTIFACT_BUCKET_OUTPUT:
                    return str(output["OutputValue"])
    raise NotFoundError(
        f"no {ARTIFACT_BUCKET_OUTPUT} output in stack {' or '.join(stack_names)}",
        hint="run `twophase infra up -e ENV` to create the artifact bucket",
    )
