"""Deterministic zips of files on disk, compressed in parallel, byte-identical to `detzip`.

`detzip.build_zip` writes through `zipfile` one entry at a time. This module reads and deflates
entries on a thread pool (zlib releases the GIL) and writes the same local headers, data, central
directory and end record that `zipfile` writes for those entries, streaming to a file while hashing.
A test compares the two byte for byte.
"""

from __future__ import annotations

import hashlib
import os
import struct
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from twophase.build.detzip import COMPRESSION_LEVEL, FIXED_DATE
from twophase.build.sources import SourceFile

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20  # what zipfile writes for deflated entries without zip64
_UTF8_FLAG = 0x800
_MAX_ENTRY = int((2**31 - 1) / 1.05)  # zipfile switches to zip64 headers above this
_DOS_TIME = FIXED_DATE[3] << 11 | FIXED_DATE[4] << 5 | FIXED_DATE[5] // 2
_DOS_DATE = (FIXED_DATE[0] - 1980) << 9 | FIXED_DATE[1] << 5 | FIXED_DATE[2]


@dataclass(frozen=True)
class _Packed:
    crc: int
    size: int
    compressed: bytes


@dataclass(frozen=True)
class ZipResult:
    size: int
    hexdigest: str
    unzipped_size: int


def _pack(path: Path) -> _Packed:
    data = path.read_bytes()
    compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, -15)
    compressed = compressor.compress(data) + compressor.flush()
    return _Packed(zlib.crc32(data), len(data), compressed)


def _encode_name(name: str) -> tuple[bytes, int]:
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8_FLAG


class _HashingWriter:
    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.digest = hashlib.sha256()
        self.offset = 0

    def write(self, data: bytes) -> None:
        self.out.write(data)
        self.digest.update(data)
        self.offset += len(data)


def _packed_in_order(
    files: Sequence[SourceFile], workers: int
) -> Iterator[tuple[SourceFile, _Packed]]:
    """Compress on a pool, yield in archive order, keeping a bounded window in memory."""
    with ThreadPoolExecutor(max_workers=workers) as pool:
        window: deque[tuple[SourceFile, Future[_Packed]]] = deque()
        todo = iter(files)
        for f in todo:
            window.append((f, pool.submit(_pack, f.path)))
            if len(window) >= workers * 8:
                break
        while window:
            f, future = window.popleft()
            yield f, future.result()
            nxt = next(todo, None)
            if nxt is not None:
                window.append((nxt, pool.submit(_pack, nxt.path)))


def write_zip(
    files: Iterable[SourceFile], out: BinaryIO, *, workers: int | None = None
) -> ZipResult:
    """Write the archive of `files` (sorted, last of a name wins) to `out`."""
    by_name = {f.name: f for f in files}
    ordered = [by_name[name] for name in sorted(by_name)]
    if any(f.size > _MAX_ENTRY for f in ordered):
        raise ValueError("an entry too large for a Lambda artifact")
    writer = _HashingWriter(out)
    central: list[bytes] = []
    unzipped = 0
    for f, packed in _packed_in_order(ordered, workers or os.cpu_count() or 2):
        name, flags = _encode_name(f.name)
        offset = writer.offset
        writer.write(
            _LOCAL.pack(
                b"PK\x03\x04",
                _VERSION,
                0,
                flags,
                zlib.DEFLATED,
                _DOS_TIME,
                _DOS_DATE,
                packed.crc,
                len(packed.compressed),
                packed.size,
                len(name),
                0,
            )
            + name
        )
        writer.write(packed.compressed)
        unzipped += packed.size
        mode = 0o755 if f.executable else 0o644
        central.append(
            _CENTRAL.pack(
                b"PK\x01\x02",
                _VERSION,
                3,
                _VERSION,
                0,
                flags,
                zlib.DEFLATED,
                _DOS_TIME,
                _DOS_DATE,
                packed.crc,
                len(packed.compressed),
                packed.size,
                len(name),
                0,
                0,
                0,
                0,
                (0o100000 | mode) << 16,
                offset,
            )
            + name
        )
    start = writer.offset
    directory = b"".join(central)
    writer.write(directory)
    writer.write(
        _END.pack(b"PK\x05\x06", 0, 0, len(central), len(central), len(directory), start, 0)
    )
    return ZipResult(
        size=writer.offset, hexdigest=writer.digest.hexdigest(), unzipped_size=unzipped
    )
