"""The one renderer of command results: human text, or under `--output json` the envelope.

A command hands `show` its result twice over: as a `Shape` (the public JSON, written field by
field in `twophase.cli.shapes`, so that renaming an internal field never changes it) and as the
function that prints it for people. Failures go through `fail`, which says each problem once on
stderr and, under `--output json`, prints the error envelope on stdout unless the command already
printed its own (a push of several functions reports its failures inside its result).

The envelope (`ENVELOPE_VERSION`) is `version`, `schema`, `command`, `status`, `exit_code`,
`data` and `errors`. `schema` names the shape of `data`, `twophase.<command>/<N>` with the
command's words joined by dots; within one N a key is never removed nor renamed (new keys may
appear). A failure met before the command had a result has `data: null` and `ERROR_SCHEMA`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import click

if TYPE_CHECKING:
    from twophase.cli.terminal import Terminal

ENVELOPE_VERSION = 1
ERROR_SCHEMA = "twophase.error/1"


@dataclass(frozen=True)
class Shape:
    """A result as its public JSON: the schema it follows and data made of JSON types only."""

    schema: str
    data: Any


def show(
    terminal: Terminal,
    command: str,
    shape: Shape,
    human: Callable[[], object],
    *,
    exit_code: int = 0,
    errors: Sequence[str] = (),
) -> None:
    """Print a command's result: `human()` for people, the envelope of `shape` for programs."""
    if terminal.json:
        envelope(terminal, command, shape, exit_code=exit_code, errors=errors)
    else:
        human()


def envelope(
    terminal: Terminal,
    command: str,
    shape: Shape | None,
    *,
    exit_code: int = 0,
    errors: Sequence[str] = (),
) -> None:
    """Print the one JSON document of this run on stdout (`shape` None: a failure, no data)."""
    doc = {
        "version": ENVELOPE_VERSION,
        "schema": shape.schema if shape is not None else ERROR_SCHEMA,
        "command": command,
        "status": "ok" if exit_code == 0 else "error",
        "exit_code": exit_code,
        "data": shape.data if shape is not None else None,
        "errors": list(errors),
    }
    terminal.raw(json.dumps(doc, indent=2, sort_keys=True))
    terminal.enveloped = True


def json_line(terminal: Terminal, shape: Shape) -> None:
    """One object of a stream (`logs -f`): the data with its schema, on one line."""
    terminal.line(json.dumps({"schema": shape.schema, **shape.data}, sort_keys=True))


def fail(terminal: Terminal | None, command: str, status: int, lines: Sequence[str]) -> None:
    """A failure, said once: an `error:` line per problem on stderr, and under `--output json`
    the error envelope, unless the command printed its envelope (with these errors) already."""
    for line in lines:
        click.echo(f"error: {line}", err=True)
    if terminal is not None and terminal.json and not terminal.enveloped:
        envelope(terminal, command, None, exit_code=status, errors=lines)
