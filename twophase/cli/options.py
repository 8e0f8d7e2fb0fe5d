"""Global options, accepted before or after the command, as AWS CLI users type them.

`twophase -e prod infra up --yes` and `twophase infra up -e prod --yes` are the same command. The
root group declares the global options (with their environment variables and defaults); every
subcommand and subgroup also accepts them, hidden from its help, and what the command line gives
there overrides the root's value (the last one typed wins, as with the AWS CLI).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import click
from click.core import ParameterSource

from twophase.cli.context import AppContext

_MARK = "_twophase_global_options"
_OUTPUTS = ["human", "json"]
NAMES = (  # the global options' parameter names, as every command receives them
    *("env", "profile", "region", "endpoint_url", "config_path", "output"),
    *("yes", "verbose", "debug", "no_color"),
)


def accept_global_options(command: click.Command) -> click.Command:
    """Let `command` (and, for a group, every command under it) take the global options too.

    Idempotent: the command objects are module-level and may be looked up many times."""
    if isinstance(command, click.Group):
        for sub in command.commands.values():
            accept_global_options(sub)
    if getattr(command, _MARK, False):
        return command
    command.params.extend(global_options(root=False))
    if command.callback is not None:
        command.callback = _applying_overrides(command.callback)
    setattr(command, _MARK, True)
    return command


def global_options(*, root: bool) -> list[click.Option]:
    """The global options: on the root with help, environment variables and defaults; elsewhere
    hidden, with no default, so that only what the command line gives overrides the root."""

    def value(decls: list[str], help_: str, envvar: str | None = None, **kw: Any) -> click.Option:
        if root:
            return click.Option(decls, envvar=envvar, help=help_, **kw)
        kw.pop("default", None)
        kw.pop("show_default", None)
        return click.Option(decls, hidden=True, **kw)

    def flag(decls: list[str], help_: str) -> click.Option:
        return click.Option(decls, is_flag=True, default=False, hidden=not root, help=help_)

    return [
        value(["-e", "--env"], "Environment (from twophase.yml).", "TWOPHASE_ENV"),
        value(["--profile"], "AWS profile (overrides the environment's)."),
        value(["--region"], "AWS region (overrides the environment's)."),
        value(["--endpoint-url"], "AWS endpoint URL (overrides the environment's)."),
        value(
            ["-c", "--config", "config_path"],
            "Config file (default: twophase.yml or twophase.yaml here or in the nearest parent "
            "folder).",
            "TWOPHASE_CONFIG",
        ),
        value(
            ["--output"],
            "Results as text, or as a JSON envelope on stdout (errors included).",
            type=click.Choice(_OUTPUTS),
            default="human",
            show_default=True,
        ),
        flag(["-y", "--yes"], "Answer yes to confirmations."),
        flag(["-v", "--verbose"], "More progress detail."),
        flag(["--debug"], "Show tracebacks."),
        flag(["--no-color"], "No colours."),
    ]


def _applying_overrides(callback: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(callback)
    def with_overrides(**kwargs: Any) -> Any:
        given = {name: kwargs.pop(name) for name in NAMES}
        ctx = click.get_current_context()
        app = ctx.find_object(AppContext)
        if app is not None:
            typed = {
                name: value
                for name, value in given.items()
                if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE
            }
            app.override(typed)
            if not isinstance(ctx.command, click.Group):
                app.command = ctx.command_path.partition(" ")[2]
        return callback(**kwargs)

    return with_overrides
