"""Global options go before or after the command, as AWS CLI users type them, and mean the same.

A probe command (registered like the real ones, so it gets the global options the same way)
records the options it runs with; the real commands' parsing is covered by test_cli_hints.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any

import click
import pytest

from tests.unit.cli_parse import all_commands
from twophase.cli.context import AppContext
from twophase.cli.main import COMMANDS, run
from twophase.cli.options import NAMES, global_options
from twophase.errors import ConflictError

pass_app = click.make_pass_decorator(AppContext)
SEEN: list[dict[str, Any]] = []


@click.command()
@click.argument("words", nargs=-1)
@click.option("--mine", is_flag=True, help="An option of the command's own.")
@pass_app
def probe(app: AppContext, words: tuple[str, ...], mine: bool) -> None:
    SEEN.append(
        dataclasses.asdict(app.options)
        | {"command": app.command, "json": app.terminal.json, "mine": mine, "words": words}
    )
    if "fail" in words:
        raise ConflictError("the probe failed", hint="as asked")


@click.group()
def probes() -> None:
    """Nested, like `infra up`."""


probes.add_command(probe, "inner")

# (option as typed, the GlobalOptions field it sets, the value)
OPTIONS: list[tuple[list[str], str, Any]] = [
    (["-e", "prod"], "env", "prod"),
    (["--env", "prod"], "env", "prod"),
    (["--profile", "shop-prod"], "profile", "shop-prod"),
    (["--region", "eu-west-1"], "region", "eu-west-1"),
    (["--endpoint-url", "http://localhost:4566"], "endpoint_url", "http://localhost:4566"),
    (["-c", "app/twophase.yml"], "config_path", "app/twophase.yml"),
    (["--config", "app/twophase.yml"], "config_path", "app/twophase.yml"),
    (["--output", "json"], "output", "json"),
    (["--output=json"], "output", "json"),
    (["-y"], "yes", True),
    (["--yes"], "yes", True),
    (["-v"], "verbose", True),
    (["--verbose"], "verbose", True),
    (["--debug"], "debug", True),
    (["--no-color"], "color", False),
]


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    here = __name__
    monkeypatch.setitem(COMMANDS, "probe", (f"{here}:probe", "A probe."))
    monkeypatch.setitem(COMMANDS, "probes", (f"{here}:probes", "Probes."))
    for var in ("TWOPHASE_ENV", "TWOPHASE_CONFIG"):
        monkeypatch.delenv(var, raising=False)
    SEEN.clear()


def _seen(*args: str) -> dict[str, Any]:
    SEEN.clear()
    assert run(list(args)) == 0
    assert len(SEEN) == 1
    return SEEN[0]


@pytest.mark.parametrize("command", [["probe"], ["probes", "inner"]], ids=["probe", "nested"])
@pytest.mark.parametrize(
    ("option", "field", "value"), OPTIONS, ids=[" ".join(o[0]) for o in OPTIONS]
)
def test_a_global_option_before_or_after_the_command_is_the_same(
    command: list[str], option: list[str], field: str, value: Any
) -> None:
    before = _seen(*option, *command, "api")
    after = _seen(*command, "api", *option)
    between = _seen(*command, *option, "api")
    assert before == after == between
    assert after[field] == value
    assert after["words"] == ("api",)
    assert after["command"] == " ".join(command)


def test_the_aws_cli_habit_in_full() -> None:
    typed = ["-e", "prod", "--profile", "x", "--output", "json", "--yes"]
    assert _seen("probes", "inner", *typed) == _seen(*typed[:-1], "probes", "inner", "--yes")
    assert _seen("probes", "inner", *typed)["json"] is True


def test_after_the_command_wins_over_before_and_over_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert _seen("-e", "dev", "probe", "-e", "prod")["env"] == "prod"
    monkeypatch.setenv("TWOPHASE_ENV", "dev")
    assert _seen("probe")["env"] == "dev"
    assert _seen("probe", "-e", "prod")["env"] == "prod"


def test_the_command_keeps_its_own_options_and_arguments() -> None:
    seen = _seen("probe", "--mine", "a", "-v", "b")
    assert (seen["mine"], seen["words"], seen["verbose"]) == (True, ("a", "b"), True)


def test_global_options_are_hidden_from_a_command_help_which_points_to_them(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["push", "--help"]) == 0
    out = capsys.readouterr().out
    assert "--profile" not in out.split("Examples:")[0]
    assert "Global options (-e/--env, --profile" in out
    assert run(["--help"]) == 0
    assert "--profile TEXT" in capsys.readouterr().out


def test_debug_after_the_command_shows_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(["probe", "fail", "--debug"]) == 4
    err = capsys.readouterr().err
    assert "Traceback" in err and err.rstrip().endswith("error: the probe failed (as asked)")


def test_debug_is_an_option_not_a_word_anywhere_on_the_line(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """`--debug` after `--` is an argument (a function named so), not the option."""
    assert run(["probe", "fail", "--", "--debug"]) == 4
    assert SEEN[-1]["words"] == ("fail", "--debug") and SEEN[-1]["debug"] is False
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert err.splitlines() == ["error: the probe failed (as asked)"]


def test_output_json_after_the_command_gives_the_error_envelope(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run(["probe", "fail", "--output", "json"]) == 4
    out, err = capsys.readouterr()
    doc = json.loads(out)
    assert (doc["command"], doc["status"], doc["exit_code"]) == ("probe", "error", 4)
    assert doc["errors"] == ["the probe failed (as asked)"]
    assert err.splitlines() == ["error: the probe failed (as asked)"]


def test_no_command_declares_an_option_of_its_own_that_a_global_one_has() -> None:
    """A command's own `--output` or `-e` would fight the global one (define neither)."""
    global_opts = {opt for p in global_options(root=True) for opt in p.opts}
    for path, command in all_commands():
        opts = [opt for p in command.params for opt in p.opts if opt in global_opts]
        assert sorted(opts) == sorted(global_opts), path  # each exactly once: the global one
        assert {p.name for p in command.params if getattr(p, "hidden", False)} >= set(NAMES), path
