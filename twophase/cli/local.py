"""`twophase local start | stop | status`: the embedded local AWS."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import click

from twophase.cli.context import AppContext
from twophase.cli.help import examples

if TYPE_CHECKING:
    from twophase.cli.terminal import Terminal
    from twophase.local.lifecycle import LocalStatus

pass_app = click.make_pass_decorator(AppContext)
RUNS_IN_BACKGROUND = "the embedded AWS runs in the background; stop it with `twophase local stop`"


@click.group(
    epilog=examples("twophase local start", "twophase local status", "twophase local stop")
)
def local() -> None:
    """The embedded local AWS (no account, no credentials, loopback only)."""


@local.command(
    epilog=examples("twophase local start", "twophase local start --iam", "twophase local stop")
)
@click.option("--iam", is_flag=True, help="Enforce IAM policies (off by default).")
@pass_app
def start(app: AppContext, iam: bool) -> None:
    """Start the embedded AWS in the background (or reuse the running one)."""
    from twophase.local.lifecycle import recorded
    from twophase.local.lifecycle import start as start_server

    before = recorded()
    st = start_server(iam_enforcement=iam)
    _show(app, "local start", st)
    if not say_if_started(app.terminal, before, recorded()):
        app.terminal.notice(RUNS_IN_BACKGROUND)


@local.command(epilog=examples("twophase local stop"))
@pass_app
def stop(app: AppContext) -> None:
    """Stop the embedded AWS that `local start` (or an `endpoint: local` command) started."""
    from twophase.local.lifecycle import stop as stop_server

    stopped = stop_server()
    if app.terminal.json:
        app.terminal.envelope("local stop", {"stopped": stopped})
    else:
        app.terminal.line("stopped" if stopped else "not running")


@local.command(epilog=examples("twophase local status", "twophase local status --output json"))
@pass_app
def status(app: AppContext) -> None:
    """Show the endpoint and pid of the running embedded AWS."""
    from twophase.local.lifecycle import recorded
    from twophase.local.lifecycle import status as server_status

    st = server_status()
    if st is None:
        if app.terminal.json:
            app.terminal.envelope("local status", None)
        else:
            app.terminal.line("not running")
        gone = recorded()
        if gone is not None:  # a crash leaves the state file behind
            app.terminal.warn(f"{_gone(gone)}; the next command that needs it starts a new one")
        return
    _show(app, "local status", st)
    app.terminal.notice(RUNS_IN_BACKGROUND)


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


def say_if_started(
    terminal: Terminal,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    env: str | None = None,
) -> bool:
    """Say, once, that this command started the embedded AWS (the state file records a server it
    did not before), that it runs in the background and how to stop it; and, when the server the
    state file recorded before is gone (it crashed, or its machine restarted), that what it held
    was lost. True when it said so."""
    if after is None or (before is not None and before.get("token") == after.get("token")):
        return False
    if before is not None:
        redeploy = f"twophase infra up -e {env}" if env else "twophase infra up -e ENV"
        terminal.warn(f"{_gone(before)}; deploy again with `{redeploy}`")
    terminal.notice(
        f"started the embedded AWS at {after.get('endpoint')} (pid {after.get('pid')}); it runs "
        "in the background: stop it with `twophase local stop`"
    )
    return True


def _gone(state: dict[str, Any]) -> str:
    started = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(float(state["started_at"])))
    return (
        f"the embedded AWS that ran before (pid {state['pid']}, started {started}) is gone, and "
        "with it what it held: stacks, functions, releases"
    )
