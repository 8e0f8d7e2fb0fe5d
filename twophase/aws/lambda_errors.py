"""Lambda's errors: the shared translation with phase two's hints, and Lambda's "try again later".

Only "an update is in progress" and "the function is still Pending" are retried, bounded, with an
injectable sleep; a stale `CodeSha256` is a conflict; everything else propagates to be translated
by the shared `twophase.aws.errors` mapping.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

from twophase.aws.errors import DEPLOYER_DENIED_HINT, NOT_FOUND_HINT, aws_call, translate
from twophase.errors import ConflictError, TwophaseError

if TYPE_CHECKING:
    from botocore.exceptions import ClientError

T = TypeVar("T")


def translate_error(
    exc: Exception, *, action: str, resource: str, not_found_hint: str = NOT_FOUND_HINT
) -> TwophaseError:
    """One of our errors for a botocore exception raised by `action` on `resource`."""
    return translate(
        exc, action, resource, not_found_hint=not_found_hint, denied_hint=DEPLOYER_DENIED_HINT
    )


@contextmanager
def aws_errors(action: str, resource: str, not_found_hint: str = NOT_FOUND_HINT) -> Iterator[None]:
    """Translate botocore exceptions raised inside the block."""
    with aws_call(
        action, resource, not_found_hint=not_found_hint, denied_hint=DEPLOYER_DENIED_HINT
    ):
        yield


def retry_in_progress(call: Callable[[], T], *, attempts: int, sleep: Callable[[float], None]) -> T:
    """Retry `call` while Lambda answers "an update is in progress" or "the function is
    Pending", at most `attempts` times; a stale `CodeSha256` becomes a conflict; the rest
    propagates."""
    from botocore.exceptions import ClientError

    def attempt() -> T:
        try:
            return call()
        except ClientError as exc:
            if _busy(exc):
                raise _InProgress(exc) from exc
            if _stale_code_sha(exc):
                message = exc.response.get("Error", {}).get("Message", "")
                raise ConflictError(
                    f"$LATEST changed under you: {' '.join(str(message).split())}",
                    hint="read the new state with `twophase releases FUNCTION` and push again",
                ) from exc
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
        stop=stop_after_attempt(attempts),
        wait=wait_exponential(multiplier=0.5, max=8),
        sleep=sleep,
        reraise=True,
    )
    try:
        return retrying(replayed_then_retried)
    except _InProgress as exc:
        raise exc.cause from exc


def _error(exc: ClientError) -> tuple[str, str]:
    err = exc.response.get("Error", {})
    return str(err.get("Code", "")), " ".join(str(err.get("Message", "")).split()).lower()


# "… currently in the following state: Pending" (a function), "… state: 'Pending'" (a version).
_PENDING = re.compile(r"following state: '?pending")


def _busy(exc: ClientError) -> bool:
    """Lambda's "try again later": an update in progress, or a function still Pending."""
    code, message = _error(exc)
    if code != "ResourceConflictException":
        return False
    return "in progress" in message or _PENDING.search(message) is not None


def _stale_code_sha(exc: ClientError) -> bool:
    """PublishVersion's answer to a `CodeSha256` that is not `$LATEST`'s (AWS says it only in the
    message: "CodeSHA256 (…) is different from current CodeSHA256 in $LATEST (…)")."""
    code, message = _error(exc)
    return code == "InvalidParameterValueException" and "codesha256" in message


class _InProgress(Exception):
    def __init__(self, cause: ClientError) -> None:
        super().__init__(str(cause))
        self.cause = cause
