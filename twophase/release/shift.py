"""Traffic-shift arithmetic for gradual promotions: pure functions, no AWS.

A shift is the list of percentages of the alias's traffic that the new version receives after
each step; the last step is always 100 (the alias then points at the new version outright).
"""

from __future__ import annotations

from twophase.errors import UsageError

FULL = 100


def shift_percentages(*, canary: int | None = None, linear: int | None = None) -> tuple[int, ...]:
    """canary 10 → (10, 100); linear 10 → (10, 20, …, 100); canary 5 + linear 20 → (5, 25, …, 100).

    Neither gives (100,): at once.
    """
    if canary is not None and not 1 <= canary <= FULL - 1:
        raise UsageError(f"canary {canary}% is out of range", hint="use a percentage from 1 to 99")
    if linear is not None and not 1 <= linear <= FULL - 1:
        raise UsageError(f"linear step {linear}% is out of range", hint="use a step from 1 to 99")
    steps: list[int] = []
    if canary is not None:
        steps.append(canary)
    if linear is not None:
        current = steps[-1] if steps else 0
        while current + linear < FULL:
            current += linear
            steps.append(current)
    steps.append(FULL)
    return tuple(steps)


def remaining_after(percentages: tuple[int, ...], already: float) -> tuple[int, ...]:
    """The steps still to run when the new version already gets `already` percent (a resume)."""
    return tuple(p for p in percentages if p > already)


def to_weight(percent: int) -> float:
    """Lambda's AdditionalVersionWeights value for a percentage."""
    return round(percent / FULL, 4)


def to_percent(weight: float) -> float:
    return round(weight * FULL, 2)
