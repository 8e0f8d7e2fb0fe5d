"""Lambda functions and versions can be Inactive or Pending, and refuse then what AWS refuses.

AWS behaviour (Lambda developer guide, "Lambda function states"; AWS Compute Blog, "Tracking the
state of Lambda functions"; Lambda API reference, errors of Invoke):

- `Inactive`: "A function becomes inactive when it has been idle long enough for Lambda to reclaim
  the external resources that were configured for it" (`StateReasonCode: Idle`); its
  `LastUpdateStatus` stays `Successful`. "When you try to invoke a function that is inactive, the
  invocation fails and Lambda sets the function to pending state until the function resources are
  recreated" (`StateReasonCode: Restoring`), then `Active`. The failed Invoke is
  `CodeArtifactUserPendingException` (HTTP 409: "Wait for the function's State to become Active and
  try the request again"). "Functions can only be updated if they are in the Active or Inactive
  state" (blog): UpdateFunctionCode, UpdateFunctionConfiguration and PublishVersion are accepted;
  an update provisions the function again, so `$LATEST` is `Active` once it has finished.
- `Pending`: "Lambda does not invoke a function during pending state. Any invocations or other API
  actions that operate on the function will fail": Invoke, UpdateFunctionCode,
  UpdateFunctionConfiguration and PublishVersion fail with `ResourceConflictException` (HTTP 409)
  "The operation cannot be performed at this time. The function is currently in the following
  state: Pending". A newly published version may start `Pending`; pointing an alias at it
  (CreateAlias, UpdateAlias, routing weights included) fails with `ResourceConflictException` too,
  in the quoted form Lambda uses for a version's state ("… is currently in the following state:
  'Pending'"; seen in clients' retry lists, not in the API reference).

The StateReason texts are the embedded AWS's own; the codes are Lambda's (`StateReasonCode`).

moto 5.2.5 has every function and version `Active` forever. The embedded AWS keeps that default;
a test (the server runs in its process) marks a function or a version with `make_inactive` or
`pending_for`. The marks live on moto's Lambda backend, so a reset forgets them.
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from twophase.local.extensions._cfn_common import split_function

_MARK = "_twophase_function_states"
_REGISTRY = "_twophase_function_states"
_lock = threading.Lock()

PENDING_MESSAGE = (
    "The operation cannot be performed at this time. "
    "The function is currently in the following state: Pending"
)
INACTIVE_INVOKE_MESSAGE = (
    "Lambda is initializing your function. It will be ready to invoke shortly."
)
_REASONS = {
    "Idle": "The function is idle: Lambda has reclaimed its resources.",
    "Restoring": "The function is being restored.",
    "Creating": "The function is being created.",
}


@dataclass
class _Mark:
    state: str  # "Inactive" or "Pending"
    reason_code: str
    reads: int = 0  # Pending: GetFunction(Configuration) reads left before it is Active
    wake_reads: int = 1  # Inactive: how many reads the Pending that an Invoke starts lasts


# -- the test-facing control API ---------------------------------------------------------------


def make_inactive(function_arn: str, *, wake_reads: int = 1) -> None:
    """Mark `$LATEST` (unqualified ARN) or one version (`…:function:NAME:N`) Inactive, as Lambda
    does after weeks without an invocation. An Invoke then fails once and leaves it Pending for
    the next `wake_reads` GetFunction/GetFunctionConfiguration reads."""
    _put(function_arn, _Mark("Inactive", "Idle", wake_reads=wake_reads))


def pending_for(function_arn: str, reads: int, *, reason_code: str = "Creating") -> None:
    """`$LATEST` or a version (it may be one not yet published: it will start Pending) is Pending
    for the next `reads` GetFunction/GetFunctionConfiguration reads, then Active."""
    _put(function_arn, _Mark("Pending", reason_code, reads=reads) if reads > 0 else None)


def state_fields(fn: Any) -> dict[str, str]:
    """State, StateReason and StateReasonCode of a marked function or version (else nothing)."""
    mark = _marks_of(fn).get(_key(fn))
    if mark is None:
        return {}
    reason = _REASONS.get(mark.reason_code, mark.reason_code)
    return {"State": mark.state, "StateReason": reason, "StateReasonCode": mark.reason_code}


def require_invocable(fn: Any) -> None:
    """Refuse to invoke a Pending or Inactive function or version; an Inactive one starts waking."""
    with _lock:
        marks = _marks_of(fn)
        mark = marks.get(_key(fn))
        if mark is None:
            return
        if mark.state == "Pending":
            raise _conflict(PENDING_MESSAGE)
        if mark.wake_reads > 0:
            marks[_key(fn)] = _Mark("Pending", "Restoring", reads=mark.wake_reads)
        else:
            del marks[_key(fn)]
    raise _error("CodeArtifactUserPendingException", INACTIVE_INVOKE_MESSAGE, 409)


# -- the registry ------------------------------------------------------------------------------


def _key(fn: Any) -> tuple[str, str]:
    return str(fn.function_name), str(fn.version)


def _marks_of(fn: Any) -> dict[tuple[str, str], _Mark]:
    from moto.awslambda.models import lambda_backends

    return _marks(lambda_backends[fn.account_id][fn.region])


def _marks(backend: Any) -> dict[tuple[str, str], _Mark]:
    marks: dict[tuple[str, str], _Mark] = backend.__dict__.setdefault(_REGISTRY, {})
    return marks


def _put(function_arn: str, mark: _Mark | None) -> None:
    from moto.awslambda.models import lambda_backends

    parts = function_arn.split(":")
    if len(parts) < 7 or parts[5] != "function":
        raise ValueError(f"not a Lambda function ARN: {function_arn}")
    region, account, name = parts[3], parts[4], parts[6]
    key = (name, parts[7] if len(parts) > 7 else "$LATEST")
    with _lock:
        marks = _marks(lambda_backends[account][region])
        if mark is None:
            marks.pop(key, None)
        else:
            marks[key] = mark


def _count_read(fn: Any) -> None:
    with _lock:
        marks = _marks_of(fn)
        mark = marks.get(_key(fn))
        if mark is not None and mark.state == "Pending":
            mark.reads -= 1
            if mark.reads <= 0:
                del marks[_key(fn)]


def _take_inactive(fn: Any) -> _Mark | None:
    """Drop an Inactive mark (an update provisions the function again); the mark, to restore it
    should the update fail."""
    with _lock:
        marks = _marks_of(fn)
        mark = marks.get(_key(fn))
        if mark is None or mark.state != "Inactive":
            return None
        return marks.pop(_key(fn))


def _restore(fn: Any, mark: _Mark) -> None:
    with _lock:
        _marks_of(fn).setdefault(_key(fn), mark)


def _forget(backend: Any, name: str) -> None:
    with _lock:
        marks = _marks(backend)
        for key in [k for k in marks if k[0] == name]:
            del marks[key]


# -- errors ------------------------------------------------------------------------------------


def _error(code: str, message: str, status: int) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError(code, message)
    error.code = status
    return error


def _conflict(message: str) -> Exception:
    return _error("ResourceConflictException", message, 409)


def _require_not_pending(fn: Any) -> None:
    mark = _marks_of(fn).get(_key(fn))
    if mark is not None and mark.state == "Pending":
        raise _conflict(PENDING_MESSAGE)


# -- the handlers ------------------------------------------------------------------------------


def _body(response: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(response.body or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _reading(original: Callable[[Any], Any], depth: int) -> Callable[[Any], Any]:
    """GetFunction (`…/functions/NAME`, depth 1) and GetFunctionConfiguration (depth 2)."""

    @functools.wraps(original)
    def handler(self: Any) -> Any:
        result = original(self)
        name = unquote(self.path.rsplit("/", depth)[-depth])
        _count_read(self.backend.get_function(name, self._get_param("Qualifier", None)))
        return result

    return handler


def _updating(original: Callable[[Any], Any], reactivates: bool) -> Callable[[Any], Any]:
    """UpdateFunctionCode, UpdateFunctionConfiguration, PublishVersion (`…/functions/NAME/x`)."""

    @functools.wraps(original)
    def handler(self: Any) -> Any:
        latest = self.backend.get_function(unquote(self.path.rsplit("/", 2)[-2]))
        _require_not_pending(latest)
        woken = _take_inactive(latest) if reactivates and not _body(self).get("DryRun") else None
        try:
            return original(self)
        except Exception:
            if woken is not None:
                _restore(latest, woken)
            raise

    return handler


def _aliasing(original: Callable[[Any], Any], depth: int) -> Callable[[Any], Any]:
    """CreateAlias (`…/functions/NAME/aliases`, depth 2) and UpdateAlias (depth 3)."""

    @functools.wraps(original)
    def handler(self: Any) -> Any:
        name = unquote(self.path.rsplit("/", depth)[-depth])
        body = _body(self)
        weights = (body.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {}
        for version in [body.get("FunctionVersion"), *weights]:
            if version:
                _require_version_ready(self.backend.get_function(name, str(version)))
        return original(self)

    return handler


def _require_version_ready(fn: Any) -> None:
    mark = _marks_of(fn).get(_key(fn))
    if mark is not None and mark.state == "Pending":
        raise _conflict(
            "The operation cannot be performed at this time. The function version "
            f"{fn.version} is currently in the following state: 'Pending'"
        )


def _deleting(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(original)
    def handler(self: Any) -> Any:
        result = original(self)
        name, qualifier = split_function(unquote(self.path.rsplit("/", 1)[-1]))
        if (qualifier or self._get_param("Qualifier", None)) is None:
            _forget(self.backend, name)
        return result

    return handler


def install() -> None:
    from moto.awslambda.responses import LambdaResponse

    if getattr(LambdaResponse, _MARK, False):
        return
    wrappers: dict[str, Callable[[Callable[[Any], Any]], Callable[[Any], Any]]] = {
        "get_function": lambda h: _reading(h, 1),
        "get_function_configuration": lambda h: _reading(h, 2),
        "update_function_code": lambda h: _updating(h, reactivates=True),
        "update_function_configuration": lambda h: _updating(h, reactivates=True),
        "publish_version": lambda h: _updating(h, reactivates=False),
        "create_alias": lambda h: _aliasing(h, 2),
        "update_alias": lambda h: _aliasing(h, 3),
        "delete_function": _deleting,
    }
    for name, wrap in wrappers.items():
        setattr(LambdaResponse, name, wrap(getattr(LambdaResponse, name)))
    setattr(LambdaResponse, _MARK, True)
