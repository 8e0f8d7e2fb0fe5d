"""The bytes of a deterministic zip: how each entry is encoded, its headers, the directory.

Entry by entry, the same bytes on every machine (with the same zlib):

- **Stored or deflated**, decided by a probe: the entry's first `PROBE` bytes are deflated, and an
  entry of at least `STORE_FROM` bytes whose probe shrinks by less than 1/`MIN_SAVING` is stored.
  Deflating incompressible data (archives, images, random bytes) costs about 27 MB/s for nothing.
  Smaller entries are always deflated: it costs nothing, and archives of small files keep the bytes
  they always had (the dummies' hashes do not move).
- **Deflated in blocks** of `BLOCK` bytes, each compressed on its own with the `WINDOW` bytes
  before it as dictionary and ended with a sync flush, the last with a final block (as pigz does):
  blocks compress in parallel and the concatenation is one valid deflate stream. An entry of one
  block is exactly what `zipfile` writes.
- Headers as `zipfile` writes them: version 2.0, UTF-8 flag for non-ASCII names, 1980-01-01,
  unix modes 0644 or 0755, no extra fields, no directory entries.

Lambda's CodeSha256 is the base64 of the SHA-256 of the archive (`ArchiveWriter` hashes as it
writes).
"""

from __future__ import annotations

import functools
import hashlib
import struct
import zlib
from typing import BinaryIO

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
COMPRESSION_LEVEL = 6
STORED, DEFLATED = 0, 8  # zip's compression methods
PROBE = 64 * 1024
STORE_FROM = 4 * 1024
MIN_SAVING = 10  # deflate only if the probe shrinks by at least a tenth
BLOCK = 1024 * 1024
WINDOW = 32 * 1024  # deflate's window: what a block may refer back to

_LOCAL = struct.Struct("<4s2B4HL2L2H")
_CENTRAL = struct.Struct("<4s4B4HL2L5H2L")
_END = struct.Struct("<4s4H2LH")
_VERSION = 20  # what zipfile writes for entries without zip64
_UTF8_FLAG = 0x800
_DOS_TIME = FIXED_DATE[3] << 11 | FIXED_DATE[4] << 5 | FIXED_DATE[5] // 2
_DOS_DATE = (FIXED_DATE[0] - 1980) << 9 | FIXED_DATE[1] << 5 | FIXED_DATE[2]
_CRC_POLY = 0xEDB88320


def choose_method(probe: bytes, size: int) -> tuple[int, bytes]:
    """How an entry of `size` bytes starting with `probe` (its first `PROBE` bytes) is encoded,
    and the probe deflated as a whole entry (the entry's deflated bytes when it fits the probe)."""
    deflated = deflate_block(probe, b"", last=True)
    if size >= STORE_FROM and len(deflated) * MIN_SAVING > len(probe) * (MIN_SAVING - 1):
        return STORED, deflated
    return DEFLATED, deflated


def block_count(size: int) -> int:
    return max(1, -(-size // BLOCK))


def deflate_block(data: bytes, zdict: bytes, *, last: bool) -> bytes:
    """One block of an entry's deflate stream; `zdict` is the `WINDOW` bytes before it."""
    if zdict:
        compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, -15, zdict=zdict)
    else:
        compressor = zlib.compressobj(COMPRESSION_LEVEL, zlib.DEFLATED, -15)
    out = compressor.compress(data)
    return out + compressor.flush(zlib.Z_FINISH if last else zlib.Z_SYNC_FLUSH)


def encode(data: bytes) -> tuple[int, bytes]:
    """An entry held in memory: its method and the bytes stored for it."""
    method, deflated = choose_method(data[:PROBE], len(data))
    if method == STORED:
        return STORED, data
    if len(data) <= PROBE:
        return DEFLATED, deflated
    count = block_count(len(data))
    blocks = (
        deflate_block(
            data[i * BLOCK : (i + 1) * BLOCK],
            data[max(0, i * BLOCK - WINDOW) : i * BLOCK],
            last=i == count - 1,
        )
        for i in range(count)
    )
    return DEFLATED, b"".join(blocks)


def crc32_combine(crc1: int, crc2: int, len2: int) -> int:
    """The CRC-32 of A+B from those of A and B (B of `len2` bytes): zlib's, which Python lacks.
    Blocks of an entry are checksummed where they are compressed, in parallel."""
    return _gf2_times(_zeros_operator(len2), crc1) ^ crc2


@functools.lru_cache(maxsize=8)
def _zeros_operator(length: int) -> tuple[int, ...]:
    """The GF(2) matrix that appends `length` zero bytes to a CRC-32 register."""
    result: tuple[int, ...] = tuple(1 << n for n in range(32))  # identity
    square = (_CRC_POLY, *(1 << n for n in range(31)))  # one zero bit
    for _ in range(3):  # one zero byte
        square = _gf2_square(square)
    while length:
        if length & 1:
            result = tuple(_gf2_times(square, row) for row in result)
        length >>= 1
        if length:
            square = _gf2_square(square)
    return result


def _gf2_times(matrix: tuple[int, ...], vector: int) -> int:
    total, i = 0, 0
    while vector:
        if vector & 1:
            total ^= matrix[i]
        vector >>= 1
        i += 1
    return total


def _gf2_square(matrix: tuple[int, ...]) -> tuple[int, ...]:
    return tuple(_gf2_times(matrix, row) for row in matrix)


def _encode_name(name: str) -> tuple[bytes, int]:
    try:
        return name.encode("ascii"), 0
    except UnicodeEncodeError:
        return name.encode("utf-8"), _UTF8_FLAG


class ArchiveWriter:
    """Writes entries, then the central directory, to `out`, hashing the bytes as they go."""

    def __init__(self, out: BinaryIO) -> None:
        self._out = out
        self._digest = hashlib.sha256()
        self._central: list[bytes] = []
        self.offset = 0

    def write(self, data: bytes) -> None:
        self._out.write(data)
        self._digest.update(data)
        self.offset += len(data)

    def header(
        self, name: str, *, executable: bool, method: int, crc: int, compressed: int, size: int
    ) -> None:
        """The local header of an entry whose `compressed` bytes the caller writes next."""
        raw, flags = _encode_name(name)
        fields = (method, _DOS_TIME, _DOS_DATE, crc, compressed, size, len(raw))
        offset = self.offset
        self.write(_LOCAL.pack(b"PK\x03\x04", _VERSION, 0, flags, *fields, 0) + raw)
        mode = 0o755 if executable else 0o644
        unix = (0o100000 | mode) << 16
        made_by, comment, disk, internal = 3, 0, 0, 0  # 3: unix, so the mode is honoured
        central = (*fields, 0, comment, disk, internal, unix, offset)
        self._central.append(
            _CENTRAL.pack(b"PK\x01\x02", _VERSION, made_by, _VERSION, 0, flags, *central) + raw
        )

    def finish(self) -> str:
        """Write the central directory and end record; the archive's hex SHA-256."""
        start = self.offset
        directory = b"".join(self._central)
        self.write(directory)
        count = len(self._central)
        self.write(_END.pack(b"PK\x05\x06", 0, 0, count, count, len(directory), start, 0))
        return self._digest.hexdigest()
