"""Files twophase keeps: where per-user state lives, and writing a file all at once."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

HOME_ENV = "TWOPHASE_HOME"
MB = 1024 * 1024


def human_size(n: int) -> str:
    """A byte count as people read it: `512 B`, `3.2 KB`, `48.0 MB`."""
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.1f} KB"
    return f"{n} B"


def user_cache_dir() -> Path:
    """`$TWOPHASE_HOME`, else `~/.cache/twophase`."""
    configured = os.environ.get(HOME_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "twophase"


def write_atomically(path: Path, text: str) -> None:
    """Write `text` to `path` so that a reader (another twophase run) sees the old file or the new
    one, never part of one. Creates the folder; raises OSError like any write."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    try:
        partial.write_text(text, encoding="utf-8")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


def read_at_most(path: Path, limit: int) -> bytes:
    """The bytes of `path`, or its first `limit + 1` bytes when it is longer: a caller that gets
    more than `limit` bytes knows the file is too large without reading all of it (a link to
    `/dev/zero` ends too). Anything but a regular file (a device, a pipe) is an OSError, as is any
    failed read: opening does not wait for a pipe's writer."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    with os.fdopen(fd, "rb") as f:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            raise OSError(f"{path} is not a regular file")
        return f.read(limit + 1)
