"""Deterministic zips of files on disk, in parallel, in bounded memory; the bytes `detzip` gives.

Each file streams from disk in blocks; memory does not grow with file size. On a thread pool (zlib
and the CRC release the GIL), a first look at each entry reads its first block and decides how it is
encoded (`zipformat.choose_method`): a small entry is done there; a stored one has its CRC computed
over the whole file; a larger deflated one has its further blocks compressed on the pool, in
parallel, while the writer collects them in order into a spill file (in memory up to `SPILL`). The
writer emits entries in sorted order, hashing the stream. A file that changes while it is zipped
fails the build rather than giving an archive whose checksums lie.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zlib
from collections import deque
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

from twophase.build.sources import SourceFile
from twophase.build.zipformat import (
    BLOCK,
    DEFLATED,
    PROBE,
    STORED,
    WINDOW,
    ArchiveWriter,
    block_count,
    choose_method,
    crc32_combine,
    deflate_block,
)
from twophase.errors import BuildError

_MAX_ENTRY = int((2**31 - 1) / 1.05)  # zipfile switches to zip64 headers above this
_CHUNK = BLOCK  # reads of stored files
SPILL = 8 * 1024 * 1024  # a large entry's compressed blocks stay in memory up to this, then a file
_AHEAD_BYTES = 32 * 1024 * 1024  # first blocks read ahead of the writer, at most


@dataclass(frozen=True)
class ZipResult:
    size: int
    hexdigest: str
    unzipped_size: int


@dataclass(frozen=True)
class _Head:
    """The first look at an entry: its method, and what the writer needs before its data."""

    method: int
    crc: int  # of the whole entry when stored or of one block; else of the first block
    first: bytes  # deflated: the first block's bytes; stored: nothing (copied from the file)


@dataclass(frozen=True)
class _Block:
    crc: int
    size: int
    data: bytes


def _changed(f: SourceFile) -> BuildError:
    return BuildError(
        f"{f.name} changed while it was being zipped", hint="build again once it is written"
    )


def _read_exactly(file: BinaryIO, size: int, f: SourceFile) -> bytes:
    data = file.read(size)
    if len(data) != size:
        raise _changed(f)
    return data


def _head(f: SourceFile) -> _Head:
    with f.path.open("rb") as file:
        block = _read_exactly(file, min(f.size, BLOCK), f)
        method, deflated = choose_method(block[:PROBE], f.size)
        if method == DEFLATED:
            count = block_count(f.size)
            if count == 1 and file.read(1):
                raise _changed(f)
            first = deflated if f.size <= PROBE else deflate_block(block, b"", last=count == 1)
            return _Head(DEFLATED, zlib.crc32(block), first)
        crc = zlib.crc32(block)
        for _ in range(1, block_count(f.size)):
            crc = zlib.crc32(_read_exactly(file, min(_CHUNK, f.size - file.tell()), f), crc)
        if file.read(1):
            raise _changed(f)
    return _Head(STORED, crc, b"")


def _block(f: SourceFile, index: int, last: bool) -> _Block:
    """Block `index` (≥ 1) of a deflated entry, compressed with the window before it."""
    start = index * BLOCK
    with f.path.open("rb") as file:
        file.seek(start - WINDOW)
        zdict = _read_exactly(file, WINDOW, f)
        data = _read_exactly(file, min(BLOCK, f.size - start), f)
        if last and file.read(1):
            raise _changed(f)
    return _Block(zlib.crc32(data), len(data), deflate_block(data, zdict, last=last))


def _heads_in_order(
    pool: ThreadPoolExecutor, files: Sequence[SourceFile], workers: int
) -> Iterator[tuple[SourceFile, _Head]]:
    """First looks on the pool, yielded in archive order, a bounded number of bytes ahead."""
    window: deque[tuple[SourceFile, Future[_Head]]] = deque()
    ahead = 0
    todo = iter(files)
    nxt = next(todo, None)
    while window or nxt is not None:
        while nxt is not None and (
            not window or (len(window) < workers * 8 and ahead < _AHEAD_BYTES)
        ):
            window.append((nxt, pool.submit(_head, nxt)))
            ahead += min(nxt.size, BLOCK)
            nxt = next(todo, None)
        f, future = window.popleft()
        ahead -= min(f.size, BLOCK)
        yield f, future.result()


def _blocks_in_order(pool: ThreadPoolExecutor, f: SourceFile, workers: int) -> Iterator[_Block]:
    """Blocks 1.. of a deflated entry, compressed on the pool, a few ahead of the writer."""
    count = block_count(f.size)
    window: deque[Future[_Block]] = deque()
    for index in range(1, count):
        window.append(pool.submit(_block, f, index, index == count - 1))
        if len(window) > workers * 2:
            yield window.popleft().result()
    while window:
        yield window.popleft().result()


def _write_stored(writer: ArchiveWriter, f: SourceFile, head: _Head) -> None:
    """Copy the file, checking it still has the CRC the header was written with."""
    writer.header(
        f.name, executable=f.executable, method=STORED, crc=head.crc, compressed=f.size, size=f.size
    )
    crc, left = 0, f.size
    with f.path.open("rb") as file:
        while left:
            chunk = _read_exactly(file, min(_CHUNK, left), f)
            crc = zlib.crc32(chunk, crc)
            writer.write(chunk)
            left -= len(chunk)
        if file.read(1):
            raise _changed(f)
    if crc != head.crc:
        raise _changed(f)


def _write_deflated(
    writer: ArchiveWriter, pool: ThreadPoolExecutor, f: SourceFile, head: _Head, workers: int
) -> None:
    if block_count(f.size) == 1:
        _header(writer, f, head.crc, len(head.first))
        writer.write(head.first)
        return
    with tempfile.SpooledTemporaryFile(max_size=SPILL) as spill:
        spill.write(head.first)
        crc = head.crc
        for block in _blocks_in_order(pool, f, workers):
            crc = crc32_combine(crc, block.crc, block.size)
            spill.write(block.data)
        _header(writer, f, crc, spill.tell())
        spill.seek(0)
        shutil.copyfileobj(spill, writer, _CHUNK)


def _header(writer: ArchiveWriter, f: SourceFile, crc: int, compressed: int) -> None:
    writer.header(
        f.name,
        executable=f.executable,
        method=DEFLATED,
        crc=crc,
        compressed=compressed,
        size=f.size,
    )


def write_zip(
    files: Iterable[SourceFile], out: BinaryIO, *, workers: int | None = None
) -> ZipResult:
    """Write the archive of `files` (sorted, last of a name wins) to `out`."""
    by_name = {f.name: f for f in files}
    ordered = [by_name[name] for name in sorted(by_name)]
    if any(f.size > _MAX_ENTRY for f in ordered):
        raise ValueError("an entry too large for a Lambda artifact")
    workers = workers or os.cpu_count() or 2
    writer = ArchiveWriter(out)
    pool = ThreadPoolExecutor(max_workers=workers)
    try:
        for f, head in _heads_in_order(pool, ordered, workers):
            if head.method == STORED:
                _write_stored(writer, f, head)
            else:
                _write_deflated(writer, pool, f, head, workers)
    finally:
        pool.shutdown(cancel_futures=True)  # after a failure, compress nothing more
    hexdigest = writer.finish()
    return ZipResult(
        size=writer.offset, hexdigest=hexdigest, unzipped_size=sum(f.size for f in ordered)
    )
