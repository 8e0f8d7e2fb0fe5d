"""`twophase logs FUNCTION [-f]`: the function's log events, and new ones as they come."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import click

from twophase.cli.context import AppContext
from twophase.cli.durations import FORMAT, Duration
from twophase.cli.help import examples

pass_app = click.make_pass_decorator(AppContext)


@click.command(
    epilog=examples(
        "twophase logs api -e prod",
        "twophase logs api -e prod --since 1h",
        "twophase logs worker -e prod -f --output json",
        note="--since takes a duration: " + FORMAT + ".",
    )
)
@click.argument("function")
@click.option(
    "--since", type=Duration(), default="10m", show_default=True, help=f"How far back ({FORMAT})."
)
@click.option(
    "-f", "--follow", is_flag=True, help="Keep printing new events until Ctrl-C (JSON: one a line)."
)
@pass_app
def logs(app: AppContext, function: str, since: float, follow: bool) -> None:
    """Print the function's log events, oldest first (all its versions share one log group)."""
    from twophase.release.context import PhaseTwo
    from twophase.release.logs import LogsOptions, follow_logs, read_logs

    ctx = PhaseTwo.create(app.settings, app.env_name, app.clients, reporter=app.terminal)
    options = LogsOptions(function, since)
    if not follow:
        group, events = read_logs(ctx, options)
        if app.terminal.json:
            data = {"log_group": group, "events": [vars(e) for e in events]}
            app.terminal.envelope("logs", data)
            return
        for event in events:
            app.terminal.line(_line(event.timestamp_ms, event.message))
        return
    try:
        for event in follow_logs(ctx, options):
            if app.terminal.json:
                app.terminal.line(json.dumps(vars(event), sort_keys=True))
            else:
                app.terminal.line(_line(event.timestamp_ms, event.message))
    except KeyboardInterrupt:
        return  # Ctrl-C is how following ends


def _line(timestamp_ms: int, message: str) -> str:
    at = datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{at}  {message.rstrip()}"
