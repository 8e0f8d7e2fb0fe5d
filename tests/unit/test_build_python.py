"""Python dependencies for Lambda's platform, from a local wheelhouse (no registry needed)."""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import io
import os
import tarfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from twophase.build import BuildOptions, CommandResult, build_artifact
from twophase.build.model import run_subprocess
from twophase.build.python_deps import python_target
from twophase.config.model import Architecture
from twophase.errors import BuildError
from twophase.reporter import RecordingReporter

from .test_build_zip import function, write_tree

X86 = "cp312-cp312-manylinux_2_17_x86_64.manylinux2014_x86_64"
ARM = "cp312-cp312-manylinux_2_17_aarch64.manylinux2014_aarch64"
MAC = "cp312-cp312-macosx_11_0_arm64"


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def write_wheel(house: Path, dist: str, version: str, tag: str, files: dict[str, bytes]) -> Path:
    """A minimal valid wheel, written directly (no build backend, no network)."""
    info = f"{dist}-{version}.dist-info"
    python, abi, platform = tag.split("-")
    files = {
        **files,
        f"{info}/METADATA": f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n".encode(),
        f"{info}/WHEEL": (
            "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: false\n"
            + "".join(f"Tag: {python}-{abi}-{p}\n" for p in platform.split("."))
        ).encode(),
    }
    record = "\n".join(_record_line(n, d) for n, d in files.items()) + f"\n{info}/RECORD,,\n"
    path = house / f"{dist}-{version}-{tag}.whl"
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in files.items():
            zf.writestr(name, data)
        zf.writestr(f"{info}/RECORD", record)
    return path


def write_sdist(house: Path, dist: str, version: str) -> Path:
    path = house / f"{dist}-{version}.tar.gz"
    with tarfile.open(path, "w:gz") as tf:
        data = b"from setuptools import setup\nsetup()\n"
        member = tarfile.TarInfo(f"{dist}-{version}/setup.py")
        member.size = len(data)
        tf.addfile(member, io.BytesIO(data))
    return path


@pytest.fixture(scope="module")
def wheelhouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    house = tmp_path_factory.mktemp("wheelhouse")
    for tag, machine in ((X86, b"x86_64"), (ARM, b"aarch64"), (MAC, b"macos")):
        write_wheel(
            house,
            "fastthing",
            "1.0",
            tag,
            {
                "fastthing/__init__.py": b"from ._speed import *\n",
                "fastthing/_speed.cpython-312-linux-gnu.so": b"\x7fELF fake " + machine,
            },
        )
    write_wheel(house, "purething", "2.0", "py3-none-any", {"purething.py": b"PURE = True\n"})
    write_sdist(house, "sdistonly", "0.1")
    return house


@dataclass
class CountingRunner:
    """Runs commands for real and counts them."""

    calls: list[list[str]] = field(default_factory=list)

    def __call__(self, argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> CommandResult:
        self.calls.append(list(argv))
        return run_subprocess(argv, cwd, env)


def offline(house: Path, runner: CountingRunner | None = None) -> BuildOptions:
    return BuildOptions(no_index=True, find_links=(str(house),), run=runner or CountingRunner())


def python_app(root: Path, requirements: str) -> Path:
    return write_tree(
        root,
        {
            "app.py": b"import fastthing\ndef handler(e, c): pass\n",
            "requirements.txt": requirements.encode(),
        },
    )


def speed_module(artifact_path: Path) -> bytes:
    with zipfile.ZipFile(artifact_path) as zf:
        return zf.read("fastthing/_speed.cpython-312-linux-gnu.so")


@pytest.mark.parametrize(
    ("architecture", "machine"), [("arm64", b"aarch64"), ("x86_64", b"x86_64")]
)
def test_dependency_wheel_matches_the_function_architecture(
    tmp_path: Path, wheelhouse: Path, architecture: Architecture, machine: bytes
) -> None:
    root = python_app(tmp_path / "src", "fastthing==1.0\npurething\n")
    fn = dataclasses.replace(function(root), architecture=architecture)
    artifact = build_artifact(
        fn, cache_dir=tmp_path / "cache", reporter=RecordingReporter(), options=offline(wheelhouse)
    )
    assert artifact.path is not None
    assert speed_module(artifact.path) == b"\x7fELF fake " + machine
    with zipfile.ZipFile(artifact.path) as zf:
        names = zf.namelist()
    assert "purething.py" in names and "app.py" in names
    assert not [n for n in names if n.endswith(("RECORD", "INSTALLER", "direct_url.json"))]
    assert not [n for n in names if n.endswith(".pyc") or n.startswith("bin/")]


def test_sdist_only_dependency_fails_with_one_clear_line(tmp_path: Path, wheelhouse: Path) -> None:
    root = python_app(tmp_path / "src", "sdistonly\n")
    with pytest.raises(BuildError) as err:
        build_artifact(
            function(root),
            cache_dir=tmp_path / "cache",
            reporter=RecordingReporter(),
            options=offline(wheelhouse),
        )
    message = str(err.value)
    assert "\n" not in message
    assert "no wheel of sdistonly for python 3.12 manylinux aarch64" in message
    assert "pin a version" in message
    assert not list((tmp_path / "cache" / "deps" / "python").glob("[0-9a-f]*"))  # nothing cached


def test_unchanged_dependencies_are_not_installed_again(tmp_path: Path, wheelhouse: Path) -> None:
    runner = CountingRunner()
    options = offline(wheelhouse, runner)
    cache = tmp_path / "cache"
    root = python_app(tmp_path / "src", "fastthing==1.0\n")
    reporter = RecordingReporter()
    first = build_artifact(function(root), cache_dir=cache, reporter=reporter, options=options)
    write_tree(
        root, {"app.py": b"import fastthing\ndef handler(e, c): return 2\n"}, mtime=1_600_000_100
    )
    second = build_artifact(function(root), cache_dir=cache, reporter=reporter, options=options)
    assert len(runner.calls) == 1
    assert first.code_sha256 != second.code_sha256  # the code changed, the dependencies did not
    assert any("unchanged" in m for m in reporter.messages)
    other_arch = dataclasses.replace(function(root), architecture="x86_64")
    build_artifact(other_arch, cache_dir=cache, reporter=reporter, options=options)
    assert len(runner.calls) == 2  # another target is another dependency set


def test_pip_targets_lambda_and_not_this_machine(tmp_path: Path, wheelhouse: Path) -> None:
    runner = CountingRunner()
    root = python_app(tmp_path / "src", "fastthing==1.0\n")
    build_artifact(
        function(root),
        cache_dir=tmp_path / "c",
        reporter=RecordingReporter(),
        options=offline(wheelhouse, runner),
    )
    argv = runner.calls[0]
    platforms = {argv[i + 1] for i, a in enumerate(argv) if a == "--platform"}
    assert {
        "manylinux2014_aarch64",
        "manylinux_2_17_aarch64",
        "manylinux_2_34_aarch64",
    } <= platforms
    assert not [p for p in platforms if "x86_64" in p or "macos" in p]
    assert argv[argv.index("--python-version") + 1] == "3.12"
    assert "--only-binary=:all:" in argv and argv[argv.index("--implementation") + 1] == "cp"


def test_al2_runtimes_stop_at_glibc_2_26() -> None:
    target = python_target(
        dataclasses.replace(function(Path(".")), runtime="python3.11", architecture="x86_64")
    )
    assert "manylinux_2_26_x86_64" in target.platforms
    assert "manylinux_2_28_x86_64" not in target.platforms
    assert "manylinux1_x86_64" in target.platforms


def test_dependency_builds_are_identical_in_other_folders_and_caches(
    tmp_path: Path, wheelhouse: Path
) -> None:
    shas = []
    for i, mtime in enumerate((1_600_000_000, 1_700_000_000)):
        root = python_app(tmp_path / f"checkout{i}" / "src", "fastthing==1.0\npurething\n")
        for path in root.rglob("*"):
            os.utime(path, (mtime, mtime))
        artifact = build_artifact(
            function(root),
            cache_dir=tmp_path / f"cache{i}",
            reporter=RecordingReporter(),
            options=offline(wheelhouse),
        )
        shas.append(artifact.code_sha256)
    assert shas[0] == shas[1]


def test_pyproject_dependencies_are_installed(tmp_path: Path, wheelhouse: Path) -> None:
    root = write_tree(
        tmp_path / "src",
        {
            "app.py": b"def handler(e, c): pass\n",
            "pyproject.toml": b'[project]\nname = "fn"\nversion = "0"\n'
            b'dependencies = ["purething"]\n',
        },
    )
    artifact = build_artifact(
        function(root),
        cache_dir=tmp_path / "c",
        reporter=RecordingReporter(),
        options=offline(wheelhouse),
    )
    assert artifact.path is not None
    assert "purething.py" in zipfile.ZipFile(artifact.path).namelist()


@pytest.mark.network
@pytest.mark.skipif(
    os.environ.get("TWOPHASE_NETWORK_TESTS") != "1", reason="needs the package registry"
)
def test_real_native_package_from_the_registry(tmp_path: Path) -> None:
    root = write_tree(
        tmp_path / "src", {"app.py": b"import orjson\n", "requirements.txt": b"orjson\n"}
    )
    artifact = build_artifact(
        function(root), cache_dir=tmp_path / "c", reporter=RecordingReporter()
    )
    assert artifact.path is not None
    names = zipfile.ZipFile(artifact.path).namelist()
    assert any(n.startswith("orjson/") and "aarch64" in n and n.endswith(".so") for n in names)


def test_included_requirements_resolve_and_take_part_in_the_cache_key(
    tmp_path: Path, wheelhouse: Path
) -> None:
    runner = CountingRunner()
    options = offline(wheelhouse, runner)
    root = python_app(tmp_path / "src", "-r common.txt\n")
    write_tree(root, {"common.txt": b"purething\n"})
    cache = tmp_path / "cache"
    first = build_artifact(
        function(root), cache_dir=cache, reporter=RecordingReporter(), options=options
    )
    assert first.path is not None
    assert "purething.py" in zipfile.ZipFile(first.path).namelist()
    write_tree(root, {"common.txt": b"purething\nfastthing==1.0\n"}, mtime=1_600_000_200)
    second = build_artifact(
        function(root), cache_dir=cache, reporter=RecordingReporter(), options=options
    )
    assert second.path is not None
    assert "fastthing/__init__.py" in zipfile.ZipFile(second.path).namelist()
    assert len(runner.calls) == 2
