"""What phase two needs of AWS, as our own interfaces.

The thin clients in twophase.aws satisfy them; tests hand in in-memory fakes that satisfy them too.
Each use case names the narrowest one it uses: `status` reads Lambda, `push` also writes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: importing the interfaces costs a push nothing
    from collections.abc import Callable, Sequence
    from datetime import datetime
    from pathlib import Path

    from twophase.aws.lambda_client import AliasState, CodeSource, FunctionState, InvokeResult
    from twophase.aws.logs import LogEvent


class LambdaReader(Protocol):
    """Lambda's reads of one function's versions and aliases."""

    def get_configuration(self, function: str, qualifier: str | None = None) -> FunctionState: ...

    def get_alias(self, function: str, alias: str) -> AliasState: ...

    def list_aliases(self, function: str) -> list[AliasState]: ...

    def list_versions(
        self, function: str, *, include_latest: bool = False
    ) -> list[FunctionState]: ...


class LambdaWriter(LambdaReader, Protocol):
    """Lambda's reads and the writes phase two makes: code, versions, aliases."""

    def connect(self) -> None: ...

    def update_code(
        self, function: str, source: CodeSource, revision_id: str, *, code_sha256: str = ""
    ) -> FunctionState: ...

    def wait_active(self, function: str, qualifier: str | None = None) -> FunctionState: ...

    def publish_version(
        self, function: str, *, code_sha256: str, revision_id: str, description: str
    ) -> FunctionState: ...

    def update_alias(
        self,
        function: str,
        alias: str,
        *,
        version: str,
        revision_id: str,
        weights: dict[str, float] | None = None,
        description: str | None = None,
    ) -> AliasState: ...

    def delete_version(self, function: str, version: str) -> None: ...


class LambdaInvoker(Protocol):
    """Lambda's Invoke, on a client that never retries (a retried Invoke runs the code again)."""

    def invoke(self, function: str, qualifier: str, payload: bytes) -> InvokeResult: ...


class ArtifactUploads(Protocol):
    """The artifact bucket, as push uses it."""

    def exists(self, bucket: str, key: str) -> bool: ...

    def put(
        self,
        bucket: str,
        key: str,
        path: Path,
        *,
        code_sha256: str,
        on_progress: Callable[[int], None] | None = None,
    ) -> None: ...


class Identity(Protocol):
    """Who is calling: the ARN a release record names."""

    def arn(self) -> str: ...


class Health(Protocol):
    """CloudWatch, as a gradual promotion checks a new version."""

    def version_errors(
        self, function: str, alias: str, version: str, *, start: datetime, end: datetime
    ) -> float: ...

    def alarms_firing(self, names: Sequence[str]) -> list[str]: ...


class LogSource(Protocol):
    """A function's log group, read from a time on."""

    def since(self, group: str, start_ms: int) -> list[LogEvent]: ...
