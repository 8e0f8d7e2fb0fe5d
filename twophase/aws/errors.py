"""Translation of botocore's ClientError and BotoCoreError into twophase's errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from twophase.errors import (
    AccessDeniedError,
    AwsError,
    ConflictError,
    CredentialsError,
    NotFoundError,
    TwophaseError,
)

ACCESS_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}
NOT_FOUND = {"ResourceNotFoundException", "NoSuchKey", "NoSuchBucket", "NotFound", "404"}
CONFLICT = {"PreconditionFailedException", "ResourceConflictException", "412"}


def translate(exc: Exception, action: str, resource: str = "") -> TwophaseError:
    """Turn a botocore exception from `action` on `resource` into one of ours."""
    from botocore.exceptions import (
        BotoCoreError,
        ClientError,
        EndpointConnectionError,
        NoCredentialsError,
        NoRegionError,
        PartialCredentialsError,
    )

    target = f" on {resource}" if resource else ""
    if isinstance(exc, NoCredentialsError | PartialCredentialsError):
        return CredentialsError(
            "no AWS credentials found",
            hint="set AWS_PROFILE or `profile:` for the environment, or run `aws configure`",
        )
    if isinstance(exc, NoRegionError):
        return CredentialsError("no AWS region", hint="set `region:` or pass --region")
    if isinstance(exc, EndpointConnectionError):
        return AwsError(f"cannot reach the AWS endpoint for {action}: {exc}")
    if isinstance(exc, ClientError):
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        message = str(err.get("Message", "")).strip()
        if code in ACCESS_DENIED:
            return AccessDeniedError(
                f"access denied: {action}{target}",
                hint="ask your platform team for a policy that grants it",
            )
        if code in NOT_FOUND:
            return NotFoundError(f"{action}{target}: not found ({message or code})")
        if code in CONFLICT:
            return ConflictError(f"{action}{target}: {message or code}")
        if code in {"ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId"}:
            return CredentialsError(f"AWS credentials rejected: {message or code}")
        return AwsError(f"{action}{target} failed: {code}: {message}")
    if isinstance(exc, BotoCoreError):
        return AwsError(f"{action}{target} failed: {exc}")
    return AwsError(f"{action}{target} failed: {exc}")


@contextmanager
def aws_call(action: str, resource: str = "") -> Iterator[None]:
    """Run a boto3 call; botocore errors become twophase errors."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except (ClientError, BotoCoreError) as exc:
        raise translate(exc, action, resource) from exc


def error_code(exc: BaseException) -> str:
    """The AWS error code behind a translated error ('' when none)."""
    from botocore.exceptions import ClientError

    cause = exc.__cause__ if not isinstance(exc, ClientError) else exc
    if isinstance(cause, ClientError):
        return str(cause.response.get("Error", {}).get("Code", ""))
    return ""


Predicate = Callable[[BaseException], bool]
