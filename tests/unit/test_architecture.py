"""The architecture is a contract: pyproject.toml's [tool.importlinter] section, checked here.

Arrows point down only (cli > phase one > phase two > dummies > build, aws > names > config >
base), the embedded AWS imports nothing of the product, and only the CLI reaches it. Each contract
is also shown to fail: a copy of the package with one wrong import breaks exactly that contract.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def _lint(project: Path, source_root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(source_root)}
    return subprocess.run(
        [str(LINT), "--no-cache"],
        cwd=project,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_package_keeps_every_contract() -> None:
    result = _lint(ROOT, ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.fixture(scope="module")
def copy_of_the_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package's Python files and the contracts, in a folder of their own."""
    where = tmp_path_factory.mktemp("architecture")
    shutil.copytree(
        ROOT / "twophase",
        where / "twophase",
        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"),
    )
    shutil.copy(ROOT / "pyproject.toml", where / "pyproject.toml")
    return where


@pytest.mark.parametrize(
    ("module", "wrong_import", "broken"),
    [
        ("names.py", "import twophase.cli.main", "Layers"),
        ("release/status.py", "import twophase.infra.up", "Layers"),
        ("local/server.py", "import twophase.errors", "imports nothing of the product"),
        ("infra/traffic.py", "import twophase.local.lifecycle", "Only the CLI reaches"),
    ],
)
def test_a_wrong_import_breaks_its_contract(
    copy_of_the_package: Path, module: str, wrong_import: str, broken: str
) -> None:
    path = copy_of_the_package / "twophase" / module
    original = path.read_text()
    path.write_text(original + f"\n{wrong_import}  # noqa: E402\n")
    try:
        result = _lint(copy_of_the_package, copy_of_the_package)
    finally:
        path.write_text(original)
    assert result.returncode == 1, result.stdout
    broken_lines = [line for line in result.stdout.splitlines() if line.endswith("BROKEN")]
    assert len(broken_lines) == 1 and broken in broken_lines[0], result.stdout
