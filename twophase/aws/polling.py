"""How long to pause between two polls of something AWS is settling.

A Lambda update usually settles within a second or a few; polling once a second made a small push
wait up to a second for nothing. So the first pause is short (0.05 s) and each next one is 1.15
times the last, up to a bound of 1 s (reached after about 6 s of waiting). A wait overshoots the
settle by at most its last pause, and each pause is 0.05 s plus 15 % of the time already waited:
a 1.5 s settle is seen within 0.28 s. (Doubling would poll less at first but overshoot by up to
the whole last pause: 0.8 s at 1.5 s.) Each pause is shortened by a random part of up to a
quarter, so that many waiters (`push --all`) do not poll in step; the bound keeps a long wait
near one poll a second.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    """Pauses that start at `first` seconds, grow by `factor`, never exceed `cap`, jittered."""

    first: float = 0.05
    factor: float = 1.15
    cap: float = 1.0
    jitter: float = 0.25  # each pause is shortened by up to this fraction

    def delay(
        self, attempt: int, *, cap: float | None = None, draw: Callable[[], float] | None = None
    ) -> float:
        """The pause after poll number `attempt` (0 for the first), at most `cap` (or the
        policy's own bound). `random` is imported here, on the first pause: a push that never
        waits does not pay for it."""
        if draw is None:
            import random

            draw = random.random
        bound = self.cap if cap is None else cap
        grown = self.first * self.factor ** min(attempt, 256)
        return min(bound, grown) * (1.0 - self.jitter * draw())


SETTLE = Backoff()  # a Lambda update or state change settling
