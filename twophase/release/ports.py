"""What phase two needs of AWS, as our own interfaces.

The thin clients in twophase.aws satisfy them; tests hand in in-memory fakes that satisfy them too.
Each use case names the narrowest one it uses: `status` reads Lambda, `push` also writes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:  # annotations only: importing the interfaces costs a push nothing
    from collections.abc import Callable, Sequence
    from pathlib import Path

    from twophase.aws.codedeploy import Deployment, DeploymentConfig, TrafficTarget
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


class Deployments(Protocol):
    """CodeDeploy, as a gradual promotion uses it: one function's deployment group."""

    def active_deployments(self, application: str, group: str) -> list[str]: ...

    def get_deployment(self, deployment_id: str) -> Deployment: ...

    def create_deployment(
        self,
        application: str,
        group: str,
        *,
        appspec: str,
        config: str,
        description: str,
        alarms: Sequence[str] = (),
    ) -> str: ...

    def stop_deployment(self, deployment_id: str, *, rollback: bool = True) -> None: ...

    def target_ids(self, deployment_id: str) -> list[str]: ...

    def get_target(self, deployment_id: str, target_id: str) -> TrafficTarget | None: ...

    def get_config(self, name: str) -> DeploymentConfig | None: ...

    def create_config(self, name: str, routing_type: str, percent: int, minutes: int) -> None: ...


class Alarms(Protocol):
    """CloudWatch alarms, as a gradual promotion checks and shows them."""

    def states(self, names: Sequence[str]) -> dict[str, str]: ...


class LogSource(Protocol):
    """A function's log group, read from a time on."""

    def since(self, group: str, start_ms: int) -> list[LogEvent]: ...
