"""An invalid twophase.yml lists every problem (up to MAX_PROBLEMS), each with its YAML path and
line, in the order of the file: one `error:` line each, and each in a JSON envelope's `errors`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from twophase.cli.main import run
from twophase.config.load import MAX_PROBLEMS, load_config
from twophase.errors import ConfigError

HEAD = """\
app: shop
environments:
  dev: {region: eu-west-1}
functions:
"""


def _function(name: str, memory: int = 256) -> str:
    return f"  {name}:\n    handler: app.handler\n    source: src\n    memory: {memory}\n"


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "src").mkdir()
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TWOPHASE_CONFIG", raising=False)
    return tmp_path


def _error(project: Path, text: str) -> ConfigError:
    (project / "twophase.yml").write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(project / "twophase.yml")
    return info.value


def test_every_problem_is_listed_in_file_order(project: Path) -> None:
    text = HEAD + _function("b", memory=51) + "    handlr: x\n" + _function("a", memory=99999)
    error = _error(project, text)
    path = project / "twophase.yml"
    assert error.lines() == (
        f"{path}: functions.b.memory (line 8): must be between 128 and 10240",
        f"{path}: functions.b.handlr (line 9): unknown key 'handlr'; did you mean 'handler'?",
        f"{path}: functions.a.memory (line 13): must be between 128 and 10240",
    )
    assert str(error) == f"{error.lines()[0]} (and 2 more problems)"  # one line, for logs


def test_one_problem_is_one_line(project: Path) -> None:
    error = _error(project, HEAD + _function("a", memory=51))
    assert error.lines() == (str(error),) and "more problem" not in str(error)


def test_at_most_max_problems_then_how_many_more(project: Path) -> None:
    text = HEAD + "".join(_function(f"f{i:02}", memory=1) for i in range(MAX_PROBLEMS + 5))
    lines = _error(project, text).lines()
    assert len(lines) == MAX_PROBLEMS + 1
    assert all("memory (line" in line for line in lines[:MAX_PROBLEMS])
    assert lines[-1].endswith("5 more problems not shown; fix these first")


def test_the_cli_says_each_problem_once(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "twophase.yml").write_text(HEAD + _function("a", memory=51) + "    handlr: x\n")
    assert run(["infra", "render", "--offline"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.splitlines() == [
        "error: twophase.yml: functions.a.memory (line 8): must be between 128 and 10240",
        "error: twophase.yml: functions.a.handlr (line 9): unknown key 'handlr'; did you mean "
        "'handler'?",
    ]
    assert run(["infra", "render", "--offline", "--output", "json"]) == 2
    out, err = capsys.readouterr()
    assert json.loads(out)["errors"] == [line.removeprefix("error: ") for line in err.splitlines()]
