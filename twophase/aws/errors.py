"""The one translation of botocore's ClientError and BotoCoreError into twophase's errors.

Every thin client wraps its calls in `aws_call(action, resource)`; the error it raises names the
action and the resource in one line and says how to fix it. The AWS error code stays reachable
through `error_code(exc)` for callers that treat a code as an answer (a missing stack, a 404).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

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
BAD_CREDENTIALS = {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId"}
DENIED_HINT = "ask your platform team for a policy that grants it"
NOT_FOUND_HINT = "run `twophase infra up -e ENV` first"


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
    """Turn a botocore exception from `action` on `resource` into one of ours."""
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
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
    """Run boto3 calls; botocore errors become twophase errors."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate(
            exc, action, resource, not_found_hint=not_found_hint, denied_hint=denied_hint
        ) from exc


def error_code(exc: BaseException) -> str:
    """The AWS error code behind a translated error ('' when none)."""
    from botocore.exceptions import ClientError

    cause = exc if isinstance(exc, ClientError) else exc.__cause__
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code", ""))
    return ""
