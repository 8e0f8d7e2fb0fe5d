"""Where twophase keeps per-user state: `$TWOPHASE_HOME`, else `~/.cache/twophase`."""

from __future__ import annotations

import os
from pathlib import Path

HOME_ENV = "TWOPHASE_HOME"


def user_cache_dir() -> Path:
    configured = os.environ.get(HOME_ENV)
    return Path(configured) if configured else Path.home() / ".cache" / "twophase"
