"""The schedule of a gradual promotion: pure arithmetic, no AWS.

CodeDeploy shifts a Lambda alias on a time-based schedule counted in whole minutes: a canary
(P% first, the rest after T minutes) or linear (P% more every T minutes). AWS predefines some of
them (`CodeDeployDefault.LambdaCanary10Percent5Minutes`, …); any other is a custom deployment
configuration, named after its schedule (`twophase.names.deployment_config_name`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime

from twophase.errors import UsageError

FULL = 100
CANARY, LINEAR = "canary", "linear"
ROUTING_TYPES = {CANARY: "TimeBasedCanary", LINEAR: "TimeBasedLinear"}
PREDEFINED_PREFIX = "CodeDeployDefault."
# AWS's predefined Lambda schedules: 10% with these intervals (CodeDeploy user guide,
# "Deployment configurations on an AWS Lambda compute platform").
PREDEFINED_PERCENT = 10
PREDEFINED_MINUTES = {CANARY: (5, 10, 15, 30), LINEAR: (1, 2, 3, 10)}
EXCLUSIVE_HINT = (
    "choose one: --canary P (P% first, the rest after --interval) or --linear P "
    "(P% more every --interval)"
)


@dataclass(frozen=True)
class Schedule:
    """A time-based shift: `kind` canary or linear, `percent` of the traffic, every `minutes`."""

    kind: str
    percent: int
    minutes: int

    @property
    def routing_type(self) -> str:
        """CodeDeploy's name for it: TimeBasedCanary or TimeBasedLinear."""
        return ROUTING_TYPES[self.kind]

    def steps(self) -> tuple[tuple[int, int], ...]:
        """(percent on the new version, minutes until the next step), ending at (100, 0)."""
        if self.kind == CANARY:
            return ((self.percent, self.minutes), (FULL, 0))
        shares = range(self.percent, FULL, self.percent)
        return (*((p, self.minutes) for p in shares), (FULL, 0))

    @property
    def total_minutes(self) -> int:
        """How long traffic takes to shift entirely, once the first share moved."""
        return sum(minutes for _, minutes in self.steps())

    def describe(self) -> str:
        minutes = f"{self.minutes} minute{'' if self.minutes == 1 else 's'}"
        if self.kind == CANARY:
            return f"{self.percent}% first, the rest after {minutes}"
        return f"{self.percent}% more every {'minute' if self.minutes == 1 else minutes}"

    def seconds_left(self, shifting_since: datetime | None, now: datetime) -> float:
        """Time until traffic has shifted entirely, counted from when it began to shift."""
        total = self.total_minutes * 60.0
        if shifting_since is None:
            return total
        return max(0.0, total - (now - shifting_since).total_seconds())


def schedule(*, canary: int | None, linear: int | None, interval: float | None) -> Schedule | None:
    """The schedule `--canary`/`--linear P --interval T` ask for (None: at once), or the one
    usage error that says why CodeDeploy cannot run it."""
    if canary is not None and linear is not None:
        raise UsageError(
            "--canary and --linear exclude each other: CodeDeploy has no schedule that does both",
            hint=EXCLUSIVE_HINT,
        )
    if canary is None and linear is None:
        if interval is not None:
            raise UsageError(
                "--interval paces a gradual promotion", hint="add --canary P or --linear P"
            )
        return None
    kind, percent = (CANARY, canary) if canary is not None else (LINEAR, linear)
    assert percent is not None
    if not 1 <= percent <= FULL - 1:
        raise UsageError(f"--{kind} {percent}: out of range", hint="use a percentage from 1 to 99")
    return Schedule(kind, percent, _whole_minutes(5 * 60.0 if interval is None else interval))


def _whole_minutes(seconds: float) -> int:
    minutes = seconds / 60
    if seconds < 60 or not math.isclose(minutes, round(minutes)):
        raise UsageError(
            f"--interval {seconds:g}s: CodeDeploy shifts traffic in whole minutes",
            hint="use 1m, 2m, 5m, 1h…",
        )
    return round(minutes)


def predefined_config(s: Schedule) -> str | None:
    """AWS's predefined configuration for this schedule, when there is one."""
    if s.percent != PREDEFINED_PERCENT or s.minutes not in PREDEFINED_MINUTES[s.kind]:
        return None
    if s.kind == CANARY:
        return f"{PREDEFINED_PREFIX}LambdaCanary10Percent{s.minutes}Minutes"
    unit = "Minute" if s.minutes == 1 else "Minutes"
    return f"{PREDEFINED_PREFIX}LambdaLinear10PercentEvery{s.minutes}{unit}"


def format_seconds(seconds: float) -> str:
    """`4m 05s`, `42s`: how long, for a progress line."""
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole}s"
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s"
