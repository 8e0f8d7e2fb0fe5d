"""The one translation of AWS's refusals (botocore's ClientError, a direct read's
ServiceError) and botocore's own errors into twophase's errors.

Every thin client wraps its calls in `aws_call(action, resource)`; the error it raises names the
action and the resource in one line and says how to fix it. The AWS error code stays reachable
through `error_code(exc)` for callers that treat a code as an answer (a missing stack, a 404).
botocore is imported here only once something has imported it: a command whose reads went
direct (`direct.py`) never loads it, and no botocore exception can exist before it is loaded.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from twophase.errors import (
    AccessDeniedError,
    AwsError,
    ConflictError,
    CredentialsError,
    NotFoundError,
    TwophaseError,
    UsageError,
)

ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
NOT_FOUND = {"ResourceNotFoundException", "NoSuchKey", "NoSuchBucket", "NotFound", "404"}
CONFLICT = {"PreconditionFailedException", "ResourceConflictException"}
REJECTED_INPUT = {"InvalidParameterValueException", "RequestTooLargeException"}
# An idle (Inactive) function being restored, or a Pending one: not a conflict, just not yet.
NOT_READY = {"CodeArtifactUserPendingException", "ResourceNotReadyException"}
# Keys AWS does not know, a secret that does not match them, or a session token that expired.
BAD_CREDENTIALS = {
    "ExpiredToken",
    "ExpiredTokenException",
    "InvalidClientTokenId",
    "UnrecognizedClientException",
    "InvalidSignatureException",
    "SignatureDoesNotMatch",
}
DENIED_HINT = "ask your platform team for a policy that grants it"
# Phase two's calls on one function: its owner's deployer policy grants them.
DEPLOYER_DENIED_HINT = "ask for the function's deployer policy (`twophase policy FUNCTION`)"
NOT_FOUND_HINT = "run `twophase infra up -e ENV` first"


class ServiceError(Exception):
    """AWS refused a direct read; `response` is shaped as botocore's `ClientError.response`."""

    def __init__(self, operation: str, status: int, code: str, message: str) -> None:
        super().__init__(
            f"An error occurred ({code}) when calling the {operation} operation: {message}"
        )
        self.operation_name = operation
        self.response: dict[str, Any] = {
            "Error": {"Code": code, "Message": message},
            "ResponseMetadata": {"HTTPStatusCode": status},
        }


class UpdateInProgress(AwsError):
    """Lambda refused a write because the function is still being updated (retried, bounded)."""


def translate(
    exc: Exception,
    action: str,
    resource: str = "",
    *,
    not_found_hint: str = NOT_FOUND_HINT,
    denied_hint: str = DENIED_HINT,
) -> TwophaseError:
    """Turn AWS's refusal, or botocore's error, from `action` on `resource` into one of ours."""
    response = _refusal(exc)
    if response is not None:
        err = response.get("Error", {})
        code = str(err.get("Code", ""))
        message = " ".join(str(err.get("Message", "")).split())
        return _from_code(code, message, action, resource, not_found_hint, denied_hint)
    return _from_botocore(exc, action, resource)


def _from_code(
    code: str, message: str, action: str, resource: str, not_found_hint: str, denied_hint: str
) -> TwophaseError:
    target = resource or "the account"
    if code in ACCESS_DENIED:
        return AccessDeniedError(f"not allowed to call {action} on {target}", hint=denied_hint)
    if code in NOT_FOUND:
        return NotFoundError(f"{target} not found ({action})", hint=not_found_hint)
    if code == "ResourceConflictException" and "in progress" in message.lower():
        return UpdateInProgress(f"{target} is being updated ({action}): {message}")
    if code in NOT_READY or (code == "ResourceConflictException" and "state:" in message):
        return AwsError(
            f"{target} is not ready yet ({action}): {message or code}",
            hint="Lambda is restoring or creating it; run the command again in a few seconds",
        )
    if code in CONFLICT:
        return ConflictError(
            f"{target} changed under you ({action}): {message or code}",
            hint="read the new state with `twophase releases FUNCTION` and run the command again",
        )
    if code in REJECTED_INPUT:
        return UsageError(f"{action} on {target} refused: {message or code}")
    if code in BAD_CREDENTIALS:
        return CredentialsError(f"AWS credentials rejected: {message or code}")
    on = f" on {resource}" if resource else ""
    return AwsError(f"{action}{on} failed: {code}: {message}")


def _from_botocore(exc: Exception, action: str, resource: str) -> TwophaseError:
    from botocore.exceptions import (
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CredentialsError(
            "no AWS credentials found",
            hint="set AWS_PROFILE or `profile:` for the environment, or run `aws configure`",
        )
    if isinstance(exc, NoRegionError):
        return CredentialsError("no AWS region", hint="set `region:` or pass --region")
    if isinstance(exc, EndpointConnectionError):
        return AwsError(f"cannot reach the AWS endpoint for {action}: {exc}")
    on = f" on {resource}" if resource else ""
    return AwsError(f"{action}{on} failed: {exc}")


@contextmanager
def aws_call(
    action: str,
    resource: str = "",
    *,
    not_found_hint: str = NOT_FOUND_HINT,
    denied_hint: str = DENIED_HINT,
) -> Iterator[None]:
    """Run AWS calls; AWS's refusals and botocore's errors become twophase errors."""
    try:
        yield
    except Exception as exc:
        if _refusal(exc) is None and not _botocore_error(exc):
            raise
        raise translate(
            exc, action, resource, not_found_hint=not_found_hint, denied_hint=denied_hint
        ) from exc


def error_code(exc: BaseException) -> str:
    """The AWS error code behind a translated error ('' when none)."""
    response = _refusal(exc)
    if response is None and exc.__cause__ is not None:
        response = _refusal(exc.__cause__)
    return "" if response is None else str(response.get("Error", {}).get("Code", ""))


def _refusal(exc: BaseException) -> dict[str, Any] | None:
    """The `response` of AWS's refusal (a ServiceError or botocore's ClientError), else None."""
    if isinstance(exc, ServiceError):
        return exc.response
    boto = sys.modules.get("botocore.exceptions")
    if boto is not None and isinstance(exc, boto.ClientError):
        response: dict[str, Any] = exc.response
        return response
    return None


def _botocore_error(exc: BaseException) -> bool:
    boto = sys.modules.get("botocore.exceptions")
    return boto is not None and isinstance(exc, boto.BotoCoreError)
