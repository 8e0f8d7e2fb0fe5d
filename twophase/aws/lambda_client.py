"""The thin Lambda client: typed reads, compare-and-set writes, waiters, narrow retries.

This is the only place that speaks Lambda's CamelCase. Every write carries its precondition
(`RevisionId`, `CodeSha256`); a failed precondition becomes `ConflictError` and is never retried.
Only "an update is in progress" (see twophase.aws.lambda_errors) and waiter timeouts are retried,
bounded, with an injectable sleep. Errors go through the shared mapping, with phase two's hints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, TypeVar

from twophase.aws.lambda_errors import aws_errors, retry_in_progress
from twophase.aws.lambda_settings import Settings, release_settings, settings_digest
from twophase.errors import ConflictError

if TYPE_CHECKING:
    from mypy_boto3_lambda.client import LambdaClient as BotoLambdaClient
    from mypy_boto3_lambda.type_defs import (
        AliasConfigurationResponseTypeDef,
        AliasConfigurationTypeDef,
        FunctionConfigurationResponseTypeDef,
        FunctionConfigurationTypeDef,
        GetFunctionConfigurationRequestTypeDef,
        UpdateAliasRequestTypeDef,
        UpdateFunctionCodeRequestTypeDef,
    )

    from twophase.aws.lambda_waits import FunctionWaits

    FunctionResponse = FunctionConfigurationTypeDef | FunctionConfigurationResponseTypeDef
    AliasResponse = AliasConfigurationTypeDef | AliasConfigurationResponseTypeDef

T = TypeVar("T")

LATEST = "$LATEST"


class VersionInUse(ConflictError):
    """Lambda refused to delete a version because an alias routes to it (HTTP 409)."""


# --- typed views of Lambda's responses ----------------------------------------------------------


@dataclass(frozen=True)
class FunctionState:
    """A function's configuration at `$LATEST`, a version, or the version an alias points to."""

    name: str
    version: str
    code_sha256: str
    revision_id: str
    last_update_status: str
    last_update_reason: str
    description: str
    last_modified: str
    # The configuration a version freezes (see twophase.aws.lambda_settings), and the state.
    settings: Settings = field(default_factory=dict, compare=False)
    state: str = "Active"
    state_reason: str = ""

    @classmethod
    def from_response(cls, r: FunctionResponse) -> FunctionState:
        return cls(
            name=str(r.get("FunctionName", "")),
            version=str(r.get("Version", LATEST)),
            code_sha256=str(r.get("CodeSha256", "")),
            revision_id=str(r.get("RevisionId", "")),
            last_update_status=str(r.get("LastUpdateStatus") or "Successful"),
            last_update_reason=str(r.get("LastUpdateStatusReason") or ""),
            description=str(r.get("Description") or ""),
            last_modified=str(r.get("LastModified") or ""),
            settings=release_settings(r),
            state=str(r.get("State") or "Active"),
            state_reason=str(r.get("StateReason") or ""),
        )

    @property
    def settings_digest(self) -> str:
        return settings_digest(self.settings)

    @property
    def handler(self) -> str:
        return str(self.settings.get("handler") or "")

    @property
    def runtime(self) -> str:
        return str(self.settings.get("runtime") or "")

    @property
    def architectures(self) -> tuple[str, ...]:
        found = self.settings.get("architecture")
        return tuple(str(a) for a in found) if isinstance(found, list) else ()


@dataclass(frozen=True)
class AliasState:
    name: str
    function_version: str
    revision_id: str
    description: str = ""
    weights: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_response(cls, r: AliasResponse) -> AliasState:
        routing = r.get("RoutingConfig") or {}
        weights = routing.get("AdditionalVersionWeights") or {}
        return cls(
            name=str(r["Name"]),
            function_version=str(r["FunctionVersion"]),
            revision_id=str(r.get("RevisionId", "")),
            description=str(r.get("Description") or ""),
            weights={str(k): float(v) for k, v in weights.items()},
        )


@dataclass(frozen=True)
class CodeSource:
    """Where UpdateFunctionCode takes the code from: exactly one of the three."""

    zip_bytes: bytes | None = None
    s3_bucket: str | None = None
    s3_key: str | None = None
    image_uri: str | None = None


@dataclass(frozen=True)
class InvokeResult:
    """What a RequestResponse Invoke answered: the payload, and the error the code raised if any."""

    status: int
    executed_version: str
    function_error: str | None  # "Unhandled" when the code raised
    payload: bytes
    log_tail: str  # the last 4 KB of the invocation's log


# --- the client ---------------------------------------------------------------------------------


class LambdaClient:
    """Lambda calls twophase makes, each translated and typed. Takes a boto3 `lambda` client."""

    def __init__(
        self,
        client: BotoLambdaClient,
        *,
        sleep: Callable[[float], None] = time.sleep,
        conflict_attempts: int = 6,
        wait_polls: int = 60,
        wait_attempts: int = 3,
        poll_seconds: float = 1.0,
        on_wait: Callable[[str], None] = lambda _: None,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._conflict_attempts = conflict_attempts
        self._on_wait = on_wait
        self._wait_budget = (wait_polls, wait_attempts, poll_seconds)

    @cached_property
    def _waits(self) -> FunctionWaits:
        """Made on the first wait: a command that only reads (`status`) never imports them."""
        from twophase.aws.lambda_waits import FunctionWaits

        read, budget = self.get_configuration, self._wait_budget
        return FunctionWaits(read, self._sleep, self._on_wait, *budget)

    def connect(self) -> None:
        """Set the underlying client up now rather than at the first call (it may be lazy)."""
        _ = self._client.meta

    # reads

    def get_configuration(self, function: str, qualifier: str | None = None) -> FunctionState:
        """GetFunctionConfiguration of `$LATEST` (no qualifier), a version, or an alias."""
        kwargs: GetFunctionConfigurationRequestTypeDef = {"FunctionName": function}
        if qualifier is not None:
            kwargs["Qualifier"] = qualifier
        resource = f"{function}:{qualifier}" if qualifier else function
        with aws_errors("lambda:GetFunctionConfiguration", resource):
            return FunctionState.from_response(self._client.get_function_configuration(**kwargs))

    def get_alias(self, function: str, alias: str) -> AliasState:
        with aws_errors("lambda:GetAlias", f"alias {alias} of {function}"):
            return AliasState.from_response(
                self._client.get_alias(FunctionName=function, Name=alias)
            )

    def list_aliases(self, function: str) -> list[AliasState]:
        with aws_errors("lambda:ListAliases", function):
            pages = self._client.get_paginator("list_aliases").paginate(FunctionName=function)
            return [AliasState.from_response(a) for page in pages for a in page.get("Aliases", [])]

    def list_versions(self, function: str, *, include_latest: bool = False) -> list[FunctionState]:
        """Published versions (and `$LATEST` when asked), in Lambda's order."""
        with aws_errors("lambda:ListVersionsByFunction", function):
            pages = self._client.get_paginator("list_versions_by_function").paginate(
                FunctionName=function
            )
            versions = [
                FunctionState.from_response(v) for p in pages for v in p.get("Versions", [])
            ]
        return [v for v in versions if include_latest or v.version != LATEST]

    def invoke(self, function: str, qualifier: str, payload: bytes) -> InvokeResult:
        """Invoke `qualifier` (an alias or version) synchronously, with the log's tail."""
        import base64

        hint = "`twophase releases FUNCTION` lists its versions; `infra up` creates the function"
        with aws_errors("lambda:InvokeFunction", f"{function}:{qualifier}", hint):
            response = self._client.invoke(
                FunctionName=function, Qualifier=qualifier, Payload=payload, LogType="Tail"
            )
            body = response["Payload"].read()
        log = base64.b64decode(response.get("LogResult") or b"").decode("utf-8", "replace")
        return InvokeResult(
            status=int(response["StatusCode"]),
            executed_version=str(response.get("ExecutedVersion", "")),
            function_error=response.get("FunctionError"),
            payload=body,
            log_tail=log,
        )

    # writes
    #
    # Each write is compare-and-set. botocore retries a request whose answer was lost, and the
    # retry then meets the state its own first attempt made: a failed precondition. Before calling
    # that a conflict, each write reads back and recognises its own result (the code it sent on
    # `$LATEST`, the version it published, the alias where it asked): that is success.

    def update_code(
        self, function: str, source: CodeSource, revision_id: str, *, code_sha256: str = ""
    ) -> FunctionState:
        """UpdateFunctionCode guarded by the function's `RevisionId`; waits until it settles.
        `code_sha256` is the code sent: `$LATEST` found holding it after a failed precondition
        is this write's own result."""
        kwargs: UpdateFunctionCodeRequestTypeDef = {
            "FunctionName": function,
            "RevisionId": revision_id,
        }
        if source.zip_bytes is not None:
            kwargs["ZipFile"] = source.zip_bytes
        elif source.image_uri is not None:
            kwargs["ImageUri"] = source.image_uri
        else:
            kwargs["S3Bucket"] = source.s3_bucket or ""
            kwargs["S3Key"] = source.s3_key or ""
        try:
            state = self._write(
                "lambda:UpdateFunctionCode",
                function,
                lambda: self._client.update_function_code(**kwargs),
            )
        except ConflictError:
            if not code_sha256 or self.get_configuration(function).code_sha256 != code_sha256:
                raise
            return self.wait_updated(function)  # our own update, whose answer was lost
        if state.last_update_status == "Successful":
            return state
        return self.wait_updated(function)

    def publish_version(
        self, function: str, *, code_sha256: str, revision_id: str, description: str
    ) -> FunctionState:
        """PublishVersion of exactly `code_sha256`, from the `$LATEST` read as `revision_id`.

        When neither code nor configuration changed since the latest version, Lambda publishes
        nothing and returns that version. A `CodeSha256` that is no longer `$LATEST`'s is a 400
        `InvalidParameterValueException` on AWS (not a 412): a conflict all the same."""

        def publish() -> FunctionConfigurationResponseTypeDef:
            return self._client.publish_version(
                FunctionName=function,
                CodeSha256=code_sha256,
                RevisionId=revision_id,
                Description=description,
            )

        try:
            return self._write("lambda:PublishVersion", function, publish)
        except ConflictError:
            mine = self._published(function, code_sha256, description)
            if mine is None:
                raise
            return mine

    def _published(self, function: str, code_sha256: str, description: str) -> FunctionState | None:
        """The version this exact release record was published as, if any (newest first)."""
        for version in reversed(self.list_versions(function)):
            if version.description == description and version.code_sha256 == code_sha256:
                return version
        return None

    def update_alias(
        self,
        function: str,
        alias: str,
        *,
        version: str,
        revision_id: str,
        weights: Mapping[str, float] | None = None,
        description: str | None = None,
    ) -> AliasState:
        """UpdateAlias from the state read as `revision_id`; `weights` replaces the routing.
        An alias found exactly where this call asked, after a failed precondition, is success."""
        wanted = {str(k): float(v) for k, v in (weights or {}).items()}
        kwargs: UpdateAliasRequestTypeDef = {
            "FunctionName": function,
            "Name": alias,
            "FunctionVersion": version,
            "RevisionId": revision_id,
            "RoutingConfig": {"AdditionalVersionWeights": wanted},
        }
        if description is not None:
            kwargs["Description"] = description
        try:
            with aws_errors("lambda:UpdateAlias", f"alias {alias} of {function}"):
                response = self._retry(lambda: self._client.update_alias(**kwargs))
        except ConflictError:
            now = self.get_alias(function, alias)
            same = now.function_version == version and dict(now.weights) == wanted
            if not same or (description is not None and now.description != description):
                raise
            return now
        return AliasState.from_response(response)

    def delete_version(self, function: str, version: str) -> None:
        """DeleteFunction of one published version: always with a Qualifier, never the function
        (nor `$LATEST`, which deleting would take the function with it). A version an alias
        routes to raises `VersionInUse`; one already gone, `NotFoundError`."""
        if not version.isdigit():
            raise ValueError(f"not a published version: {version!r}")
        resource = f"{function}:{version}"
        try:
            with aws_errors("lambda:DeleteFunction", resource, "it may be deleted already"):
                self._retry(
                    lambda: self._client.delete_function(FunctionName=function, Qualifier=version)
                )
        except ConflictError as exc:
            raise VersionInUse(exc.message, hint="an alias points to it") from exc

    # waiting (twophase.aws.lambda_waits)

    def wait_updated(self, function: str) -> FunctionState:
        """Poll `$LATEST` until LastUpdateStatus leaves InProgress; Failed raises its reason."""
        return self._waits.updated(function)

    def wait_active(self, function: str, qualifier: str | None = None) -> FunctionState:
        """Poll until the function (or a version) is `Active`; `Failed` raises its reason."""
        return self._waits.active(function, qualifier)

    def _write(
        self, action: str, function: str, call: Callable[[], FunctionConfigurationResponseTypeDef]
    ) -> FunctionState:
        with aws_errors(action, function):
            response = self._retry(call)
        return FunctionState.from_response(response)

    def _retry(self, call: Callable[[], T]) -> T:
        return retry_in_progress(call, attempts=self._conflict_attempts, sleep=self._sleep)
