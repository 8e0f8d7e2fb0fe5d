"""How fast time passes for the embedded AWS's clocks (not an extension itself: no `install`).

AWS measures alarm periods in seconds and CodeDeploy intervals in minutes; a test cannot wait
five minutes for a canary. A time scale S makes one real second count as S seconds for those
clocks: a 60-second alarm period lasts 60/S real seconds, a "5 minute" canary interval 300/S.
Metric timestamps stay real (a client still reads them with real times).

- for a background server: the environment variable TWOPHASE_LOCAL_TIME_SCALE=60 where the
  server starts (`twophase local start` passes its environment on);
- in a test's process: `set_time_scale(60)`; `set_time_scale(None)` goes back to the variable.

Unset, the scale is 1: real time, as on AWS.
"""

from __future__ import annotations

import math
import os

TIME_SCALE_ENV = "TWOPHASE_LOCAL_TIME_SCALE"
_scale: float | None = None


def set_time_scale(scale: float | None) -> None:
    """Make one real second count as `scale` seconds (None: read TWOPHASE_LOCAL_TIME_SCALE)."""
    global _scale
    if scale is not None and not (math.isfinite(scale) and scale > 0):
        raise ValueError(f"a time scale must be positive: {scale}")
    _scale = None if scale is None else float(scale)


def time_scale() -> float:
    """The scale set by `set_time_scale`, else TWOPHASE_LOCAL_TIME_SCALE, else 1."""
    if _scale is not None:
        return _scale
    raw = os.environ.get(TIME_SCALE_ENV, "").strip()
    try:
        value = float(raw) if raw else 1.0
    except ValueError as exc:
        raise ValueError(f"{TIME_SCALE_ENV}={raw!r} is not a number") from exc
    if not math.isfinite(value):
        raise ValueError(f"{TIME_SCALE_ENV}={raw!r} is not a finite number")
    if value <= 0:
        raise ValueError(f"{TIME_SCALE_ENV}={raw!r} must be positive")
    return value


def real_seconds(aws_seconds: float) -> float:
    """How long `aws_seconds` of AWS time last in real seconds."""
    return aws_seconds / time_scale()
