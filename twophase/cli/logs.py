"""`twophase logs FUNCTION [-f]`: the function's log events, and new ones as they come."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.durations import FORMAT, Duration
from twophase.cli.help import examples
from twophase.cli.output import json_line, show

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
    from twophase.cli.wiring import for_app
    from twophase.release.logs import LogsOptions, follow_logs, read_logs

    deps = for_app(app).logs()
    options = LogsOptions(function, since)
    if not follow:
        group, events = read_logs(deps, options)

        def human() -> None:
            for event in events:
                app.terminal.line(_line(event.timestamp_ms, event.message))

        show(app.terminal, "logs", shapes.logs(group, events), human)
        return
    try:
        for event in follow_logs(deps, options):
            if app.terminal.json:
                json_line(app.terminal, shapes.log_event(event))
            else:
                app.terminal.line(_line(event.timestamp_ms, event.message))
    except KeyboardInterrupt:
        return  # Ctrl-C is how following ends


def _line(timestamp_ms: int, message: str) -> str:
    at = datetime.fromtimestamp(timestamp_ms / 1000, UTC).strftime("%Y-%m-%d %H:%M:%S")
    return f"{at}  {message.rstrip()}"
