"""`twophase init` through the CLI: writes a config twophase then reads, never overwrites one."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.e2e.helpers import ROOT, run_cli


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "shop"
    shutil.copytree(ROOT / "examples", root / "examples")
    monkeypatch.chdir(root)
    return root


def test_init_writes_a_config_the_other_commands_read(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "init")

    assert result.exit_code == 0, result.stderr
    assert "wrote twophase.yml for app shop, with 3 function(s)" in result.stdout
    rendered = run_cli(capsys, "-e", "local", "infra", "render", "--offline")
    assert rendered.exit_code == 0, rendered.stderr
    resources = json.loads(rendered.stdout)["Resources"]
    assert {"ApiFunction", "NightlyFunction", "WorkerFunction"} <= set(resources)
    assert resources["WorkerFunction"]["Properties"]["Runtime"] == "nodejs22.x"


def test_init_never_overwrites_a_config(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (project / "twophase.yml").write_text("app: mine\n")

    result = run_cli(capsys, "init")

    assert result.exit_code == 2
    assert "already exists" in result.stderr and "Traceback" not in result.stderr
    assert (project / "twophase.yml").read_text() == "app: mine\n"


def test_a_folder_without_functions_is_one_clear_error_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "README.md").write_text("nothing here\n")

    result = run_cli(capsys, "init")

    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "no function folders found" in result.stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["README.md"]


def test_a_bad_app_name_is_refused(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "init", "--app", "Bad_Name")

    assert result.exit_code == 2 and "--app" in result.stderr
    assert not (project / "twophase.yml").exists()


def test_init_speaks_json(project: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--output", "json", "init", "--app", "store")

    doc = json.loads(result.stdout)
    assert doc["command"] == "init" and doc["data"]["app"] == "store"
    assert [f["name"] for f in doc["data"]["functions"]] == ["api", "nightly", "worker"]
