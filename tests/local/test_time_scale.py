"""The embedded AWS's time scale: set in the test's process, or by TWOPHASE_LOCAL_TIME_SCALE where
the server starts (`_time_scale`); a value that is not a positive number is refused by name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from twophase.local.extensions._time_scale import (
    TIME_SCALE_ENV,
    real_seconds,
    set_time_scale,
    time_scale,
)


@pytest.fixture
def from_environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[pytest.MonkeyPatch]:
    """No scale set in the process: the variable decides."""
    set_time_scale(None)
    monkeypatch.delenv(TIME_SCALE_ENV, raising=False)
    yield monkeypatch
    set_time_scale(None)


@pytest.mark.parametrize(("raw", "scale"), [("60", 60.0), (" 2.5 ", 2.5), ("", 1.0)])
def test_the_variable_sets_the_scale(
    from_environment: pytest.MonkeyPatch, raw: str, scale: float
) -> None:
    from_environment.setenv(TIME_SCALE_ENV, raw)
    assert time_scale() == scale
    assert real_seconds(60) == 60 / scale


def test_unset_the_scale_is_real_time(from_environment: pytest.MonkeyPatch) -> None:
    assert time_scale() == 1.0
    assert real_seconds(300) == 300


def test_a_scale_set_in_the_process_wins_over_the_variable(
    from_environment: pytest.MonkeyPatch,
) -> None:
    from_environment.setenv(TIME_SCALE_ENV, "60")
    set_time_scale(600)
    assert time_scale() == 600.0
    set_time_scale(None)
    assert time_scale() == 60.0


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("fast", f"{TIME_SCALE_ENV}='fast' is not a number"),
        ("nan", f"{TIME_SCALE_ENV}='nan' is not a finite number"),
        ("inf", f"{TIME_SCALE_ENV}='inf' is not a finite number"),
        ("0", f"{TIME_SCALE_ENV}='0' must be positive"),
        ("-60", f"{TIME_SCALE_ENV}='-60' must be positive"),
    ],
)
def test_a_bad_variable_is_refused_naming_it(
    from_environment: pytest.MonkeyPatch, raw: str, message: str
) -> None:
    from_environment.setenv(TIME_SCALE_ENV, raw)
    with pytest.raises(ValueError) as refused:
        time_scale()
    assert str(refused.value) == message


@pytest.mark.parametrize("scale", [0, -1, float("nan"), float("inf")])
def test_a_scale_that_is_not_positive_is_refused(scale: float) -> None:
    with pytest.raises(ValueError, match="a time scale must be positive"):
        set_time_scale(scale)
