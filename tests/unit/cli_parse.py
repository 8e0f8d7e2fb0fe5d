"""Parse a twophase command line with click, as the CLI would, without running anything."""

from __future__ import annotations

import shlex
from collections.abc import Iterator

import click

from twophase.cli.main import cli

# What the placeholders in hints and examples stand for.
PLACEHOLDERS = {
    "ENV": "prod",
    "FUNCTION": "api",
    "FN": "api",
    "N": "3",
    "FILE": "dist/api.zip",
    "PATH": "twophase.yml",
    "NAME": "shop",
    "COMMAND": "push",
}


def parse(line: str) -> click.Context:
    """The innermost context of `line` ("twophase …"), parsed down to its command; raises click's
    UsageError (no such command or option, a bad value, a missing argument) as the CLI would."""
    words = _words(line)
    assert words[:1] == ["twophase"], line
    try:
        return _parse(words[1:])
    except click.exceptions.Exit as exc:  # --help or --version: shown, and a success
        assert exc.exit_code == 0, line
        return click.Context(cli)


def _parse(args: list[str]) -> click.Context:
    ctx = cli.make_context("twophase", args)
    command: click.Command = cli
    while isinstance(command, click.Group):
        rest = [*ctx._protected_args, *ctx.args]
        if not rest:  # `twophase infra`: click shows the group's help
            return ctx
        name, sub, rest = command.resolve_command(ctx, rest)
        assert name is not None and sub is not None
        ctx = sub.make_context(name, rest, parent=ctx)
        command = sub
    return ctx


def _words(line: str) -> list[str]:
    """The words as a shell splits them, up to a redirection, a pipe or a comment, with
    placeholders substituted (an unknown one fails: add it above)."""
    out = []
    for word in shlex.split(line, comments=True):
        if word in (">", "|", "&&", ";"):
            break
        if word.isupper() and word.isalpha():
            assert word in PLACEHOLDERS, f"unknown placeholder {word} in {line!r}"
            word = PLACEHOLDERS[word]
        out.append(word)
    return out


def all_commands() -> Iterator[tuple[str, click.Command]]:
    """Every command the CLI has, groups included, as ("infra up", command)."""
    ctx = click.Context(cli)

    def walk(prefix: str, group: click.Group) -> Iterator[tuple[str, click.Command]]:
        for name in group.list_commands(ctx):
            sub = group.get_command(ctx, name)
            assert sub is not None, name
            path = f"{prefix} {name}".strip()
            yield path, sub
            if isinstance(sub, click.Group):
                yield from walk(path, sub)

    yield from walk("", cli)
