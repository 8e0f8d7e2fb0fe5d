"""A prebuilt zip or jar, checked before upload without extracting or decompressing anything.

Only the central directory and each entry's 30-byte local header are read, so a check is linear in
the number of entries and cannot be made slow or large by what the entries hold. Refused, in one
line each:

- a file that is not a zip (or a jar);
- an entry whose name is absolute, or has a `..` part: unzipped, it lands outside the folder;
- a symbolic link entry: unzipped, it points anywhere;
- two entries with the same name: which one an unzip keeps depends on the tool;
- an encrypted entry, or one compressed otherwise than stored or deflated: Lambda cannot read it;
- sizes that cannot be true: a stored entry whose sizes differ, deflated data larger than its
  content could need or smaller than its content allows (deflate shrinks 1032:1 at most), a local
  header that disagrees with the central directory, entries whose bytes overlap (the
  overlapping-entry zip bomb) or run past the end of the file.

The declared unzipped total is then held against Lambda's 250 MB limit by the caller.
"""

from __future__ import annotations

import io
import posixpath
import stat
import struct
import zipfile
from pathlib import Path
from typing import NoReturn

from twophase.errors import BuildError

STORED, DEFLATED = zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED
MAX_DEFLATE_RATIO = 1032  # the most deflate can shrink data (258 bytes per shortest code)
_LOCAL = struct.Struct("<4s5H3L2H")  # a local file header, up to the name
_LOCAL_SIGNATURE = b"PK\x03\x04"
_DATA_DESCRIPTOR = 0x08  # flag bit 3: sizes follow the data, the local header holds zeros
_ZIP64 = 0xFFFFFFFF


def zip_entries(path: Path, data: bytes) -> list[zipfile.ZipInfo]:
    """The file entries of the archive `data` (read from `path`), each checked; BuildError names
    the first problem."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            directory = int(getattr(archive, "start_dir", len(data)))
    except Exception as exc:  # any failure to read the directory: not a zip
        raise BuildError(
            f"{path} is not a valid zip or jar ({exc})", hint="rebuild it, or check the path"
        ) from None
    seen: dict[str, str] = {}
    for info in infos:
        _check_entry(path, info)
        key = posixpath.normpath(info.filename.replace("\\", "/"))
        if key in seen:
            raise BuildError(
                f"{path}: entries {seen[key]!r} and {info.filename!r} have the same name; "
                "which one an unzip keeps depends on the tool",
                hint="rebuild the archive without duplicates",
            )
        seen[key] = info.filename
    _check_layout(path, data, infos, directory)
    return [i for i in infos if not i.is_dir()]


def _check_entry(path: Path, info: zipfile.ZipInfo) -> None:
    name = info.orig_filename
    parts = name.replace("\\", "/").split("/")
    if not name or "\0" in name:
        _refuse(path, name, "has an empty or invalid name")
    if name.startswith(("/", "\\")) or name[1:3] in (":/", ":\\"):
        _refuse(path, name, "has an absolute path; unzipped, it lands outside the function")
    if ".." in parts:
        _refuse(path, name, "has a '..' part; unzipped, it lands outside the function")
    if stat.S_ISLNK(info.external_attr >> 16):
        _refuse(path, name, "is a symbolic link; unzipped, it points anywhere")
    if info.flag_bits & 0x1:
        _refuse(path, name, "is encrypted; Lambda cannot read it")
    if info.compress_type not in (STORED, DEFLATED):
        _refuse(
            path,
            name,
            f"uses compression method {info.compress_type}; Lambda reads stored and deflated only",
        )
    _check_sizes(path, info)


def _check_sizes(path: Path, info: zipfile.ZipInfo) -> None:
    size, packed = info.file_size, info.compress_size
    if info.compress_type == STORED and size != packed:
        lie = f"declares {size} bytes, stored in {packed}"
    elif info.compress_type == DEFLATED and size > packed * MAX_DEFLATE_RATIO + 1024:
        lie = (
            f"declares {size} bytes, more than its {packed} deflated bytes can hold "
            f"(deflate shrinks {MAX_DEFLATE_RATIO}:1 at most)"
        )
    elif info.compress_type == DEFLATED and packed > size + size // 1000 + 1024:
        lie = f"declares {size} bytes, too few for its {packed} deflated bytes"
    else:
        return
    _refuse(path, info.filename, f"{lie}: its sizes are false")


def _check_layout(path: Path, data: bytes, infos: list[zipfile.ZipInfo], directory: int) -> None:
    """Each local header agrees with the central directory, and the entries' bytes lie one after
    the other before the directory, never overlapping."""
    end_of_previous, previous = 0, ""
    for info in sorted(infos, key=lambda i: i.header_offset):
        start = info.header_offset
        if start < end_of_previous:
            _refuse(path, info.filename, f"shares bytes with entry {previous!r} (a zip bomb?)")
        header = data[start : start + _LOCAL.size]
        if len(header) < _LOCAL.size or header[:4] != _LOCAL_SIGNATURE:
            _refuse(path, info.filename, "has no local header where the directory says")
        fields = _LOCAL.unpack(header)
        flags, crc, packed, size, name_len, extra_len = fields[2], *fields[6:]
        raw = data[start + _LOCAL.size : start + _LOCAL.size + name_len]
        if raw != _raw_name(info):
            _refuse(path, info.filename, f"is named {raw!r} in its local header")
        trusted = not flags & _DATA_DESCRIPTOR and _ZIP64 not in (packed, size)
        if trusted and (crc, packed, size) != (info.CRC, info.compress_size, info.file_size):
            _refuse(
                path, info.filename, "has other sizes in its local header than in the directory"
            )
        end_of_previous = start + _LOCAL.size + name_len + extra_len + info.compress_size
        previous = info.filename
        if end_of_previous > directory:
            _refuse(path, info.filename, "runs past the end of the data (a truncated archive?)")


def _raw_name(info: zipfile.ZipInfo) -> bytes:
    name = info.orig_filename
    return name.encode("utf-8") if info.flag_bits & 0x800 else name.encode("cp437", "replace")


def _refuse(path: Path, name: str, problem: str) -> NoReturn:
    raise BuildError(f"{path}: entry {name!r} {problem}", hint="rebuild the archive")
