"""`twophase local start | stop | status`: the embedded local AWS."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from twophase.cli.context import AppContext

if TYPE_CHECKING:
    from twophase.local.lifecycle import LocalStatus

pass_app = click.make_pass_decorator(AppContext)


@click.group()
def local() -> None:
    """The embedded local AWS (no account, no credentials, loopback only)."""


@local.command()
@click.option("--iam", is_flag=True, help="Enforce IAM policies (off by default).")
@pass_app
def start(app: AppContext, iam: bool) -> None:
    """Start the embedded AWS in the background (or reuse the running one)."""
    from twophase.local.lifecycle import start as start_server

    st = start_server(iam_enforcement=iam)
    _show(app, "local start", st)


@local.command()
@pass_app
def stop(app: AppContext) -> None:
    """Stop the embedded AWS that `local start` (or an `endpoint: local` command) started."""
    from twophase.local.lifecycle import stop as stop_server

    stopped = stop_server()
    if app.terminal.json:
        app.terminal.envelope("local stop", {"stopped": stopped})
    else:
        app.terminal.line("stopped" if stopped else "not running")


@local.command()
@pass_app
def status(app: AppContext) -> None:
    """Show the endpoint and pid of the running embedded AWS."""
    from twophase.local.lifecycle import status as server_status

    st = server_status()
    if st is None:
        if app.terminal.json:
            app.terminal.envelope("local status", None)
        else:
            app.terminal.line("not running")
        return
    _show(app, "local status", st)


def _show(app: AppContext, command: str, st: LocalStatus) -> None:
    if app.terminal.json:
        data = {
            "endpoint": st.endpoint,
            "pid": st.pid,
            "started_at": st.started_at,
            "uptime_seconds": round(st.uptime, 1),
            "iam_enforcement": st.iam_enforcement,
        }
        app.terminal.envelope(command, data)
        return
    iam = ", IAM enforced" if st.iam_enforcement else ""
    app.terminal.line(f"running at {st.endpoint} (pid {st.pid}, up {st.uptime:.0f}s{iam})")
