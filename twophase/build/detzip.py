"""Deterministic zip archives of entries held in memory: same entries in, same bytes out.

Entries are sorted by name and encoded as `zipformat` says (stored when they do not compress,
deflated in blocks otherwise; fixed times, normalised modes, no directory entries, no extra
fields). `fastzip` writes the same bytes for files on disk, in parallel. Lambda's CodeSha256 is the
base64 of the SHA-256 of these bytes (`code_sha256`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import zlib
from collections.abc import Iterable
from dataclasses import dataclass

from twophase.build.zipformat import ArchiveWriter, encode


@dataclass(frozen=True)
class Entry:
    name: str  # posix path inside the archive
    data: bytes
    executable: bool = False


def build_zip(entries: Iterable[Entry]) -> bytes:
    """The archive's bytes; entries are sorted and de-duplicated by name (the last one wins)."""
    by_name = {e.name: e for e in entries}
    buf = io.BytesIO()
    writer = ArchiveWriter(buf)
    for name in sorted(by_name):
        entry = by_name[name]
        method, payload = encode(entry.data)
        writer.header(
            name,
            executable=entry.executable,
            method=method,
            crc=zlib.crc32(entry.data),
            compressed=len(payload),
            size=len(entry.data),
        )
        writer.write(payload)
    writer.finish()
    return buf.getvalue()


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256 of an artifact: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def hex_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
