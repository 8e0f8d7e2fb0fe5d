"""`twophase logs FUNCTION [-f]`: the function's log events, and new ones as they come."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import click

from twophase.cli.context import AppContext
from twophase.cli.durations import Duration

pass_app = click.make_pass_decorator(AppContext)


@click.command()
@click.argument("function")
@click.option("--since", type=Duration(), default="10m", show_default=True, help="How far back.")
@click.option("-f", "--follow", is_flag=True, help="Keep printing new events until Ctrl-C.")
@pass_app
def logs(app: AppContext, function: str, since: float, follow: bool) -> None:
    """Print the function's log events (every version and alias: they share one log group)."""
    from twophase.aws.logs import LogReader
    from twophase.aws.logs import follow as follow_events

    settings = app.settings
    if function not in settings.functions:
        from twophase.errors import UsageError

        known = ", ".join(sorted(settings.functions))
        raise UsageError(f"unknown function {function!r}", hint=f"use one of: {known}")
    group = f"/aws/lambda/{settings.function_name(app.env_name, function)}"
    reader = LogReader(app.clients.client("logs"))
    start_ms = int((time.time() - since) * 1000)
    if not follow:
        events = reader.since(group, start_ms)
        if app.terminal.json:
            data = [vars(e) for e in events]
            app.terminal.envelope("logs", {"log_group": group, "events": data})
            return
        for event in events:
            app.terminal.line(_line(event.timestamp_ms, event.message))
        return
    for event in follow_events(lambda ms: reader.since(group, ms), start_ms, sleep=time.sleep):
        app.terminal.line(_line(event.timestamp_ms, event.message))


def _line(timestamp_ms: int, message: str) -> str:
    at = datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{at}  {message.rstrip()}"
