"""`twophase local start | stop | status`: a background embedded AWS, found again by its state file."""

from __future__ import annotations

import os


def ensure_running() -> str:
    """Return the endpoint URL of the running embedded AWS, starting one if none runs."""
    url = os.environ.get("TWOPHASE_LOCAL_ENDPOINT")
    if url:
        return url
    raise NotImplementedError("background server lifecycle not implemented yet")
