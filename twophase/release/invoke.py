"""`twophase invoke`: call an alias with the event its trigger would send, and say what happened.

`invoke` picks the event (the function's trigger unless told otherwise), calls the alias
synchronously and returns an `InvokeOutcome`: the answer decoded, the log's tail, and, when the
code raised, the one-line error the command exits with.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import Any

from twophase.aws.lambda_client import LATEST
from twophase.errors import TwophaseError, UsageError
from twophase.events import Where, event_for
from twophase.release.context import Scope
from twophase.release.ports import Identity, LambdaInvoker

ROUTE = re.compile(r"(ANY|GET|POST|PUT|PATCH|DELETE|HEAD|OPTIONS) /\S*")


@dataclass(frozen=True)
class InvokeDeps:
    """What an invoke uses: Lambda's Invoke on a client that never retries it, and the caller's
    account (for the event's ARNs)."""

    scope: Scope
    invoker: LambdaInvoker
    identity: Identity


@dataclass(frozen=True)
class InvokeOptions:
    function: str
    alias: str | None = None  # default: the last alias, which triggers call
    kind: str | None = None  # http, queue, schedule, direct; default: the function's trigger
    route: str | None = None  # default: the first route
    body: str | None = None
    payload: bytes | None = None  # the whole event, as JSON, sent as is


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
        return f"{self.function} ({_ran(self.qualifier, self.executed_version)}) answered"


def invoke(deps: InvokeDeps, options: InvokeOptions, region: str) -> InvokeOutcome:
    """Invoke the alias once (never retried: a retry would run the code again); bad input
    raises UsageError before any call."""
    deps.scope.check_function(options.function)
    qualifier = _qualifier(deps, options.alias)
    event = _event(deps, options, region)
    physical = deps.scope.physical_name(options.function)
    result = deps.invoker.invoke(physical, qualifier, json.dumps(event).encode())
    outcome = InvokeOutcome(
        function=options.function,
        qualifier=qualifier,
        executed_version=result.executed_version,
        function_error=result.function_error,
        answer=_decoded(result.payload),
        log_tail=result.log_tail,
    )
    if not result.function_error:
        return outcome
    answer = outcome.answer if isinstance(outcome.answer, dict) else {}
    message = str(answer.get("errorMessage") or result.function_error).strip()
    first = message.splitlines()[0] if message else result.function_error
    more = " …" if len(message.splitlines()) > 1 else ""
    error = TwophaseError(
        f"{options.function} ({_ran(qualifier, result.executed_version)}) raised "
        f"{answer.get('errorType') or 'an error'}: {first}{more}",
        hint="the answer above has the whole error; -v shows the log's tail",
    )
    return replace(outcome, error=error)


def _qualifier(deps: InvokeDeps, alias: str | None) -> str:
    qualifier = alias or deps.scope.aliases[-1]
    if qualifier not in deps.scope.aliases and not qualifier.isdigit() and qualifier != LATEST:
        raise UsageError(
            f"unknown alias {qualifier!r}",
            hint=f"use one of {', '.join(deps.scope.aliases)}, a version number or {LATEST}",
        )
    return qualifier


def _event(deps: InvokeDeps, options: InvokeOptions, region: str) -> Any:
    if options.payload is not None:
        if options.kind or options.route or options.body is not None:
            raise UsageError(
                "--payload is the whole event; it goes without --event, --route or --body"
            )
        try:
            return json.loads(options.payload.decode("utf-8"))
        except (UnicodeDecodeError, ValueError) as exc:
            raise UsageError(f"the payload is not JSON: {exc}", hint="pass a JSON file") from None
    spec = deps.scope.config.function(options.function)
    kind = options.kind or spec.trigger_kind or "direct"
    if options.route is not None and kind != "http":
        raise UsageError("--route goes with an HTTP event", hint="add --event http")
    if options.body is not None and kind == "schedule":
        raise UsageError("a scheduled event has no body", hint="drop --body")
    if kind == "direct" and options.body is not None:
        try:
            json.loads(options.body)
        except ValueError as exc:
            raise UsageError(f"--body is not JSON: {exc}", hint="pass a JSON document") from None
    route = options.route or (spec.routes[0] if spec.routes else None)
    if kind == "http" and route is not None:
        _check_route(route, spec.routes)
    account = deps.identity.arn().split(":")[4]
    where = Where(
        account=account, region=region, physical=deps.scope.physical_name(options.function)
    )
    return event_for(kind, where, route=route, body=options.body)


def _check_route(route: str, routes: tuple[str, ...]) -> None:
    if routes and route not in routes:
        raise UsageError(
            f"{route!r} is not one of the function's routes",
            hint=f"use one of: {', '.join(routes)}",
        )
    if route != "$default" and not ROUTE.fullmatch(route):
        raise UsageError(f"{route!r} is not a route", hint='write it as "METHOD /path"')


def _ran(qualifier: str, version: str) -> str:
    return qualifier if version in ("", qualifier) else f"{qualifier}, v{version}"


def _decoded(payload: bytes) -> Any:
    text = payload.decode("utf-8", "replace")
    try:
        return json.loads(text)
    except ValueError:
        return text
