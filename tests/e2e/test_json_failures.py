"""With `--output json`, every command prints its envelope on stdout on every failure path.

The matrix walks every command the CLI has (new ones join by themselves): a usage error from
click, a missing argument, an invalid twophase.yml (every problem listed, each with its YAML path
and line), an unknown environment, an unknown function; and, per command, the operation failures
met before anything is deployed (AWS says not found, no credentials, a refusal). Each case checks
that stdout is exactly one envelope with `status: "error"`, the exit code the process returned, and
a non-empty `errors` list, and that stderr says each error once.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest

from tests.e2e.helpers import CliResult, run_cli
from tests.unit.cli_parse import all_commands

COMMANDS = dict(all_commands())
NO_CONFIG = {"init", "schema", "local", "local start", "local stop", "local status"}
GROUPS = {path for path, command in COMMANDS.items() if isinstance(command, click.Group)}
READS_CONFIG = sorted(set(COMMANDS) - NO_CONFIG - GROUPS)
NO_ENVIRONMENT = {
    "build",  # builds the same artifact for every environment
    "env list",  # read every environment of the app, whichever -e names
    "env prune",
}
BAD_CONFIG = """\
app: shop
environments:
  local: {endpoint: local}
functions:
  api:
    handlr: app.handler
    source: examples/shop/services/api
    memory: 51
"""


def _arguments(command: click.Command) -> list[click.Argument]:
    return [p for p in command.params if isinstance(p, click.Argument)]


def _takes_functions(path: str) -> bool:
    return any(a.name in ("function", "functions") for a in _arguments(COMMANDS[path]))


def _needs_argument(path: str) -> bool:
    return any(a.required for a in _arguments(COMMANDS[path]))


def _sample_args(path: str) -> list[str]:
    """A command line that gets past argument parsing (a function for those that take one)."""
    return ["api"] if _takes_functions(path) else []


def envelope(result: CliResult, command: str, exit_code: int) -> dict[str, Any]:
    assert result.exit_code == exit_code, (result.stdout, result.stderr)
    doc = json.loads(result.stdout)  # exactly one JSON document, nothing else on stdout
    assert isinstance(doc, dict)
    assert doc["version"] == 1
    assert (doc["command"], doc["status"], doc["exit_code"]) == (command, "error", exit_code)
    assert isinstance(doc["errors"], list) and doc["errors"]
    assert all(isinstance(e, str) and e for e in doc["errors"])
    for error in doc["errors"]:  # said on stderr too, once
        assert result.stderr.count(error) <= 1, result.stderr
    return doc


@pytest.mark.parametrize("path", sorted(COMMANDS))
def test_a_usage_error_is_an_envelope(
    path: str, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, *path.split(), "--no-such-option", "--output", "json")
    doc = envelope(result, path, 2)
    assert "No such option '--no-such-option'" in doc["errors"][0]


@pytest.mark.parametrize("path", [p for p in sorted(COMMANDS) if _needs_argument(p)])
def test_a_missing_argument_is_an_envelope(
    path: str, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "--output", "json", *path.split())
    doc = envelope(result, path, 2)
    assert "Missing argument" in doc["errors"][0]


@pytest.mark.parametrize("path", READS_CONFIG)
def test_an_invalid_config_lists_every_problem(
    path: str, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    app.write_text(BAD_CONFIG)
    result = run_cli(capsys, *path.split(), *_sample_args(path), "--output", "json")
    doc = envelope(result, path, 2)
    assert doc["errors"] == [
        "twophase.yml: functions.api.handler (line 5): is missing; add `handler:`",
        "twophase.yml: functions.api.handlr (line 6): unknown key 'handlr'; did you mean "
        "'handler'?",
        "twophase.yml: functions.api.memory (line 8): must be between 128 and 10240",
    ]
    assert result.stderr.splitlines() == [f"error: {e}" for e in doc["errors"]]


@pytest.mark.parametrize("path", sorted(set(READS_CONFIG) - NO_ENVIRONMENT))
def test_an_unknown_environment_is_an_envelope(
    path: str, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, *path.split(), *_sample_args(path), "-e", "nope", "--output", "json")
    doc = envelope(result, path, 2)
    assert doc["errors"][0].startswith("unknown environment 'nope'")


@pytest.mark.parametrize("path", [p for p in READS_CONFIG if _takes_functions(p)])
def test_an_unknown_function_is_an_envelope(
    path: str, app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, *path.split(), "nope", "--output", "json")
    doc = envelope(result, path, 2)
    assert doc["errors"] == [
        "unknown function 'nope' (use one of: api, nightly, worker (declared under `functions:`))"
    ]
    assert result.stderr.splitlines() == [f"error: {doc['errors'][0]}"]


# Failures of the operation itself, before anything is deployed: (command, args, exit code, what
# the error says).
OPERATIONS: list[tuple[str, list[str], int, str]] = [
    ("push", ["api"], 1, "shop-local-api"),
    ("push", ["--all"], 1, "shop-local-worker"),
    ("alias promote", ["api"], 1, "shop-local-api"),
    ("alias promote", ["api", "--to", "production"], 2, "production"),
    ("alias promote", ["api", "--canary", "10", "--linear", "5"], 2, "exclude each other"),
    ("logs", ["api"], 1, "/aws/lambda/shop-local-api not found"),
    ("alias rollback", ["api"], 1, "shop-local-api"),
    ("releases", ["api"], 1, "shop-local-api"),
    ("invoke", ["api"], 1, "shop-local-api"),
    ("infra plan", ["--exit-code"], 3, "pending"),
    ("infra down", ["-e", "prod", "--yes"], 4, "protected"),
    ("infra up", ["-e", "prod", "--yes"], 2, "profile"),
    ("infra render", ["-e", "prod"], 2, "profile"),
    ("whoami", ["-e", "prod"], 2, "profile"),
    ("policy", ["api", "-e", "prod"], 2, "profile"),
    ("logs", ["api", "-e", "prod"], 2, "profile"),
    ("init", [], 2, "already exists"),
    ("build", ["api"], 2, "handler"),
]


@pytest.mark.parametrize(
    ("path", "args", "code", "says"),
    OPERATIONS,
    ids=[f"{o[0]} {' '.join(o[1])}" for o in OPERATIONS],
)
def test_an_operation_failure_is_an_envelope(
    path: str,
    args: list[str],
    code: int,
    says: str,
    app: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if path == "build":  # the handler's file is gone
        (app.parent / "examples" / "shop" / "services" / "api" / "app.py").unlink()
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-aws-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-aws-credentials"))
    result = run_cli(capsys, *path.split(), *args, "--output", "json")
    doc = envelope(result, path, code)
    assert any(says in e for e in doc["errors"]), doc["errors"]


def test_the_operations_name_commands_that_exist() -> None:
    assert {path for path, *_ in OPERATIONS} <= set(COMMANDS)
    assert len({path for path, *_ in OPERATIONS}) >= 12


def test_an_unknown_command_is_an_envelope(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--output", "json", "deploy")
    doc = envelope(result, "twophase", 2)
    assert "No such command 'deploy'" in doc["errors"][0]
