"""Zips of large and incompressible files: stored or deflated by a probe, in blocks, in bounded
memory, and still the same bytes every time and with any number of workers."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import zipfile
import zlib
from pathlib import Path

import pytest

from twophase.build.detzip import Entry, build_zip
from twophase.build.fastzip import write_zip
from twophase.build.sources import SourceFile, collect
from twophase.build.zipformat import BLOCK, crc32_combine
from twophase.errors import BuildError

from .test_build_zip import write_tree

MB = 1024 * 1024
TEXT = b"".join(b"line %d: the quick brown fox jumps over the dog\n" % i for i in range(60_000))


def incompressible(size: int) -> bytes:
    """Random bytes, cheaply: a random MB repeats farther apart than deflate's 32 KB window."""
    chunk = os.urandom(min(size, MB))
    return (chunk * (size // len(chunk) + 1))[:size]


def zipped(root: Path, workers: int = 2) -> bytes:
    out = io.BytesIO()
    write_zip(collect(root), out, workers=workers)
    return out.getvalue()


def methods(data: bytes) -> dict[str, int]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.testzip() is None  # every CRC checks
        return {i.filename: i.compress_type for i in zf.infolist()}


@pytest.fixture
def mixed_tree(tmp_path: Path) -> Path:
    """Text over several blocks, random data over several blocks, and small files."""
    return write_tree(
        tmp_path / "src",
        {
            "app.py": b"def handler(event, context):\n    return 1\n",
            "big.txt": TEXT,  # about 3 MB: deflated in blocks
            "blob.bin": incompressible(2 * MB + 123),
            "tiny.bin": os.urandom(100),  # under STORE_FROM: deflated even though it grows
            "empty": b"",
        },
    )


def test_the_same_tree_gives_the_same_bytes_twice_and_with_any_worker_count(
    mixed_tree: Path,
) -> None:
    first = zipped(mixed_tree, workers=2)
    assert zipped(mixed_tree, workers=2) == first
    assert zipped(mixed_tree, workers=1) == first
    assert zipped(mixed_tree, workers=5) == first


def test_files_on_disk_and_entries_in_memory_give_the_same_bytes(mixed_tree: Path) -> None:
    files = collect(mixed_tree)
    expected = build_zip(Entry(f.name, f.path.read_bytes(), f.executable) for f in files)
    assert zipped(mixed_tree) == expected


def test_an_incompressible_file_is_stored_and_text_deflated(mixed_tree: Path) -> None:
    data = zipped(mixed_tree)
    assert methods(data) == {
        "app.py": zipfile.ZIP_DEFLATED,
        "big.txt": zipfile.ZIP_DEFLATED,
        "blob.bin": zipfile.ZIP_STORED,
        "empty": zipfile.ZIP_DEFLATED,
        "tiny.bin": zipfile.ZIP_DEFLATED,
    }
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        assert zf.read("big.txt") == TEXT
        assert zf.read("blob.bin") == (mixed_tree / "blob.bin").read_bytes()
        assert zf.getinfo("big.txt").compress_size < len(TEXT) // 4


def test_entries_of_one_block_are_what_zipfile_writes() -> None:
    """Artifacts of small files keep the bytes earlier versions of twophase gave them."""
    entries = {"a.py": b"print('a')\n" * 300, "b/c.txt": b"c", "empty": b""}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name in sorted(entries):
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o100644 << 16
            zf.writestr(info, entries[name], compresslevel=6)
    assert build_zip(Entry(n, d) for n, d in entries.items()) == buf.getvalue()
    assert len(entries["a.py"]) < BLOCK


def test_crc32_combine_matches_zlib() -> None:
    a, b = os.urandom(5000), os.urandom(BLOCK + 7)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b), len(b)) == zlib.crc32(a + b)
    assert crc32_combine(zlib.crc32(a), zlib.crc32(b""), 0) == zlib.crc32(a)


@pytest.mark.parametrize("actual", [b"x" * 20, b"y" * 5000, incompressible(BLOCK + 10)])
def test_a_file_that_changes_while_it_is_zipped_fails_the_build(
    tmp_path: Path, actual: bytes
) -> None:
    path = tmp_path / "moving"
    path.write_bytes(actual)
    announced = SourceFile("moving", path, False, len(actual) - 1, 0)  # what the walk saw
    with pytest.raises(BuildError, match="changed while it was being zipped"):
        write_zip([announced], io.BytesIO(), workers=2)


def test_peak_memory_does_not_grow_with_file_size(tmp_path: Path) -> None:
    """96 MB of files (64 MB stored, 32 MB deflated in blocks) zip in a few tens of MB: each entry
    streams. Held whole, the stored file alone would take 64 MB, three times over."""
    write_tree(tmp_path / "src", {"zeros.bin": b"", "random.bin": incompressible(64 * MB)})
    with (tmp_path / "src/zeros.bin").open("wb") as f:
        f.truncate(32 * MB)  # sparse: cheap to make
    script = textwrap.dedent(
        """
        import resource, sys
        from pathlib import Path
        from twophase.build.fastzip import write_zip
        from twophase.build.sources import collect
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        with open(sys.argv[2], "wb") as out:
            write_zip(collect(Path(sys.argv[1])), out, workers=2)
        print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before)
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path / "src"), str(tmp_path / "out.zip")],
        check=True,
        capture_output=True,
        text=True,
    )
    grown_mb = int(done.stdout) / 1024  # ru_maxrss is in KB on Linux
    assert grown_mb < 40, f"zipping grew the process by {grown_mb:.0f} MB"
    with zipfile.ZipFile(tmp_path / "out.zip") as zf:
        stored = {i.filename: i.compress_type for i in zf.infolist()}
    assert stored == {"random.bin": zipfile.ZIP_STORED, "zeros.bin": zipfile.ZIP_DEFLATED}
