"""The schedule of a gradual promotion: options → schedule → CodeDeploy configuration."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from twophase.errors import UsageError
from twophase.release.shift import (
    CANARY,
    LINEAR,
    Schedule,
    format_seconds,
    predefined_config,
    schedule,
)


@pytest.mark.parametrize(
    ("canary", "linear", "interval", "expected"),
    [
        (None, None, None, None),  # at once
        (10, None, None, Schedule(CANARY, 10, 5)),  # 5 minutes unless told
        (10, None, 300.0, Schedule(CANARY, 10, 5)),
        (25, None, 3600.0, Schedule(CANARY, 25, 60)),
        (None, 10, 60.0, Schedule(LINEAR, 10, 1)),
        (None, 33, 120.0, Schedule(LINEAR, 33, 2)),
    ],
)
def test_options_give_a_schedule(
    canary: int | None, linear: int | None, interval: float | None, expected: Schedule | None
) -> None:
    assert schedule(canary=canary, linear=linear, interval=interval) == expected


@pytest.mark.parametrize(
    ("canary", "linear", "interval", "message"),
    [
        (10, 5, None, "--canary and --linear exclude each other: CodeDeploy has no schedule"),
        (10, None, 90.0, "--interval 90s: CodeDeploy shifts traffic in whole minutes"),
        (10, None, 30.0, "--interval 30s: CodeDeploy shifts traffic in whole minutes"),
        (None, None, 300.0, "--interval paces a gradual promotion"),
        (0, None, None, "--canary 0: out of range"),
        (None, 100, None, "--linear 100: out of range"),
    ],
)
def test_what_codedeploy_cannot_run_is_a_usage_error(
    canary: int | None, linear: int | None, interval: float | None, message: str
) -> None:
    with pytest.raises(UsageError) as refused:
        schedule(canary=canary, linear=linear, interval=interval)
    assert str(refused.value).startswith(message), str(refused.value)


@pytest.mark.parametrize(
    ("kind", "percent", "minutes", "expected"),
    [
        (CANARY, 10, 5, "CodeDeployDefault.LambdaCanary10Percent5Minutes"),
        (CANARY, 10, 10, "CodeDeployDefault.LambdaCanary10Percent10Minutes"),
        (CANARY, 10, 15, "CodeDeployDefault.LambdaCanary10Percent15Minutes"),
        (CANARY, 10, 30, "CodeDeployDefault.LambdaCanary10Percent30Minutes"),
        (LINEAR, 10, 1, "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"),
        (LINEAR, 10, 2, "CodeDeployDefault.LambdaLinear10PercentEvery2Minutes"),
        (LINEAR, 10, 3, "CodeDeployDefault.LambdaLinear10PercentEvery3Minutes"),
        (LINEAR, 10, 10, "CodeDeployDefault.LambdaLinear10PercentEvery10Minutes"),
        (CANARY, 10, 1, None),  # AWS predefines no one-minute canary
        (CANARY, 20, 5, None),
        (LINEAR, 10, 5, None),
        (LINEAR, 25, 1, None),
    ],
)
def test_the_predefined_configuration_of_a_schedule(
    kind: str, percent: int, minutes: int, expected: str | None
) -> None:
    assert predefined_config(Schedule(kind, percent, minutes)) == expected


def test_steps_total_and_time_left() -> None:
    canary, linear = Schedule(CANARY, 10, 5), Schedule(LINEAR, 30, 2)
    assert canary.steps() == ((10, 5), (100, 0))
    assert linear.steps() == ((30, 2), (60, 2), (90, 2), (100, 0))
    assert (canary.total_minutes, linear.total_minutes) == (5, 6)
    assert (canary.describe(), linear.describe()) == (
        "10% first, the rest after 5 minutes",
        "30% more every 2 minutes",
    )
    assert Schedule(LINEAR, 10, 1).describe() == "10% more every minute"
    since = datetime(2026, 1, 1, tzinfo=UTC)
    assert canary.seconds_left(None, since) == 300
    assert canary.seconds_left(since, since + timedelta(seconds=50)) == 250
    assert canary.seconds_left(since, since + timedelta(hours=1)) == 0
    assert [format_seconds(s) for s in (0, 42, 250, 3725)] == ["0s", "42s", "4m 10s", "1h 02m"]
