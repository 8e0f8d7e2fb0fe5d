"""Every command twophase prints as a hint, or shows as an example, is one the CLI accepts.

Hints are collected from the code itself (every backticked `twophase …` in a string that is not a
docstring: messages, hints, f-strings with their values filled in), from the comments of
twophase.yml.example, and from every command's `--help` examples; each is parsed with click, down
to its command, without running it.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import click
import pytest

from tests.unit.cli_parse import all_commands, parse
from twophase.cli.help import examples

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "twophase"
BACKTICKED = re.compile(r"`(twophase(?: [^`\n]+)?)`")
FILLED = {  # what an f-string's {value} stands for, by its expression
    "env": "prod",
    "ctx.env": "prod",
    "deps.scope.env": "prod",
    "scope.env": "prod",
    "function": "api",
    "fn": "api",
    "name": "api",
    "b.function": "api",
}


def _skipped(tree: ast.AST) -> set[int]:
    """Docstrings, and the pieces of f-strings (read whole, by `_text`)."""
    ids: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            ids.update(id(value) for value in node.values)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                ids.add(id(body[0].value))
    return ids


def _text(node: ast.AST) -> str | None:
    """A string constant, or an f-string with each value replaced by what it stands for (an
    expression not in FILLED stays `{expr}`, which no command accepts)."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        parts = []
        for value in node.values:
            if isinstance(value, ast.Constant):
                parts.append(str(value.value))
            elif isinstance(value, ast.FormattedValue):
                expr = ast.unparse(value.value)
                parts.append(FILLED.get(expr, "{" + expr + "}"))
        return "".join(parts)
    return None


def code_hints() -> list[tuple[str, str]]:
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        skip = _skipped(tree)
        for node in ast.walk(tree):
            if id(node) in skip:
                continue
            text = _text(node)
            for hint in BACKTICKED.findall(text or ""):
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", hint))  # type: ignore[attr-defined]
    return found


def example_config_hints() -> list[tuple[str, str]]:
    found = []
    lines = (ROOT / "twophase.yml.example").read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, 1):
        comment = line.partition("#")[2]
        for hint in BACKTICKED.findall(comment):
            found.append((f"twophase.yml.example:{number}", hint))
    return found


def help_examples() -> list[tuple[str, str]]:
    found = []
    for path, command in [("", click.Command("twophase")), *all_commands()]:
        if not path:
            from twophase.cli.main import cli

            command = cli
        epilog = command.epilog or ""
        for line in epilog.splitlines():
            if line.strip().startswith("twophase"):
                found.append((f"twophase {path} --help".replace("  ", " "), line.strip()))
    return found


HINTS = code_hints() + example_config_hints()


def test_hints_are_found() -> None:
    """The collection itself works: the hints this test exists for are among those found."""
    hints = {hint for _, hint in HINTS}
    assert "twophase infra up -e prod" in hints  # from `twophase infra up -e {deps.scope.env}`
    assert "twophase infra up -e ENV" in hints  # twophase.yml.example's header
    assert len(HINTS) >= 10


@pytest.mark.parametrize(("where", "hint"), HINTS, ids=[f"{w} {h}" for w, h in HINTS])
def test_every_hint_parses(where: str, hint: str) -> None:
    try:
        parse(hint)
    except click.UsageError as exc:
        pytest.fail(f"{where}: `{hint}` is not a command twophase accepts: {exc.format_message()}")


EXAMPLES = help_examples()


@pytest.mark.parametrize(("where", "example"), EXAMPLES, ids=[e for _, e in EXAMPLES])
def test_every_help_example_parses(
    where: str, example: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "event.json").write_text("{}")  # the file an example sends must exist
    try:
        parse(example)
    except click.UsageError as exc:
        pytest.fail(f"{where}: `{example}` does not parse: {exc.format_message()}")


@pytest.mark.parametrize(
    "line",
    [
        "twophase infra up --bogus",
        "twophase infraa up",
        "twophase infra upp",
        "twophase push api --jobs many",
        "twophase alias promote api --interval soon",
        "twophase alias promote",
        "twophase --output yaml status",
        "twophase status --output yaml",
        "twophase init -e",
    ],
)
def test_a_command_the_cli_refuses_fails_to_parse(line: str) -> None:
    """So that the tests above can fail."""
    with pytest.raises(click.UsageError):
        parse(line)


def test_an_unknown_placeholder_fails() -> None:
    with pytest.raises(AssertionError, match="unknown placeholder"):
        parse("twophase push WHATEVER")


def test_the_examples_helper_keeps_commands_on_their_own_lines() -> None:
    text = examples("twophase push api -e prod", note="A note.")
    assert "\b\n  twophase push api -e prod\n" in text
    assert text.endswith("`twophase --help` lists them.")
