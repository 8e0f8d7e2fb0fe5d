"""The fixed ignore rules without pathspec give exactly pathspec's answers."""

from __future__ import annotations

from pathlib import Path

import pathspec
import pytest

from twophase.build.ignore import ALWAYS_IGNORED, AlwaysIgnored, ignore_spec
from twophase.build.sources import collect

PATHS = [
    "app.py",
    "app.pyc",
    ".pyc",
    "pkg/mod.pyc",
    "pkg/mod.pyc/",
    "pkg/mod.pyc/inner.py",
    "pyc",
    "a.pyc.txt",
    "__pycache__/",
    "__pycache__",
    "__pycache__/app.cpython-311.pyc",
    "pkg/__pycache__/",
    "pkg/__pycache__/x.py",
    "pkg/__pycache__x/",
    ".git/",
    ".git",
    "vendor/.git/",
    "vendor/.git/HEAD",
    ".gitignore",
    ".venv/",
    "sub/.venv/lib/site.py",
    ".venv",
    ".twophase/",
    ".twophase/cache/x.zip",
    ".twophase",
    "sub/.twophase/",
    "sub/.twophase/x",
    ".twophaseignore",
    ".twophaseignore/",
    "sub/.twophaseignore",
    "x.twophase/",
    "deep/a/b/c/d.py",
]


@pytest.mark.parametrize("path", PATHS)
def test_always_ignored_matches_like_gitignore(path: str) -> None:
    reference = pathspec.GitIgnoreSpec.from_lines(ALWAYS_IGNORED)

    assert AlwaysIgnored().match_file(path) == reference.match_file(path)


def test_an_ignore_file_or_extra_rules_use_gitignore_patterns(tmp_path: Path) -> None:
    (tmp_path / "keep.py").write_text("x")
    (tmp_path / "notes.md").write_text("x")
    (tmp_path / "build").mkdir()
    (tmp_path / "build/out.js").write_text("x")

    assert ignore_spec(tmp_path).user is None  # no ignore file: pathspec is not even imported
    names = [f.name for f in collect(tmp_path, spec=ignore_spec(tmp_path, {"build/": "output"}))]
    assert names == ["keep.py", "notes.md"]
    (tmp_path / ".twophaseignore").write_text("*.md\n")
    names = [f.name for f in collect(tmp_path, spec=ignore_spec(tmp_path))]
    assert names == ["build/out.js", "keep.py"]
