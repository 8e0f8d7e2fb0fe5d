from __future__ import annotations

import pytest

from twophase.errors import UsageError
from twophase.release.shift import remaining_after, shift_percentages, to_percent, to_weight


@pytest.mark.parametrize(
    ("canary", "linear", "expected"),
    [
        (None, None, (100,)),
        (10, None, (10, 100)),
        (None, 10, (10, 20, 30, 40, 50, 60, 70, 80, 90, 100)),
        (None, 30, (30, 60, 90, 100)),
        (None, 50, (50, 100)),
        (5, 20, (5, 25, 45, 65, 85, 100)),
        (99, None, (99, 100)),
        (1, 99, (1, 100)),
    ],
)
def test_shift_percentages(
    canary: int | None, linear: int | None, expected: tuple[int, ...]
) -> None:
    assert shift_percentages(canary=canary, linear=linear) == expected


@pytest.mark.parametrize(
    ("canary", "linear"), [(0, None), (100, None), (None, 0), (None, 100), (-5, 10)]
)
def test_out_of_range_is_a_usage_error(canary: int | None, linear: int | None) -> None:
    with pytest.raises(UsageError, match="out of range"):
        shift_percentages(canary=canary, linear=linear)


def test_a_resume_skips_the_steps_already_taken() -> None:
    steps = shift_percentages(linear=25)
    assert remaining_after(steps, 0) == (25, 50, 75, 100)
    assert remaining_after(steps, 50.0) == (75, 100)
    assert remaining_after(steps, 100) == ()


def test_weights_and_percentages_round_trip() -> None:
    assert to_weight(10) == 0.1
    assert to_weight(33) == 0.33
    assert to_percent(0.1) == 10.0
    assert [to_percent(to_weight(p)) for p in range(1, 100)] == list(range(1, 100))
