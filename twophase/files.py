"""Files twophase keeps: where per-user state lives, and writing a file all at once."""

from __future__ import annotations

import os
import threading
from pathlib import Path

HOME_ENV = "TWOPHASE_HOME"


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
