"""Node.js functions: production dependencies from the lock file, refused native modules."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

import pytest

from twophase.build import BuildOptions, build_artifact
from twophase.errors import BuildError
from twophase.reporter import RecordingReporter

from .test_build_python import CountingRunner
from .test_build_zip import function, write_tree

FIXTURES = Path(__file__).parent.parent / "fixtures" / "build"

pytestmark = pytest.mark.skipif(shutil.which("npm") is None, reason="npm is not installed")


def node_function(tmp_path: Path, fixture: str) -> Path:
    root = tmp_path / fixture
    shutil.copytree(FIXTURES / fixture, root)
    return root


def test_lock_file_dependencies_are_installed_and_cached(tmp_path: Path) -> None:
    root = node_function(tmp_path, "node-app")
    write_tree(root, {"node_modules/stale/index.js": b"left over from a dev install"})
    runner = CountingRunner()
    options = BuildOptions(run=runner)
    fn = function(root, runtime="nodejs20.x", handler="index.handler")
    first = build_artifact(
        fn, cache_dir=tmp_path / "cache", reporter=RecordingReporter(), options=options
    )
    assert first.path is not None
    names = zipfile.ZipFile(first.path).namelist()
    assert "node_modules/tiny/index.js" in names
    assert "node_modules/stale/index.js" not in names  # the lock file decides, not the checkout
    assert "node_modules/.package-lock.json" not in names
    assert runner.calls[0][:2] == ["npm", "ci"] and "--omit=dev" in runner.calls[0]
    second = build_artifact(
        fn, cache_dir=tmp_path / "cache", reporter=RecordingReporter(), options=options
    )
    assert len(runner.calls) == 1
    assert second.code_sha256 == first.code_sha256


def test_native_module_is_refused(tmp_path: Path) -> None:
    root = node_function(tmp_path, "node-native")
    fn = function(root, runtime="nodejs20.x", handler="index.handler")
    with pytest.raises(BuildError) as err:
        build_artifact(fn, cache_dir=tmp_path / "cache", reporter=RecordingReporter())
    message = str(err.value)
    assert "fastnative is a native Node.js module" in message
    assert "\n" not in message


def test_without_a_lock_file_the_folder_is_zipped_as_is(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "src",
        {"package.json": b"{}", "index.js": b"exports.handler = 1;", "node_modules/x/i.js": b"1"},
    )
    runner = CountingRunner()
    fn = function(root, runtime="nodejs20.x", handler="index.handler")
    artifact = build_artifact(
        fn,
        cache_dir=tmp_path / "cache",
        reporter=RecordingReporter(),
        options=BuildOptions(run=runner),
    )
    assert artifact.path is not None
    assert "node_modules/x/i.js" in zipfile.ZipFile(artifact.path).namelist()
    assert runner.calls == []
