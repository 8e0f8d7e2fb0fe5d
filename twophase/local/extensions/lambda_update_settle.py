"""An update can stay `InProgress` for a set time, as on AWS, and refuses the next update meanwhile.

AWS behaviour (Lambda developer guide, "Lambda function states", LastUpdateStatus; Lambda API
reference, UpdateFunctionCode and UpdateFunctionConfiguration): an update answers
`LastUpdateStatus: InProgress`, and `$LATEST` reads back `InProgress` until the update settles
(usually within a second or a few), then `Successful`. Until then, another UpdateFunctionCode,
UpdateFunctionConfiguration or PublishVersion of the function fails with
`ResourceConflictException` (HTTP 409) "The operation cannot be performed at this time. An update
is in progress for resource: ARN". Published versions are not affected.

The embedded AWS applies updates at once (`lambda_last_update_status`), so by default an update
is `Successful` immediately. A settle time makes it behave as above, for that many seconds after
each update through the Lambda API (CloudFormation's own updates are not held):

- for a background server: `python -m twophase.local serve --update-settle 1.5`, or the
  environment variable TWOPHASE_LOCAL_UPDATE_SETTLE=1.5 where the server starts
  (`twophase local start` passes its environment on);
- in a test's process: `settle_updates(1.5)` (0 turns it off). The holds live on moto's Lambda
  backend, so a reset forgets them.

Invoke meanwhile runs the new code (AWS runs the previous one until the update settles).
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

_MARK = "_twophase_update_settle"
_REGISTRY = "_twophase_updates_in_progress"
SETTLE_ENV = "TWOPHASE_LOCAL_UPDATE_SETTLE"
_lock = threading.Lock()
_settle_seconds = 0.0


def settle_updates(seconds: float) -> None:
    """Hold every later update `InProgress` for `seconds` (0: updates finish at once)."""
    global _settle_seconds
    if seconds < 0:
        raise ValueError(f"a settle time cannot be negative: {seconds}")
    _settle_seconds = float(seconds)


def settle_seconds() -> float:
    return _settle_seconds


def in_progress(fn: Any) -> bool:
    """Whether `fn` is `$LATEST` of a function whose last update has not settled yet."""
    if str(fn.version) != "$LATEST":
        return False
    with _lock:
        holds = _holds(_backend(fn.account_id, fn.region))
        until = holds.get(fn.function_name)
        if until is not None and until <= time.monotonic():
            del holds[fn.function_name]
            return False
        return until is not None


def _backend(account_id: str, region: str) -> Any:
    from moto.awslambda.models import lambda_backends

    return lambda_backends[account_id][region]


def _holds(backend: Any) -> dict[str, float]:
    holds: dict[str, float] = backend.__dict__.setdefault(_REGISTRY, {})
    return holds


def _conflict(fn: Any) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError(
        "ResourceConflictException",
        "The operation cannot be performed at this time. "
        f"An update is in progress for resource: {fn.function_arn}",
    )
    error.code = 409
    return error


def _dry_run(response: Any) -> bool:
    try:
        return bool(json.loads(response.body or "{}").get("DryRun"))
    except (ValueError, AttributeError):
        return False


def _holding(original: Callable[[Any], Any], holds_after: bool) -> Callable[[Any], Any]:
    """UpdateFunctionCode, UpdateFunctionConfiguration (`holds_after`), PublishVersion."""

    @functools.wraps(original)
    def handler(self: Any) -> Any:
        latest = self.backend.get_function(unquote(self.path.rsplit("/", 2)[-2]))
        if in_progress(latest):
            raise _conflict(latest)
        held = holds_after and _settle_seconds > 0 and not _dry_run(self)
        if held:  # before the call, so that its own answer says InProgress
            with _lock:
                _holds(self.backend)[latest.function_name] = time.monotonic() + _settle_seconds
        try:
            return original(self)
        except Exception:
            if held:
                with _lock:
                    _holds(self.backend).pop(latest.function_name, None)
            raise

    return handler


def install() -> None:
    import os

    from moto.awslambda.responses import LambdaResponse

    if getattr(LambdaResponse, _MARK, False):
        return
    settle_updates(float(os.environ.get(SETTLE_ENV) or 0))
    for name, holds_after in (
        ("update_function_code", True),
        ("update_function_configuration", True),
        ("publish_version", False),
    ):
        setattr(LambdaResponse, name, _holding(getattr(LambdaResponse, name), holds_after))
    setattr(LambdaResponse, _MARK, True)
