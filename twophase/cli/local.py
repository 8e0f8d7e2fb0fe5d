"""`twophase local start | stop | status`: the embedded local AWS."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import click

from twophase.cli import shapes
from twophase.cli.context import AppContext
from twophase.cli.help import examples
from twophase.cli.output import show
from twophase.errors import ExitStatus, TwophaseError

if TYPE_CHECKING:
    from twophase.cli.terminal import Terminal
    from twophase.local.lifecycle import LocalStatus

pass_app = click.make_pass_decorator(AppContext)
RUNS_IN_BACKGROUND = "the embedded AWS runs in the background; stop it with `twophase local stop`"


@contextlib.contextmanager
def translated() -> Iterator[None]:
    """The embedded AWS's own errors (it imports nothing of twophase) as twophase's: the same
    message, hint and exit status."""
    from twophase.local.errors import LocalAwsError

    try:
        yield
    except LocalAwsError as exc:
        error = TwophaseError(exc.message, hint=exc.hint)
        error.exit_status = ExitStatus(exc.exit_status)
        raise error from exc


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

    with translated():
        before = recorded()
        st = start_server(iam_enforcement=iam)
        after = recorded()
    show(app.terminal, "local start", shapes.local_start(st), lambda: _say_running(app, st))
    if not say_if_started(app.terminal, before, after):
        app.terminal.notice(RUNS_IN_BACKGROUND)


@local.command(epilog=examples("twophase local stop"))
@pass_app
def stop(app: AppContext) -> None:
    """Stop the embedded AWS that `local start` (or an `endpoint: local` command) started."""
    from twophase.local.lifecycle import stop as stop_server

    with translated():
        stopped = stop_server()
    said = "stopped" if stopped else "not running"
    show(app.terminal, "local stop", shapes.local_stop(stopped), lambda: app.terminal.line(said))


@local.command(epilog=examples("twophase local status", "twophase local status --output json"))
@pass_app
def status(app: AppContext) -> None:
    """Show the endpoint and pid of the running embedded AWS."""
    from twophase.local.lifecycle import recorded
    from twophase.local.lifecycle import status as server_status

    with translated():
        st = server_status()
        gone = recorded()
    if st is None:
        show(
            app.terminal, "local status", shapes.local_status(None), lambda: _say_running(app, None)
        )
        if gone is not None:  # a crash leaves the state file behind
            app.terminal.warn(f"{_gone(gone)}; the next command that needs it starts a new one")
        return
    show(app.terminal, "local status", shapes.local_status(st), lambda: _say_running(app, st))
    app.terminal.notice(RUNS_IN_BACKGROUND)


def _say_running(app: AppContext, st: LocalStatus | None) -> None:
    if st is None:
        app.terminal.line("not running")
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
