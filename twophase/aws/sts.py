"""Who is calling: STS GetCallerIdentity, asked once per run and cached."""

from __future__ import annotations

import threading
from typing import Any

from twophase.aws.lambda_client import aws_errors


class CallerIdentity:
    """The caller's ARN, read lazily once (thread-safe). Takes a boto3 `sts` client."""

    def __init__(self, client: Any) -> None:
        self._client = client
        self._lock = threading.Lock()
        self._arn: str | None = None

    def arn(self) -> str:
        with self._lock:
            if self._arn is None:
                with aws_errors("sts:GetCallerIdentity", "the caller"):
                    self._arn = str(self._client.get_caller_identity()["Arn"])
            return self._arn
