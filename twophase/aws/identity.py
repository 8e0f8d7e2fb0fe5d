"""Who is calling, for phase two: the caller's ARN for the release record, asked at most once.

An access key belongs to one principal for its whole life (an IAM user's key, or one role
session's temporary key), so the answer of `GetCallerIdentity` is kept per endpoint and access key
in `$TWOPHASE_HOME/identities.json`: a developer's second push asks STS nothing. Only a digest of
the key is stored, never the key.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from twophase.files import write_atomically

if TYPE_CHECKING:
    from mypy_boto3_sts.client import STSClient

CACHE_NAME = "identities.json"
MAX_ENTRIES = 64


class CallerIdentity:
    """The caller's ARN, read lazily once per run (thread-safe). Takes a boto3 `sts` client and
    a `credential_key` (endpoint and access key; None when there are no credentials to key on)."""

    def __init__(
        self,
        client: STSClient,
        credential_key: Callable[[], str | None] = lambda: None,
        cache_dir: Path | None = None,
    ) -> None:
        self._client = client
        self._credential_key = credential_key
        self._cache_dir = cache_dir
        self._lock = threading.Lock()
        self._arn: str | None = None

    def arn(self) -> str:
        with self._lock:
            if self._arn is None:
                self._arn = self._cached_or_asked()
            return self._arn

    def _ask(self) -> str:
        from twophase.aws.sts import Sts

        return Sts(self._client).identity.arn

    def _cached_or_asked(self) -> str:
        credential = self._credential_key()
        if credential is None or self._cache_dir is None:
            return self._ask()
        key = hashlib.sha256(credential.encode()).hexdigest()
        path = self._cache_dir / CACHE_NAME
        known = _read(path)
        arn = known.get(key)
        if isinstance(arn, str) and arn:
            return arn
        arn = self._ask()
        _write(path, {**dict(list(known.items())[-(MAX_ENTRIES - 1) :]), key: arn})
        return arn


def _read(path: Path) -> dict[str, object]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _write(path: Path, data: dict[str, object]) -> None:
    with contextlib.suppress(OSError):  # nowhere to keep it: STS is asked again next run
        write_atomically(path, json.dumps(data))
