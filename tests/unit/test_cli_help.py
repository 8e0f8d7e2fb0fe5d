"""Every command's `--help` ends with examples (each parsed by test_cli_hints), and every option
that takes a duration says how to write one."""

from __future__ import annotations

import click
import pytest

from tests.unit.cli_parse import all_commands
from twophase.cli.durations import FORMAT, Duration
from twophase.cli.main import cli, run

COMMANDS = [("", cli), *all_commands()]


@pytest.mark.parametrize(("path", "command"), COMMANDS, ids=[p or "twophase" for p, _ in COMMANDS])
def test_every_help_has_examples(
    path: str, command: click.Command, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run([*path.split(), "--help"]) == 0
    shown = capsys.readouterr().out
    examples = shown.partition("\n  Examples:\n")[2]
    assert examples, f"`twophase {path} --help` has no Examples section"
    typed = [line.strip() for line in examples.splitlines() if line.strip().startswith("twophase")]
    assert typed, f"`twophase {path} --help` shows no example"
    own = f"twophase {path}".split()
    assert any(line.split()[: len(own)] == own or path == "" for line in typed), typed


DURATIONS = [
    (path, param)
    for path, command in all_commands()
    for param in command.params
    if isinstance(param, click.Option) and isinstance(param.type, Duration)
]


def test_durations_are_found() -> None:
    assert {(path, p.name) for path, p in DURATIONS} >= {
        ("alias promote", "interval"),
        ("logs", "since"),
    }


@pytest.mark.parametrize(("path", "param"), DURATIONS, ids=[f"{p} {o.name}" for p, o in DURATIONS])
def test_a_duration_option_says_how_to_write_one(path: str, param: click.Option) -> None:
    assert FORMAT in (param.help or ""), f"{path} {param.opts[0]}: say how to write a duration"


def test_the_duration_format_is_what_the_parser_takes() -> None:
    duration = Duration()
    assert [
        duration.convert(v, None, None) for v in ("30s", "5m", "1h", "1h30m", "500ms", "90")
    ] == [
        30.0,
        300.0,
        3600.0,
        5400.0,
        0.5,
        90.0,
    ]
    for written in ("30s", "5m", "1h", "1h30m", "500ms"):
        assert written in FORMAT
