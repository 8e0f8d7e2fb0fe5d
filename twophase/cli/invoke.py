"""`twophase invoke FUNCTION`: call an alias with the event its trigger would send."""

from __future__ import annotations

import json
from pathlib import Path

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.cli.output import show

pass_app = click.make_pass_decorator(AppContext)


@click.command(
    epilog=examples(
        "twophase invoke api -e local",
        "twophase invoke api -e dev --route 'POST /orders' --body '{\"id\": 1}'",
        "twophase invoke worker -e dev --alias next -v",
        "twophase invoke nightly -e dev --payload event.json",
    )
)
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
    from twophase.cli.wiring import for_app
    from twophase.release.invoke import InvokeOptions
    from twophase.release.invoke import invoke as run_invoke

    deps = for_app(app).invoke()
    event = payload.read_bytes() if payload is not None else None
    options = InvokeOptions(function, alias, kind, route, body, event)
    outcome = run_invoke(deps, options, app.clients.target.region)

    def human() -> None:
        answer = outcome.answer
        app.terminal.raw(answer if isinstance(answer, str) else json.dumps(answer, indent=2))
        if app.options.verbose:
            for line in outcome.log_tail.rstrip("\n").splitlines():
                app.terminal.info(f"  {line}")

    show(
        app.terminal,
        "invoke",
        shapes.invoke(outcome),
        human,
        exit_code=int(outcome.error.exit_status) if outcome.error else 0,
        errors=[str(outcome.error)] if outcome.error else (),
    )
    if outcome.error is not None:
        raise outcome.error
    app.terminal.info(outcome.summary())
