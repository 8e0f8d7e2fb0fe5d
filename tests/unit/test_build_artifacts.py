"""Artifact kinds, Lambda's limits and the handler check, all before any upload."""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import pytest

from twophase.build import Artifact, BuildOptions, Limits, build_artifact, read_artifact
from twophase.build.detzip import Entry, build_zip, code_sha256
from twophase.errors import BuildError, ExitStatus
from twophase.reporter import NullReporter

from .test_build_zip import function, write_tree


def build(
    fn_source: Path, tmp_path: Path, options: BuildOptions | None = None, **kw: str
) -> Artifact:
    return build_artifact(
        function(fn_source, **kw),
        cache_dir=tmp_path / "cache",
        reporter=NullReporter(),
        options=options,
    )


def jar_bytes(entries: dict[str, bytes]) -> bytes:
    return build_zip(Entry(name, data) for name, data in entries.items())


def test_prebuilt_zip_is_pushed_as_is(tmp_path: Path) -> None:
    data = build_zip([Entry("bootstrap", b"\x7fELF", executable=True)])
    path = tmp_path / "function.zip"
    path.write_bytes(data)
    artifact = build(path, tmp_path, runtime="provided.al2023", handler="bootstrap")
    assert artifact.path == path
    assert artifact.kind == "zip"
    assert artifact.code_sha256 == code_sha256(data)
    assert artifact.size == len(data)
    assert artifact.unzipped_size == 4


def test_prebuilt_jar_with_the_handler_class(tmp_path: Path) -> None:
    path = tmp_path / "worker.jar"
    path.write_bytes(jar_bytes({"META-INF/MANIFEST.MF": b"x", "shop/Worker.class": b"\xca\xfe"}))
    artifact = build(path, tmp_path, runtime="java21", handler="shop.Worker::handleRequest")
    assert artifact.kind == "jar"
    assert artifact.path == path


def test_java_zip_with_the_class_in_a_lib_jar(tmp_path: Path) -> None:
    inner = jar_bytes({"shop/Worker.class": b"\xca\xfe"})
    path = tmp_path / "worker.zip"
    path.write_bytes(jar_bytes({"lib/worker-1.0.jar": inner}))
    artifact = build(path, tmp_path, runtime="java21", handler="shop.Worker::handleRequest")
    assert artifact.kind == "zip"


def test_jar_without_the_handler_class_fails(tmp_path: Path) -> None:
    path = tmp_path / "worker.jar"
    path.write_bytes(jar_bytes({"shop/Other.class": b"\xca\xfe"}))
    with pytest.raises(BuildError, match=r"shop/Worker\.class"):
        build(path, tmp_path, runtime="java21", handler="shop.Worker::handleRequest")


def test_image_uri_has_no_file(tmp_path: Path) -> None:
    fn = dataclasses.replace(
        function(None),  # type: ignore[arg-type]
        image="123456789012.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:" + "ab" * 32,
    )
    artifact = build_artifact(fn, cache_dir=tmp_path, reporter=NullReporter())
    assert artifact.kind == "image"
    assert artifact.path is None
    assert artifact.image_uri == fn.image
    assert artifact.hexdigest == "ab" * 32
    assert not artifact.needs_s3


def test_image_in_source(tmp_path: Path) -> None:
    fn = function(tmp_path / "image:repo.example/shop:1.0")
    artifact = build_artifact(fn, cache_dir=tmp_path, reporter=NullReporter())
    assert (artifact.kind, artifact.image_uri) == ("image", "repo.example/shop:1.0")


def test_provided_folder_keeps_bootstrap_executable(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "src", {"bootstrap": b"\x7fELF binary", "data.json": b"{}"})
    (root / "bootstrap").chmod(0o644)  # e.g. checked out on a filesystem without modes
    artifact = build(root, tmp_path, runtime="provided.al2023", handler="bootstrap")
    assert artifact.path is not None
    with zipfile.ZipFile(artifact.path) as zf:
        assert (zf.getinfo("bootstrap").external_attr >> 16) & 0o777 == 0o755
        assert (zf.getinfo("data.json").external_attr >> 16) & 0o777 == 0o644


def test_prebuilt_provided_zip_with_non_executable_bootstrap_fails(tmp_path: Path) -> None:
    path = tmp_path / "function.zip"
    path.write_bytes(jar_bytes({"bootstrap": b"\x7fELF"}))
    with pytest.raises(BuildError, match="not executable"):
        build(path, tmp_path, runtime="provided.al2023", handler="bootstrap")


@pytest.mark.parametrize(
    ("runtime", "handler", "files", "missing"),
    [
        ("python3.12", "app.handler", {"other.py": b""}, "app.py or app/__init__.py"),
        ("python3.12", "pkg.mod.handler", {"pkg/other.py": b""}, "pkg/mod.py"),
        ("nodejs20.x", "src/index.handler", {"index.js": b""}, "src/index.js"),
        ("ruby3.3", "function.handler", {"app.rb": b""}, "function.rb"),
        ("provided.al2023", "bootstrap", {"main": b""}, "bootstrap"),
    ],
)
def test_missing_handler_fails_before_upload(
    tmp_path: Path, runtime: str, handler: str, files: dict[str, bytes], missing: str
) -> None:
    root = write_tree(tmp_path / "src", files)
    with pytest.raises(BuildError, match=missing.replace(".", r"\.")) as err:
        build(root, tmp_path, runtime=runtime, handler=handler)
    assert err.value.exit_status == ExitStatus.USAGE
    assert "\n" not in str(err.value)
    assert not (tmp_path / "cache" / "artifacts").exists()  # nothing built to upload


@pytest.mark.parametrize(
    ("runtime", "handler", "files"),
    [
        ("python3.12", "app.handler", {"app.py": b""}),
        ("python3.12", "pkg.mod.handler", {"pkg/mod/__init__.py": b""}),
        ("nodejs20.x", "index.handler", {"index.mjs": b""}),
        ("nodejs20.x", "lib/main.handler", {"lib/main.cjs": b""}),
        ("ruby3.3", "function.Handler.process", {"function.rb": b""}),
    ],
)
def test_present_handler_passes(
    tmp_path: Path, runtime: str, handler: str, files: dict[str, bytes]
) -> None:
    root = write_tree(tmp_path / "src", files)
    assert build(root, tmp_path, runtime=runtime, handler=handler).kind == "zip"


def test_over_the_direct_upload_limit_goes_through_s3(tmp_path: Path) -> None:
    import os

    root = write_tree(tmp_path / "src", {"app.py": b"", "blob.bin": os.urandom(4096)})
    small = BuildOptions(limits=Limits(direct_upload=2048))
    assert build(root, tmp_path, small).needs_s3
    assert not build(root, tmp_path).needs_s3


def test_over_the_unzipped_limit_fails_listing_the_largest(tmp_path: Path) -> None:
    files = {"app.py": b"x" * 10, "big/a.bin": b"0" * 3000, "big/b.bin": b"0" * 3000}
    files |= {f"mid{i}.bin": b"0" * (1000 + i) for i in range(5)}
    root = write_tree(tmp_path / "src", files)
    with pytest.raises(BuildError, match="over Lambda's") as err:
        build(root, tmp_path, BuildOptions(limits=Limits(unzipped=5000)))
    message = str(err.value)
    assert (
        "largest: big/ 5.9 KB, mid4.bin 1004 B, mid3.bin 1003 B, mid2.bin 1002 B, mid1.bin"
        in message
    )
    assert "mid0.bin" not in message
    assert not (tmp_path / "cache" / "artifacts").exists()


def test_read_artifact_checks_limits_too(tmp_path: Path) -> None:
    path = tmp_path / "function.zip"
    path.write_bytes(jar_bytes({"app.py": b"x" * 6000}))
    with pytest.raises(BuildError, match=r"unzipped artifact is 5\.9 KB"):
        read_artifact(path, function(path), options=BuildOptions(limits=Limits(unzipped=5000)))
    assert read_artifact(path, function(path)).unzipped_size == 6000


def test_read_artifact_refuses_a_file_that_is_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "function.zip"
    path.write_bytes(b"not a zip")
    with pytest.raises(BuildError, match="not a valid zip"):
        read_artifact(path, function(path))


def test_source_that_does_not_exist(tmp_path: Path) -> None:
    with pytest.raises(BuildError, match="does not exist"):
        build(tmp_path / "nowhere", tmp_path)


def test_source_file_of_another_kind(tmp_path: Path) -> None:
    path = tmp_path / "app.tar.gz"
    path.write_bytes(b"x")
    with pytest.raises(BuildError, match=r"neither a folder nor a \.zip or \.jar"):
        build(path, tmp_path)


def test_read_artifact_matches_the_built_zip(tmp_path: Path) -> None:
    root = write_tree(tmp_path / "src", {"app.py": b"def handler(e, c): pass\n"})
    built = build(root, tmp_path)
    assert built.path is not None
    copied = tmp_path / "out.zip"
    copied.write_bytes(built.path.read_bytes())
    again = read_artifact(copied, function(root))
    assert (again.code_sha256, again.size, again.unzipped_size) == (
        built.code_sha256,
        built.size,
        built.unzipped_size,
    )
    assert zipfile.ZipFile(io.BytesIO(copied.read_bytes())).namelist() == ["app.py"]
