"""Deterministic zip archives: same entries in, same bytes out, on any machine.

Entries are sorted by name, timestamps fixed to 1980-01-01, modes normalised (0644, or 0755 for
executables), no directory entries, no extra fields. Lambda's CodeSha256 is the base64 of the
SHA-256 of these bytes (`code_sha256`).
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
COMPRESSION_LEVEL = 6


@dataclass(frozen=True)
class Entry:
    name: str  # posix path inside the archive
    data: bytes
    executable: bool = False


def build_zip(entries: Iterable[Entry]) -> bytes:
    """The archive's bytes; entries are sorted and de-duplicated by name (the last one wins)."""
    by_name = {e.name: e for e in entries}
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in sorted(by_name):
            entry = by_name[name]
            info = zipfile.ZipInfo(name, date_time=FIXED_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # unix, so the mode below is honoured
            mode = 0o755 if entry.executable else 0o644
            info.external_attr = (0o100000 | mode) << 16
            zf.writestr(info, entry.data, compresslevel=COMPRESSION_LEVEL)
    return buf.getvalue()


def code_sha256(data: bytes) -> str:
    """Lambda's CodeSha256 of an artifact: base64 of the SHA-256 digest."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode("ascii")


def hex_sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
