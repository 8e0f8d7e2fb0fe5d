"""Hostile prebuilt artifacts (`push --artifact`, `source: x.zip`): refused before upload.

Each refusal is one line naming the file and the entry, exit 2 (a BuildError), and for a push
nothing reaches AWS. The checks read the central directory and the local headers only: nothing is
decompressed, so a zip bomb costs nothing to refuse.
"""

from __future__ import annotations

import io
import os
import stat
import struct
import time
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from twophase.build import BuildOptions, Limits, read_artifact
from twophase.build.detzip import Entry, build_zip
from twophase.errors import BuildError, ExitStatus
from twophase.release.push import PushOptions, push

from .test_build_zip import function
from .test_push_plan import FakeStore, fresh_lambda, make_ctx

APP = b"def handler(event, context):\n    return 1\n"
MB = 1024 * 1024
CENTRAL = struct.Struct("<4s4B4HL2L5H2L")  # zipfile's structCentralDir
LOCAL = struct.Struct("<4s2B4HL2L2H")  # zipfile's structFileHeader


def zip_of(
    *entries: tuple[str | zipfile.ZipInfo, bytes], method: int = zipfile.ZIP_DEFLATED
) -> bytes:
    buf = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about duplicate names: we want them
        with zipfile.ZipFile(buf, "w", method) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return buf.getvalue()


def patch(
    data: bytes, name: str, *, central: dict[int, int], local: dict[int, int] | None = None
) -> bytes:
    """Rewrite fields (by struct index) of `name`'s central directory record and local header."""
    out = bytearray(data)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        info = archive.getinfo(name)
        offset = archive.start_dir
    while out[offset : offset + 4] == b"PK\x01\x02":
        fields = list(CENTRAL.unpack_from(out, offset))
        length = fields[12]
        here = bytes(out[offset + CENTRAL.size : offset + CENTRAL.size + length]).decode()
        if here == name:
            for index, value in central.items():
                fields[index] = value
            CENTRAL.pack_into(out, offset, *fields)
            break
        offset += CENTRAL.size + length + fields[13] + fields[14]
    else:
        raise AssertionError(f"no central record for {name}")
    if local:
        fields = list(LOCAL.unpack_from(out, info.header_offset))
        for index, value in local.items():
            fields[index] = value
        LOCAL.pack_into(out, info.header_offset, *fields)
    return bytes(out)


def symlink_entry() -> bytes:
    info = zipfile.ZipInfo("link")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return zip_of(("app.py", APP), (info, b"/etc/passwd"))


def encrypted() -> bytes:
    data = zip_of(("app.py", APP), ("secret.py", b"x" * 100))
    return patch(data, "secret.py", central={5: 0x1})


def declared_bomb() -> bytes:
    """A zip bomb by declared size: 260 KB of deflated data that says it unpacks to 260 MB (a
    ratio deflate can reach), consistent in both headers: only the total gives it away."""
    noise = os.urandom(260 * 1024)
    data = zip_of(("app.py", APP), ("bomb.bin", noise))
    return patch(data, "bomb.bin", central={11: 260 * MB}, local={9: 260 * MB})


def overlapping() -> bytes:
    """Two entries sharing the same bytes: how the smallest zip bombs multiply their payload."""
    data = zip_of(("app.py", APP), ("b.py", APP))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        first = archive.getinfo("app.py").header_offset
    return patch(data, "b.py", central={18: first})


def stored_lie() -> bytes:
    data = zip_of(("app.py", APP), ("data.bin", b"x" * 1000), method=zipfile.ZIP_STORED)
    return patch(data, "data.bin", central={11: 10}, local={9: 10})


def deflated_too_small() -> bytes:
    data = zip_of(("app.py", APP), ("noise.bin", os.urandom(100_000)))
    return patch(data, "noise.bin", central={11: 10}, local={9: 10})


def deflated_too_large() -> bytes:
    data = zip_of(("app.py", APP), ("zeros.bin", bytes(10_000)))
    return patch(data, "zeros.bin", central={11: 200 * MB}, local={9: 200 * MB})


def local_header_lie() -> bytes:
    data = zip_of(("app.py", APP), ("zeros.bin", bytes(1000)))
    return patch(data, "zeros.bin", central={11: 1500})


def local_name_lie() -> bytes:
    data = zip_of(("app.py", APP), ("b.py", APP))
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        offset = archive.getinfo("b.py").header_offset
    out = bytearray(data)
    out[offset + LOCAL.size : offset + LOCAL.size + 4] = b"../."
    return bytes(out)


CASES: list[tuple[str, Callable[[], bytes], str]] = [
    (
        "dot-dot",
        lambda: zip_of(("app.py", APP), ("../evil.py", b"x")),
        "entry '../evil.py' has a '..' part",
    ),
    ("deep dot-dot", lambda: zip_of(("app.py", APP), ("a/../../evil.py", b"x")), "has a '..' part"),
    (
        "backslash dot-dot",
        lambda: zip_of(("app.py", APP), ("a\\..\\..\\x", b"x")),
        "has a '..' part",
    ),
    (
        "absolute",
        lambda: zip_of(("app.py", APP), ("/etc/cron.d/x", b"x")),
        "entry '/etc/cron.d/x' has an absolute path",
    ),
    ("drive", lambda: zip_of(("app.py", APP), ("C:/x.py", b"x")), "has an absolute path"),
    ("symlink entry", symlink_entry, "entry 'link' is a symbolic link"),
    (
        "duplicate",
        lambda: zip_of(("app.py", APP), ("app.py", b"x")),
        "entries 'app.py' and 'app.py' have the same name",
    ),
    (
        "duplicate after ./",
        lambda: zip_of(("app.py", APP), ("./app.py", b"x")),
        "entries 'app.py' and './app.py' have the same name",
    ),
    ("encrypted", encrypted, "entry 'secret.py' is encrypted"),
    (
        "bzip2",
        lambda: zip_of(("app.py", APP), method=zipfile.ZIP_BZIP2),
        "uses compression method 12",
    ),
    ("stored sizes lie", stored_lie, "declares 10 bytes, stored in 1000"),
    ("deflated smaller than its data", deflated_too_small, "declares 10 bytes, too few for its"),
    (
        "deflated beyond deflate's ratio",
        deflated_too_large,
        "deflated bytes can hold (deflate shrinks 1032:1 at most)",
    ),
    (
        "local header sizes differ",
        local_header_lie,
        "has other sizes in its local header than in the directory",
    ),
    (
        "local header name differs",
        local_name_lie,
        "entry 'b.py' is named b'../.' in its local header",
    ),
    ("overlapping entries", overlapping, "shares bytes with entry 'app.py'"),
    ("zip bomb by declared size", declared_bomb, "over Lambda's 250.0 MB limit"),
    ("not a zip", lambda: b"just some text, not a zip\n" * 10, "is not a valid zip or jar"),
    ("empty file", lambda: b"", "is not a valid zip or jar"),
    ("truncated zip", lambda: zip_of(("app.py", APP * 50))[:-30], "is not a valid zip or jar"),
    ("png", lambda: b"\x89PNG\r\n\x1a\n" + os.urandom(200), "is not a valid zip or jar"),
]


@pytest.mark.parametrize(("make", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_hostile_artifacts_are_refused_in_one_line(
    tmp_path: Path, make: Callable[[], bytes], message: str
) -> None:
    path = tmp_path / "function.zip"
    path.write_bytes(make())

    with pytest.raises(BuildError) as caught:
        read_artifact(path, function(path))

    error = caught.value
    assert message in str(error)
    assert str(path) in str(error) or "api:" in str(error)
    assert "\n" not in str(error)
    assert error.exit_status == ExitStatus.USAGE


def test_a_zip_bomb_is_refused_quickly_without_decompressing(tmp_path: Path) -> None:
    """A hang guard, not a performance target (STYLE forbids timed perf assertions): refusing
    takes milliseconds; the bound is generous so that a slow machine never fails it."""
    path = tmp_path / "bomb.zip"
    path.write_bytes(declared_bomb())

    started = time.monotonic()
    with pytest.raises(BuildError, match="over Lambda's"):
        read_artifact(path, function(path))
    assert time.monotonic() - started < 5


def test_an_artifact_larger_than_lambda_allows_is_not_even_read_whole(tmp_path: Path) -> None:
    path = tmp_path / "big.zip"
    path.write_bytes(zip_of(("app.py", APP), ("data.bin", os.urandom(4000))))
    options = BuildOptions(limits=Limits(unzipped=1000))

    with pytest.raises(BuildError, match=r"big.zip is over 1000 B, Lambda's limit"):
        read_artifact(path, function(path), options=options)


def test_a_device_or_pipe_is_not_an_artifact(tmp_path: Path) -> None:
    pipe = tmp_path / "pipe.zip"
    os.mkfifo(pipe)  # opening it must not wait for a writer

    for path in (Path("/dev/zero"), pipe):
        with pytest.raises(BuildError, match="is not a regular file"):
            read_artifact(path, function(path))


def streamed() -> bytes:
    """Written to a pipe-like stream: sizes in data descriptors after each entry (flag bit 3)."""

    class Unseekable(io.RawIOBase):
        def __init__(self) -> None:
            self.data = bytearray()

        def writable(self) -> bool:
            return True

        def write(self, b: bytes) -> int:  # type: ignore[override]
            self.data += b
            return len(b)

    out = Unseekable()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("app.py", "w") as f:
            f.write(APP)
        with archive.open("lib/data.bin", "w") as f:
            f.write(bytes(5000))
    return bytes(out.data)


def zip64() -> bytes:
    buf = io.BytesIO()
    with (
        zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open("app.py", "w", force_zip64=True) as f,
    ):
        f.write(APP)
    return buf.getvalue()


GOOD: list[tuple[str, Callable[[], bytes]]] = [
    ("deterministic", lambda: build_zip([Entry("app.py", APP), Entry("lib/x.py", b"X = 1\n")])),
    (
        "stored with folders",
        lambda: zip_of(("lib/", b""), ("app.py", APP), method=zipfile.ZIP_STORED),
    ),
    (
        "odd but safe names",
        lambda: zip_of(("app.py", APP), ("a;b $(x) `y`.txt", b""), ("caf\u00e9..py", b"")),
    ),
    ("data descriptors", streamed),
    ("zip64 headers", zip64),
    ("incompressible", lambda: zip_of(("app.py", APP), ("noise.bin", os.urandom(300_000)))),
]


@pytest.mark.parametrize("make", [c[1] for c in GOOD], ids=[c[0] for c in GOOD])
def test_ordinary_archives_pass(tmp_path: Path, make: Callable[[], bytes]) -> None:
    path = tmp_path / "function.zip"
    path.write_bytes(make())

    artifact = read_artifact(path, function(path))

    assert "app.py" in artifact.entries


def test_a_hostile_artifact_reaches_nothing_on_push(tmp_path: Path) -> None:
    path = tmp_path / "evil.zip"
    path.write_bytes(zip_of(("app.py", APP), ("../../etc/cron.d/x", b"* * * * * root sh\n")))
    lam, store = fresh_lambda(), FakeStore()
    ctx = make_ctx(tmp_path, lam, store=store)

    report = push(
        ctx, PushOptions(functions=("api",)), lambda _: read_artifact(path, function(path))
    )

    (outcome,) = report.outcomes
    assert isinstance(outcome.error, BuildError)
    assert report.exit_status == ExitStatus.USAGE
    assert lam.writes == [] and lam.reads == []
    assert store.objects == {}
