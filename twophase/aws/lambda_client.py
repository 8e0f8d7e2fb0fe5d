"""The thin Lambda client: typed reads, compare-and-set writes, waiters, narrow retries.

This is the only place that speaks Lambda's CamelCase. Every write carries its precondition
(`RevisionId`, `CodeSha256`); a failed precondition becomes `ConflictError` and is never retried.
Only "an update is in progress" and waiter timeouts are retried, bounded, with an injectable sleep.
Errors go through the shared `twophase.aws.errors` mapping, with phase two's hints.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, TypeVar

from twophase.aws.errors import NOT_FOUND_HINT, aws_call, translate
from twophase.errors import AwsError, TwophaseError

T = TypeVar("T")

LATEST = "$LATEST"
DENIED_HINT = "ask for the function's deployer policy (`twophase policy FUNCTION`)"


class WaitTimeout(AwsError):
    """The function stayed `InProgress` past the waiter's budget (retried, bounded)."""


# --- error translation: the shared mapping, with phase two's hints ------------------------------


def translate_error(
    exc: Exception, *, action: str, resource: str, not_found_hint: str = NOT_FOUND_HINT
) -> TwophaseError:
    """One of our errors for a botocore exception raised by `action` on `resource`."""
    return translate(exc, action, resource, not_found_hint=not_found_hint, denied_hint=DENIED_HINT)


@contextmanager
def aws_errors(action: str, resource: str, not_found_hint: str = NOT_FOUND_HINT) -> Iterator[None]:
    """Translate botocore exceptions raised inside the block."""
    with aws_call(action, resource, not_found_hint=not_found_hint, denied_hint=DENIED_HINT):
        yield


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

    @classmethod
    def from_response(cls, r: Mapping[str, Any]) -> FunctionState:
        return cls(
            name=str(r.get("FunctionName", "")),
            version=str(r.get("Version", LATEST)),
            code_sha256=str(r.get("CodeSha256", "")),
            revision_id=str(r.get("RevisionId", "")),
            last_update_status=str(r.get("LastUpdateStatus") or "Successful"),
            last_update_reason=str(r.get("LastUpdateStatusReason") or ""),
            description=str(r.get("Description") or ""),
            last_modified=str(r.get("LastModified") or ""),
        )


@dataclass(frozen=True)
class AliasState:
    name: str
    function_version: str
    revision_id: str
    description: str = ""
    weights: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def from_response(cls, r: Mapping[str, Any]) -> AliasState:
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
        client: Any,
        *,
        sleep: Callable[[float], None] = time.sleep,
        conflict_attempts: int = 6,
        wait_polls: int = 60,
        wait_attempts: int = 3,
        poll_seconds: float = 1.0,
    ) -> None:
        self._client = client
        self._sleep = sleep
        self._conflict_attempts = conflict_attempts
        self._wait_polls = wait_polls
        self._wait_attempts = wait_attempts
        self._poll_seconds = poll_seconds

    def connect(self) -> None:
        """Set the underlying client up now rather than at the first call (it may be lazy)."""
        _ = self._client.meta

    # reads

    def get_configuration(self, function: str, qualifier: str | None = None) -> FunctionState:
        """GetFunctionConfiguration of `$LATEST` (no qualifier), a version, or an alias."""
        kwargs: dict[str, Any] = {"FunctionName": function}
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

    def update_code(self, function: str, source: CodeSource, revision_id: str) -> FunctionState:
        """UpdateFunctionCode guarded by the function's `RevisionId`; waits until it settles."""
        kwargs: dict[str, Any] = {"FunctionName": function, "RevisionId": revision_id}
        if source.zip_bytes is not None:
            kwargs["ZipFile"] = source.zip_bytes
        elif source.image_uri is not None:
            kwargs["ImageUri"] = source.image_uri
        else:
            kwargs["S3Bucket"] = source.s3_bucket
            kwargs["S3Key"] = source.s3_key
        state = self._write("lambda:UpdateFunctionCode", function, "update_function_code", kwargs)
        if state.last_update_status == "Successful":
            return state
        return self.wait_updated(function)

    def publish_version(
        self, function: str, *, code_sha256: str, revision_id: str, description: str
    ) -> FunctionState:
        """PublishVersion of exactly `code_sha256`, from the `$LATEST` read as `revision_id`."""
        kwargs = {
            "FunctionName": function,
            "CodeSha256": code_sha256,
            "RevisionId": revision_id,
            "Description": description,
        }
        return self._write("lambda:PublishVersion", function, "publish_version", kwargs)

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
        """UpdateAlias from the state read as `revision_id`; `weights` replaces the routing."""
        kwargs: dict[str, Any] = {
            "FunctionName": function,
            "Name": alias,
            "FunctionVersion": version,
            "RevisionId": revision_id,
            "RoutingConfig": {"AdditionalVersionWeights": dict(weights or {})},
        }
        if description is not None:
            kwargs["Description"] = description
        with aws_errors("lambda:UpdateAlias", f"alias {alias} of {function}"):
            response = self._retry_in_progress(lambda: self._client.update_alias(**kwargs))
        return AliasState.from_response(response)

    # waiting

    def wait_updated(self, function: str) -> FunctionState:
        """Poll `$LATEST` until LastUpdateStatus leaves InProgress; Failed raises its reason."""
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt

        retrying = Retrying(
            retry=retry_if_exception_type(WaitTimeout),
            stop=stop_after_attempt(self._wait_attempts),
            sleep=self._sleep,
            reraise=True,
        )
        return retrying(self._poll_until_settled, function)

    def _poll_until_settled(self, function: str) -> FunctionState:
        for poll in range(self._wait_polls):
            state = self.get_configuration(function)
            if state.last_update_status == "Successful":
                return state
            if state.last_update_status == "Failed":
                reason = state.last_update_reason or "no reason given"
                raise AwsError(
                    f"the code update of {function} failed: {' '.join(reason.split())}",
                    hint="fix the artifact and push again; the previous release keeps serving",
                )
            if poll + 1 < self._wait_polls:
                self._sleep(self._poll_seconds)
        raise WaitTimeout(
            f"{function} is still updating after {self._wait_polls} checks",
            hint="run the command again in a minute",
        )

    def _write(
        self, action: str, function: str, method: str, kwargs: Mapping[str, Any]
    ) -> FunctionState:
        call = getattr(self._client, method)
        with aws_errors(action, function):
            response = self._retry_in_progress(lambda: call(**kwargs))
        return FunctionState.from_response(response)

    def _retry_in_progress(self, call: Callable[[], T]) -> T:
        """Retry `call` while Lambda answers "an update is in progress"; the rest propagates."""
        from botocore.exceptions import ClientError

        def attempt() -> T:
            try:
                return call()
            except ClientError as exc:
                err = exc.response.get("Error", {})
                message = str(err.get("Message", "")).lower()
                if err.get("Code") == "ResourceConflictException" and "in progress" in message:
                    raise _InProgress(exc) from exc
                raise

        try:
            return attempt()  # the usual case, without loading the retry machinery
        except _InProgress as exc:
            failures = [exc]
        from tenacity import Retrying, retry_if_exception_type, stop_after_attempt, wait_exponential

        def replayed_then_retried() -> T:
            if failures:  # tenacity's first attempt is the one that already failed
                raise failures.pop()
            return attempt()

        retrying = Retrying(
            retry=retry_if_exception_type(_InProgress),
            stop=stop_after_attempt(self._conflict_attempts),
            wait=wait_exponential(multiplier=0.5, max=8),
            sleep=self._sleep,
            reraise=True,
        )
        try:
            return retrying(replayed_then_retried)
        except _InProgress as exc:
            raise exc.cause from exc


class _InProgress(Exception):
    def __init__(self, cause: Exception) -> None:
        super().__init__(str(cause))
        self.cause = cause
