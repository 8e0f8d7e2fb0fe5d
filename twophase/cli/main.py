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
from twophase.cli.context import AppContext, GlobalOptions
from twophase.errors import ExitStatus, TwophaseError

# name -> (module:attribute, one-line help shown by `twophase --help`)
COMMANDS: dict[str, tuple[str, str]] = {
    "init": ("twophase.cli.init_cmd:init", "Write a commented twophase.yml for this folder."),
    "infra": ("twophase.cli.infra:infra", "Phase one: render, plan, deploy and delete the stack."),
    "push": (
        "twophase.cli.push:push",
        "Phase two: ship a function's code, publish, move an alias.",
    ),
    "alias": ("twophase.cli.alias:alias", "Promote or roll back an alias."),
    "releases": ("twophase.cli.releases:releases", "A function's release history."),
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
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = [(name, COMMANDS[name][1]) for name in self.list_commands(ctx)]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _available(name: str) -> bool:
    import importlib.util

    module_name = COMMANDS[name][0].split(":")[0]
    return importlib.util.find_spec(module_name) is not None


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-e", "--env", envvar="TWOPHASE_ENV", help="Environment (from twophase.yml).")
@click.option("--profile", help="AWS profile (overrides the environment's).")
@click.option("--region", help="AWS region (overrides the environment's).")
@click.option("--endpoint-url", help="AWS endpoint URL (overrides the environment's).")
@click.option("-c", "--config", "config_path", envvar="TWOPHASE_CONFIG", help="Config file.")
@click.option("--output", type=click.Choice(["human", "json"]), default="human", show_default=True)
@click.option("-y", "--yes", is_flag=True, help="Answer yes to confirmations.")
@click.option("-v", "--verbose", is_flag=True, help="More progress detail.")
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option("--no-color", is_flag=True, help="No colours.")
@click.version_option(__version__, prog_name="twophase")
@click.pass_context
def cli(ctx: click.Context, **kwargs: Any) -> None:
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
    """Run the CLI and return the exit status; the one place exceptions become exit codes."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        cli.main(args=args, prog_name="twophase", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.Abort:
        _stderr("error: aborted")
        return int(ExitStatus.INTERRUPTED)
    except click.ClickException as exc:
        exc.show()
        return int(ExitStatus.USAGE)
    except TwophaseError as exc:
        _report(exc, debug)
        return int(exc.exit_status)
    except KeyboardInterrupt:
        _stderr("error: interrupted")
        return int(ExitStatus.INTERRUPTED)
    except Exception as exc:  # the last resort: one line, traceback only with --debug
        if debug:
            traceback.print_exc()
        _stderr(f"error: unexpected {type(exc).__name__}: {exc} (rerun with --debug for details)")
        return int(ExitStatus.FAILED)
    return int(ExitStatus.OK)


def _report(exc: TwophaseError, debug: bool) -> None:
    if debug:
        traceback.print_exc()
    _stderr(f"error: {exc}")


def _stderr(message: str) -> None:
    click.echo(message, err=True)
