"""`twophase invoke`: call an alias with the event its trigger would send, and say what happened.

`invoke` picks the event (the function's trigger unless told otherwise), calls the alias
synchronously and returns an `InvokeOutcome`: the answer decoded, the log's tail, and, when the
code raised, the one-line error the command exits with.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from twophase.core import PhaseTwo
from twophase.errors import TwophaseError, UsageError
from twophase.events import Where, event_for


@dataclass(frozen=True)
class InvokeOptions:
    function: str
    alias: str | None = None  # default: the last alias, which triggers call
    kind: str | None = None  # http, queue, schedule, direct; default: the function's trigger
    route: str | None = None  # default: the first route
    body: str | None = None
    payload: str | None = None  # the whole event, as JSON text


@dataclass(frozen=True)
class InvokeOutcome:
    function: str
    qualifier: str
    executed_version: str
    function_error: str | None
    answer: Any  # the JSON the function answered (decoded), or its text
    log_tail: str
    error: TwophaseError | None = None  # set when the code raised

    def summary(self) -> str:
        return f"{self.function} ({self.qualifier}, v{self.executed_version}) answered"


def invoke(ctx: PhaseTwo, options: InvokeOptions, region: str) -> InvokeOutcome:
    """Invoke the alias; bad input raises UsageError before any call."""
    ctx.check_function(options.function)
    spec = ctx.config.functions[options.function]
    kind = options.kind or spec.trigger or "direct"
    if options.route is not None and kind != "http":
        raise UsageError("--route goes with an HTTP event", hint="add --event http")
    qualifier = options.alias or ctx.aliases[-1]
    if qualifier not in ctx.aliases and not qualifier.isdigit() and qualifier != "$LATEST":
        raise UsageError(
            f"unknown alias {qualifier!r}",
            hint=f"use one of {', '.join(ctx.aliases)}, a version number or $LATEST",
        )
    physical = ctx.physical_name(options.function)
    if options.payload is not None:
        event = _json(options.payload, "the payload")
    else:
        if kind == "direct" and options.body is not None:
            _json(options.body, "--body")
        account = ctx.identity.arn().split(":")[4]
        route = options.route or (spec.routes[0] if spec.routes else None)
        where = Where(account=account, region=region, physical=physical)
        event = event_for(kind, where, route=route, body=options.body)
    result = ctx.lambda_.invoke(physical, qualifier, json.dumps(event).encode())
    answer = _decoded(result.payload)
    outcome = InvokeOutcome(
        function=options.function,
        qualifier=qualifier,
        executed_version=result.executed_version,
        function_error=result.function_error,
        answer=answer,
        log_tail=result.log_tail,
    )
    if not result.function_error:
        return outcome
    message = answer.get("errorMessage") if isinstance(answer, dict) else None
    error_type = answer.get("errorType") if isinstance(answer, dict) else None
    error = TwophaseError(
        f"{options.function} ({qualifier}, v{result.executed_version}) raised "
        f"{error_type or 'an error'}: {message or result.function_error}",
        hint="rerun with -v to see the log's tail",
    )
    return InvokeOutcome(**{**outcome.__dict__, "error": error})


def _json(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except ValueError as exc:
        raise UsageError(f"{what} is not JSON: {exc}", hint="pass a JSON document") from None


def _decoded(payload: bytes) -> Any:
    text = payload.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
