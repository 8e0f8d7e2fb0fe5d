"""The pause between polls of a settling update: short first, growing, bounded, jittered."""

from __future__ import annotations

import pytest

from twophase.aws.polling import SETTLE, Backoff


def test_pauses_start_short_grow_and_stop_at_the_bound() -> None:
    longest = [SETTLE.delay(n, draw=lambda: 0.0) for n in range(40)]
    assert longest[:3] == pytest.approx([0.05, 0.0575, 0.066125])
    assert max(longest) == 1.0 == longest[-1]
    assert longest == sorted(longest)
    assert SETTLE.delay(10_000, draw=lambda: 0.0) == 1.0  # no overflow however long the wait
    assert SETTLE.delay(30, cap=0.3, draw=lambda: 0.0) == 0.3


def test_a_pause_is_the_first_plus_15_percent_of_the_time_already_waited() -> None:
    """So a wait overshoots a settle of 1.5 s by at most 0.05 + 0.225 s (target: 0.3 s)."""
    waited = 0.0
    for n in range(40):
        pause = SETTLE.delay(n, draw=lambda: 0.0)
        assert pause <= 0.05 + 0.15 * waited + 1e-9
        waited += pause
    assert waited > 20  # 40 polls still wait long enough for a slow update


def test_jitter_only_shortens_a_pause_by_up_to_a_quarter() -> None:
    assert SETTLE.delay(0, draw=lambda: 1.0) == 0.05 * 0.75
    pauses = {SETTLE.delay(50) for _ in range(200)}
    assert len(pauses) > 1 and all(0.75 <= p <= 1.0 for p in pauses)
    assert Backoff(jitter=0.0, factor=2.0).delay(2) == 0.2
