"""Helpers for end-to-end tests: a copy of the example app, and running the real CLI."""

from __future__ import annotations

import io
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from twophase.cli.main import run

ROOT = Path(__file__).resolve().parents[2]


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> CliResult:
    capsys.readouterr()
    code = run(list(args))
    out, err = capsys.readouterr()
    return CliResult(code, out, err)


def copy_example_app(dest: Path) -> Path:
    """The example app as shipped (config, shared template, sources) in a scratch folder."""
    shutil.copy(ROOT / "twophase.yml.example", dest / "twophase.yml")
    shutil.copytree(ROOT / "infra", dest / "infra")
    shutil.copytree(ROOT / "examples", dest / "examples")
    return dest / "twophase.yml"


def edit_config(path: Path, **changes: Any) -> None:
    """Apply `functions.api.memory=1024`-style edits (keys joined with '__')."""
    doc = yaml.safe_load(path.read_text())
    for dotted, value in changes.items():
        node = doc
        keys = dotted.split("__")
        for key in keys[:-1]:
            node = node.setdefault(key, {})
        node[keys[-1]] = value
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def zip_with(files: dict[str, str]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, text in sorted(files.items()):
            zf.writestr(name, text)
    return buf.getvalue()
