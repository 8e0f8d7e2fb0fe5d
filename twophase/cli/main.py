"""The `twophase` command: global options, lazy subcommands, and the one place errors become exits.

Subcommand modules are imported only when invoked, so `twophase --help` never imports boto3.
"""

from __future__ import annotations

import gc
import importlib
import sys
import traceback
from typing import Any

import click

from twophase import __version__
from twophase.cli import output
from twophase.cli.context import AppContext, GlobalOptions
from twophase.cli.help import examples
from twophase.cli.options import accept_global_options, global_options
from twophase.cli.terminal import Terminal
from twophase.errors import ExitStatus, TwophaseError

# name -> (module:attribute, one-line help shown by `twophase --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("twophase.cli.init_cmd:init", "Write a commented twophase.yml for this folder."),
    "infra": ("twophase.cli.infra:infra", "Phase one: render, plan, deploy and delete the stack."),
    "env": ("twophase.cli.env:env", "List the app's environments; delete expired previews."),
    "push": (
        "twophase.cli.push:push",
        "Phase two: ship a function's code, publish, move an alias.",
    ),
    "alias": ("twophase.cli.alias:alias", "Promote or roll back an alias."),
    "releases": ("twophase.cli.releases:releases", "A function's release history."),
    "prune": ("twophase.cli.prune:prune", "Delete old versions (never one an alias needs)."),
    "status": ("twophase.cli.status:status", "Per function: code, aliases, last release."),
    "build": ("twophase.cli.build:build", "Build a function's artifact without touching AWS."),
    "invoke": ("twophase.cli.invoke:invoke", "Invoke an alias with a realistic generated event."),
    "logs": ("twophase.cli.logs:logs", "Print a function's logs; -f follows them."),
    "policy": ("twophase.cli.policy:policy", "Print a function's deployer policy."),
    "whoami": ("twophase.cli.policy:whoami", "Show the caller and which functions it may push."),
    "local": ("twophase.cli.local:local", "Start, stop or inspect the embedded local AWS."),
    "schema": ("twophase.cli.schema:schema", "Print the JSON schema of twophase.yml."),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(name for name in COMMANDS if _available(name))

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module_name, attr = COMMANDS[cmd_name][0].split(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name == module_name:
                return None
            raise
        command: click.Command = getattr(module, attr)
        return accept_global_options(command)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _available(name: str) -> bool:
    import importlib.util

    module_name = COMMANDS[name][0].split(":")[0]
    return importlib.util.find_spec(module_name) is not None


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    params=global_options(root=True),
    epilog=examples(
        "twophase -e local infra up --yes",
        "twophase push api -e prod --profile shop-prod",
        "twophase alias promote api -e prod --output json",
        root=True,
        note="Global options go before or after the command. `twophase COMMAND --help` shows a "
        "command's options and examples.",
    ),
)
@click.version_option(__version__, prog_name="twophase")
@click.pass_context
def cli(ctx: click.Context, /, **kwargs: Any) -> None:
    """Two-phase deploys for AWS Lambda.

    Phase one (`infra up`) deploys the shared infrastructure and every function with a dummy body;
    phase two (`push`, `alias promote`) ships only code.
    """
    color = not kwargs.pop("no_color")
    ctx.obj = AppContext(GlobalOptions(color=color, **kwargs))


def main(argv: list[str] | None = None) -> None:
    status = run(argv)
    # The work is done and the output written. Freezing the heap spares the interpreter's final
    # garbage collection over every object botocore loaded (about 70 ms of a 0.4 s push); the
    # memory goes back to the OS at exit either way.
    gc.freeze()
    sys.exit(status)


def run(argv: list[str] | None = None) -> int:
    """Run the CLI and return the exit status; the one place exceptions become exit codes, and,
    with `--output json`, the one place a failure becomes an envelope on stdout."""
    args = list(sys.argv[1:] if argv is None else argv)
    session = _Session(args)
    try:
        with cli.make_context("twophase", list(args)) as ctx:  # click consumes the list
            session.ctx = ctx
            cli.invoke(ctx)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        return session.fail(ExitStatus.INTERRUPTED, ["aborted"])
    except click.ClickException as exc:
        return session.usage(exc)
    except TwophaseError as exc:
        return session.fail(exc.exit_status, list(exc.lines()), exc)
    except KeyboardInterrupt as exc:
        return session.fail(ExitStatus.INTERRUPTED, ["interrupted"], exc)
    except Exception as exc:  # the last resort: one line, traceback only with --debug
        message = f"unexpected {type(exc).__name__}: {exc} (rerun with --debug for details)"
        return session.fail(ExitStatus.FAILED, [message], exc)
    return int(ExitStatus.OK)


class _Session:
    """One run: what failed is said once, on stderr, and with `--output json` in an envelope."""

    def __init__(self, args: list[str]) -> None:
        self.args = args
        self.ctx: click.Context | None = None

    @property
    def app(self) -> AppContext | None:
        obj = self.ctx.obj if self.ctx is not None else None
        return obj if isinstance(obj, AppContext) else None

    def fail(self, status: ExitStatus, lines: list[str], exc: BaseException | None = None) -> int:
        """`--debug` as parsed (before or after the command) decides whether the traceback shows."""
        app = self.app
        if exc is not None and app is not None and app.options.debug:
            traceback.print_exception(exc)
        terminal = app.terminal if app is not None else None
        output.fail(terminal, (app.command if app else "") or "twophase", status, lines)
        return int(status)

    def usage(self, exc: click.ClickException) -> int:
        """click's own usage errors: its message (and usage line) as it shows them, and the
        envelope when the command line asked for JSON, parsed or not."""
        exc.show()
        app = self.app
        if (app is not None and app.terminal.json) or _asks_for_json(self.args):
            command = exc.ctx.command_path if isinstance(exc, click.UsageError) and exc.ctx else ""
            output.envelope(
                Terminal(output="json"),
                command.partition(" ")[2] or "twophase",
                None,
                exit_code=ExitStatus.USAGE,
                errors=[exc.format_message()],
            )
        return int(ExitStatus.USAGE)


def _asks_for_json(args: list[str]) -> bool:
    """Whether the command line says `--output json`, for click's usage errors: they are found
    while the line is parsed, before a global option given after the command is applied (an
    unknown option stops the parse before any value is read)."""
    for i, arg in enumerate(args):
        if arg == "--":
            return False
        if arg == "--output=json" or (arg == "--output" and args[i + 1 : i + 2] == ["json"]):
            return True
    return False
