"""twophase.yml (or twophase.yaml) is found in the current folder or the nearest parent, like
git, unless -c/--config or TWOPHASE_CONFIG names one; relative paths in it stay relative to its
folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.helpers import copy_example_app
from twophase.cli.context import AppContext, GlobalOptions, find_config
from twophase.cli.main import run
from twophase.errors import ConfigError, UsageError

CONFIG = """\
app: shop
environments:
  dev: {region: eu-west-1}
functions:
  api:
    handler: app.handler
    source: src
"""


@pytest.fixture(autouse=True)
def _clean(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TWOPHASE_CONFIG", raising=False)
    monkeypatch.delenv("TWOPHASE_ENV", raising=False)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    root = tmp_path / "shop"
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (root / "services" / "api" / "deep").mkdir(parents=True)
    (root / "twophase.yml").write_text(CONFIG)
    return root


def _app(**options: str) -> AppContext:
    return AppContext(GlobalOptions(**options))  # type: ignore[arg-type]


def test_found_in_the_current_folder(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(project)
    assert _app().config_path == Path("twophase.yml")


def test_found_in_the_nearest_parent_with_paths_relative_to_it(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "services" / "api" / "deep")
    app = _app()
    assert app.config_path == project / "twophase.yml"
    settings = app.settings
    assert settings.root == project
    assert settings.functions["api"].source == project / "src"
    assert (project / ".twophase" / "cache" / "config.json").is_file()  # next to the config
    assert not (project / "services" / "api" / "deep" / ".twophase").exists()


def test_the_nearest_wins(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    nested = project / "services" / "api"
    (nested / "twophase.yml").write_text(CONFIG.replace("app: shop", "app: api"))
    (nested / "src").mkdir()
    monkeypatch.chdir(nested / "deep")
    assert _app().settings.app == "api"


def test_twophase_yaml_is_found_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "twophase.yaml").write_text(CONFIG)
    (tmp_path / "src").mkdir()
    (tmp_path / "sub").mkdir()
    monkeypatch.chdir(tmp_path / "sub")
    assert _app().config_path == tmp_path / "twophase.yaml"
    assert _app().settings.app == "shop"


def test_both_names_in_one_folder_is_refused(tmp_path: Path) -> None:
    (tmp_path / "twophase.yml").write_text(CONFIG)
    (tmp_path / "twophase.yaml").write_text(CONFIG)
    with pytest.raises(UsageError, match=r"both .*twophase\.yml and twophase\.yaml exist"):
        find_config(tmp_path)


def test_config_option_and_variable_are_taken_as_given(
    project: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(project / "services")
    assert _app(config_path="other.yml").config_path == Path("other.yml")
    monkeypatch.setenv("TWOPHASE_CONFIG", "else.yml")
    assert _app().config_path == Path("else.yml")
    with pytest.raises(ConfigError, match=r"else\.yml: no such config file"):
        _ = _app().settings  # named, so not searched for


def test_none_here_or_above(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(ConfigError) as info:
        _ = _app().settings
    assert str(info.value).startswith(f"no twophase.yml (or twophase.yaml) in {tmp_path} or any")
    assert "twophase init" in str(info.value)


def test_the_cli_from_a_subfolder_renders_the_same_template(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    copy_example_app(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert run(["infra", "render", "--offline", "-e", "dev"]) == 0
    at_root = capsys.readouterr().out
    monkeypatch.chdir(tmp_path / "examples" / "shop")
    assert run(["infra", "render", "--offline", "-e", "dev"]) == 0
    below = capsys.readouterr().out
    assert below == at_root
    assert json.loads(below)["Resources"]


def test_init_writes_here_even_below_a_config(
    project: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    service = project / "services" / "api"
    (service / "app.py").write_text("def handler(event, context):\n    return 1\n")
    monkeypatch.chdir(service)
    assert run(["init"]) == 0, capsys.readouterr().err
    assert (service / "twophase.yml").is_file()
    assert (project / "twophase.yml").read_text() == CONFIG
