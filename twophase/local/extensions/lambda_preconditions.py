"""Lambda refuses a mutation whose RevisionId or CodeSha256 precondition no longer holds.

AWS behaviour (Lambda API reference, UpdateFunctionCode / UpdateFunctionConfiguration /
PublishVersion / UpdateAlias, parameter `RevisionId`: "Update the function [alias] only if the
revision ID matches the ID that's specified"; errors, `PreconditionFailedException`: "The RevisionId
provided does not match the latest RevisionId for the Lambda function or alias"): a stale RevisionId
fails with `PreconditionFailedException` (HTTP 412) and changes nothing.

PublishVersion parameter `CodeSha256` ("Only publish a version if the hash value matches the value
that's specified") is not a RevisionId precondition: a CodeSha256 that is not `$LATEST`'s fails with
`InvalidParameterValueException` (HTTP 400), "CodeSHA256 (given) is different from current
CodeSHA256 in $LATEST (current). Please try again with the CodeSHA256 in $LATEST.", and publishes
nothing. The check and the mutation are atomic: of concurrent writers holding the same RevisionId,
exactly one wins.

moto 5.2.5 ignores both parameters. Its server is threaded, so the check and the mutation run under
one lock per Lambda backend (account and region).
"""

from __future__ import annotations

import functools
import json
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from twophase.local.extensions.lambda_revision_id import revision_of

_MARK = "_twophase_preconditions"
_LOCK_ATTRIBUTE = "_twophase_lock"
_guard = threading.Lock()

REVISION_MESSAGE = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)


def code_sha_message(given: str, current: str) -> str:
    return (
        f"CodeSHA256 ({given}) is different from current CodeSHA256 in $LATEST ({current}). "
        "Please try again with the CodeSHA256 in $LATEST."
    )


def backend_lock(backend: Any) -> threading.RLock:
    """The lock that serialises Lambda mutations of one backend (account and region)."""
    lock = backend.__dict__.get(_LOCK_ATTRIBUTE)
    if lock is None:
        with _guard:
            lock = backend.__dict__.setdefault(_LOCK_ATTRIBUTE, threading.RLock())
    return lock


def _precondition_failed(message: str) -> Exception:
    from moto.awslambda.exceptions import PreconditionFailedException

    return PreconditionFailedException(message)


def _invalid_parameter(message: str) -> Exception:
    from moto.awslambda.exceptions import InvalidParameterValueException

    return InvalidParameterValueException(message)


def _body(response: Any) -> dict[str, Any]:
    try:
        parsed = json.loads(response.body or "{}")
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _require_revision(model: Any, expected: str | None) -> None:
    if expected and expected != revision_of(model):
        raise _precondition_failed(REVISION_MESSAGE)


def _check_function_revision(response: Any, name: str) -> None:
    _require_revision(response.backend.get_function(name), _body(response).get("RevisionId"))


def _check_publish(response: Any, name: str) -> None:
    latest = response.backend.get_function(name)
    body = _body(response)
    _require_revision(latest, body.get("RevisionId"))
    given = body.get("CodeSha256")
    if given and given != latest.code_sha_256:
        raise _invalid_parameter(code_sha_message(given, latest.code_sha_256))


def _check_alias(response: Any, name: str) -> None:
    alias_name = unquote(response.path.rsplit("/", 2)[-1])
    alias = response.backend.get_alias(name=alias_name, function_name=name)
    _require_revision(alias, _body(response).get("RevisionId"))


def _guarded(
    original: Callable[[Any], Any],
    function_name: Callable[[Any], str],
    check: Callable[[Any, str], None],
) -> Callable[[Any], Any]:
    @functools.wraps(original)
    def handler(self: Any) -> Any:
        with backend_lock(self.backend):
            check(self, function_name(self))
            return original(self)

    return handler


def _name_before_last(response: Any) -> str:
    """`/2015-03-31/functions/NAME/code` and friends."""
    return unquote(response.path.rsplit("/", 2)[-2])


def _name_in_alias_path(response: Any) -> str:
    """`/2015-03-31/functions/NAME/aliases/ALIAS`."""
    return unquote(response.path.rsplit("/", 3)[-3])


def install() -> None:
    from moto.awslambda.responses import LambdaResponse

    if getattr(LambdaResponse, _MARK, False):
        return
    guards = {
        "update_function_code": (_name_before_last, _check_function_revision),
        "update_function_configuration": (_name_before_last, _check_function_revision),
        "publish_version": (_name_before_last, _check_publish),
        "update_alias": (_name_in_alias_path, _check_alias),
    }
    for handler, (function_name, check) in guards.items():
        setattr(
            LambdaResponse,
            handler,
            _guarded(getattr(LambdaResponse, handler), function_name, check),
        )
    setattr(LambdaResponse, _MARK, True)
