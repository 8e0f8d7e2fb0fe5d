"""Folder zips: byte-identical to detzip, deterministic anywhere, ignore rules, the cache."""

from __future__ import annotations

import io
import os
import shutil
import zipfile
from pathlib import Path

import pytest

from twophase.build import build_artifact
from twophase.build.detzip import Entry, build_zip, code_sha256
from twophase.build.fastzip import write_zip
from twophase.build.sources import collect
from twophase.config.model import Function
from twophase.reporter import NullReporter

OLD = 1_600_000_000  # a settled mtime, far from now


def function(source: Path, runtime: str = "python3.12", handler: str = "app.handler") -> Function:
    return Function(
        name="api",
        handler=handler,
        runtime=runtime,
        source=source,
        image=None,
        architecture="arm64",
        memory=256,
        timeout=10,
        description=None,
        environment={},
        policies=(),
        owners=(),
        trigger=None,
        log_retention_days=14,
    )


def write_tree(root: Path, files: dict[str, bytes], mtime: int = OLD) -> Path:
    for name, data in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        os.utime(path, (mtime, mtime))
    return root


TREE = {
    "app.py": b"def handler(event, context):\n    return 1\n",
    "lib/util.py": b"X = 1\n" * 500,
    "lib/data.bin": bytes(range(256)) * 40,
    "empty.txt": b"",
    "caf\u00e9/menu.txt": "cr\u00e8me".encode(),
    "__pycache__/app.cpython-312.pyc": b"junk",
    "lib/old.pyc": b"junk",
    ".git/HEAD": b"ref: refs/heads/main\n",
    ".venv/bin/python": b"junk",
    "notes/draft.md": b"secret",
    "notes/keep.md": b"kept",
    ".twophaseignore": b"notes/*\n!notes/keep.md\n*.log\n",
    "debug.log": b"log",
}


def names_in(artifact_path: Path) -> list[str]:
    with zipfile.ZipFile(artifact_path) as zf:
        return zf.namelist()


def test_parallel_zip_is_byte_identical_to_detzip(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "src", TREE)
    (root / "run.sh").write_bytes(b"#!/bin/sh\n")
    (root / "run.sh").chmod(0o755)
    files = collect(root)
    out = io.BytesIO()
    result = write_zip(files, out, workers=3)
    expected = build_zip(Entry(f.name, f.path.read_bytes(), f.executable) for f in files)
    assert out.getvalue() == expected
    assert result.size == len(expected)
    assert result.unzipped_size == sum(f.size for f in files)


def test_folder_zip_leaves_out_ignored_and_generated_files(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "src", TREE)
    artifact = build_artifact(function(root), cache_dir=tmp_path / "cache", reporter=NullReporter())
    assert artifact.path is not None
    assert names_in(artifact.path) == [
        "app.py",
        "caf\u00e9/menu.txt",
        "empty.txt",
        "lib/data.bin",
        "lib/util.py",
        "notes/keep.md",
    ]


def test_folder_zip_has_fixed_times_normalised_modes_and_no_directories(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "src", {"app.py": b"x", "bin/tool": b"#!/bin/sh\n"})
    (root / "bin/tool").chmod(0o700)
    (root / "app.py").chmod(0o600)
    artifact = build_artifact(function(root), cache_dir=tmp_path / "cache", reporter=NullReporter())
    assert artifact.path is not None
    with zipfile.ZipFile(artifact.path) as zf:
        modes = {i.filename: (i.external_attr >> 16) & 0o7777 for i in zf.infolist()}
        assert {i.date_time for i in zf.infolist()} == {(1980, 1, 1, 0, 0, 0)}
    assert modes == {"app.py": 0o644, "bin/tool": 0o755}
    assert artifact.kind == "zip"
    assert artifact.code_sha256 == code_sha256(artifact.path.read_bytes())
    assert artifact.path.name == f"{artifact.hexdigest}.zip"


def test_same_sources_in_other_folders_at_other_times_give_the_same_sha(tmp_path: Path) -> None:
    first = write_tree(tmp_path / "one" / "src", TREE, mtime=OLD)
    second = tmp_path / "elsewhere" / "deeper" / "copy"
    shutil.copytree(first, second)
    for path in second.rglob("*"):
        os.utime(path, (OLD + 86_400 * 365, OLD + 86_400 * 365))
    a = build_artifact(function(first), cache_dir=tmp_path / "c1", reporter=NullReporter())
    b = build_artifact(function(second), cache_dir=tmp_path / "c2", reporter=NullReporter())
    assert a.code_sha256 == b.code_sha256
    assert a.size == b.size


def test_content_change_changes_the_sha(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "src", TREE)
    cache = tmp_path / "cache"
    before = build_artifact(function(root), cache_dir=cache, reporter=NullReporter())
    write_tree(root, {"lib/util.py": b"X = 2\n"}, mtime=OLD + 10)
    after = build_artifact(function(root), cache_dir=cache, reporter=NullReporter())
    assert before.code_sha256 != after.code_sha256


def test_unchanged_tree_is_not_zipped_again(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "src", TREE)
    cache = tmp_path / "cache"
    first = build_artifact(function(root), cache_dir=cache, reporter=NullReporter())
    assert first.path is not None
    stamp = first.path.stat()
    second = build_artifact(function(root), cache_dir=cache, reporter=NullReporter())
    assert second == first
    again = first.path.stat()
    assert (again.st_ino, again.st_mtime_ns) == (stamp.st_ino, stamp.st_mtime_ns)


def test_same_size_edit_within_the_same_mtime_is_not_missed(tmp_path: Path) -> None:
    import time

    now = int(time.time())
    root = write_tree(tmp_path / "src", TREE, mtime=now)
    cache = tmp_path / "cache"
    first = build_artifact(function(root), cache_dir=cache, reporter=NullReporter())
    write_tree(root, {"lib/util.py": b"Y = 1\n" * 500}, mtime=now)  # same size, same mtime
    second = build_artifact(function(root), cache_dir=cache, reporter=NullReporter())
    assert second.code_sha256 != first.code_sha256


@pytest.mark.parametrize("workers", [1, 4])
def test_worker_count_does_not_change_the_bytes(tmp_path: Path, workers: int) -> None:
    root = write_tree(
        tmp_path / "src", {f"f{i:03}.txt": os.urandom(64) * (i + 1) for i in range(60)}
    )
    one, many = io.BytesIO(), io.BytesIO()
    write_zip(collect(root), one, workers=1)
    write_zip(collect(root), many, workers=workers)
    assert one.getvalue() == many.getvalue()


def test_a_cache_inside_the_source_folder_is_never_zipped(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "project", {"app.py": b"def handler(e, c): pass\n"})
    cache = root / "build-cache"
    first = build_artifact(function(root), cache_dir=cache, reporter=NullReporter())
    write_tree(root, {".twophase/state.json": b"{}"})
    second = build_artifact(function(root), cache_dir=cache, reporter=NullReporter())
    assert second.code_sha256 == first.code_sha256
    assert second.path is not None
    assert names_in(second.path) == ["app.py"]
