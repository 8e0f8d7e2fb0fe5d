"""Who is calling, for phase two: the caller's ARN, asked once per run, thread-safe."""

from __future__ import annotations

import threading
from typing import Any

from twophase.aws.identity import Sts


class CallerIdentity:
    """The caller's ARN, read lazily once (thread-safe). Takes a boto3 `sts` client."""

    def __init__(self, client: Any) -> None:
        self._sts = Sts(client)
        self._lock = threading.Lock()

    def arn(self) -> str:
        with self._lock:
            return self._sts.identity.arn
