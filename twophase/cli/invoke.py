"""`twophase invoke FUNCTION`: call an alias with the event its trigger would send."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from twophase.cli.context import AppContext
from twophase.errors import TwophaseError, UsageError

pass_app = click.make_pass_decorator(AppContext)


@click.command()
@click.argument("function")
@click.option("--alias", help="Alias or version to invoke (default: the last alias, as triggers).")
@click.option(
    "--event",
    "kind",
    type=click.Choice(["http", "queue", "schedule", "direct"]),
    help="Event to generate (default: the function's trigger; direct without one).",
)
@click.option("--route", help='HTTP route to call, e.g. "GET /orders/{id}" (default: the first).')
@click.option("--body", help="HTTP body, queue message body, or the direct payload (JSON).")
@click.option(
    "--payload",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="Send this JSON file as the event, as is.",
)
@pass_app
def invoke(
    app: AppContext,
    function: str,
    alias: str | None,
    kind: str | None,
    route: str | None,
    body: str | None,
    payload: Path | None,
) -> None:
    """Invoke an alias with a realistic generated event; print what the function answered."""
    from twophase.core import PhaseTwo
    from twophase.events import Where, event_for

    ctx = PhaseTwo.create(app.settings, app.env_name, app.clients, reporter=app.terminal)
    ctx.check_function(function)
    trigger = app.config.functions[function].trigger
    kind = kind or (trigger.kind if trigger is not None and trigger.kind else "direct")
    if route is not None and kind != "http":
        raise UsageError("--route goes with an HTTP event", hint="add --event http")
    if route is None and kind == "http" and trigger is not None and trigger.http is not None:
        route = trigger.http.routes[0]
    physical = ctx.physical_name(function)
    qualifier = alias or ctx.aliases[-1]
    if qualifier not in ctx.aliases and not qualifier.isdigit() and qualifier != "$LATEST":
        raise UsageError(
            f"unknown alias {qualifier!r}",
            hint=f"use one of {', '.join(ctx.aliases)}, a version number or $LATEST",
        )
    if payload is not None:
        event = _json(payload.read_text(encoding="utf-8"), f"{payload}")
    else:
        if kind == "direct" and body is not None:
            _json(body, "--body")
        account = ctx.identity.arn().split(":")[4]
        where = Where(account=account, region=app.clients.target.region, physical=physical)
        event = event_for(kind, where, route=route, body=body)
    result = ctx.lambda_.invoke(physical, qualifier, json.dumps(event).encode())
    answer = _decoded(result.payload)
    if app.terminal.json:
        app.terminal.envelope(
            "invoke",
            {
                "function": function,
                "qualifier": qualifier,
                "executed_version": result.executed_version,
                "function_error": result.function_error,
                "payload": answer,
                "log_tail": result.log_tail,
            },
            exit_code=1 if result.function_error else 0,
        )
    else:
        app.terminal.raw(json.dumps(answer, indent=2) if not isinstance(answer, str) else answer)
        if app.options.verbose and result.log_tail:
            for line in result.log_tail.rstrip("\n").splitlines():
                app.terminal.info(f"  {line}")
    where_ran = f"{function} ({qualifier}, v{result.executed_version})"
    if result.function_error:
        message = answer.get("errorMessage") if isinstance(answer, dict) else None
        error_type = answer.get("errorType") if isinstance(answer, dict) else None
        raise TwophaseError(
            f"{where_ran} raised {error_type or 'an error'}: {message or result.function_error}",
            hint="rerun with -v to see the log's tail",
        )
    app.terminal.info(f"{where_ran} answered")


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
