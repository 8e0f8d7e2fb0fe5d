"""Metric alarms are evaluated against their metric's datapoints, as CloudWatch evaluates them.

AWS behaviour (CloudWatch user guide, "Using Amazon CloudWatch alarms" and "Configuring how
CloudWatch alarms treat missing data",
https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html): a new
alarm starts `INSUFFICIENT_DATA` ("Unchecked: Initial alarm creation"). Every minute (every period
for periods under a minute) the alarm reads its metric (namespace, name and exactly its dimensions)
over the last `EvaluationPeriods` periods of `Period` seconds, takes `Statistic` (or
`ExtendedStatistic`) of each, and compares it with `Threshold` by `ComparisonOperator`. With
`DatapointsToAlarm` M (default: EvaluationPeriods) breaching periods it goes to `ALARM`, otherwise
to `OK`. A period without data counts as `TreatMissingData` says: `missing` (the default: left
out; with no data at all the alarm is `INSUFFICIENT_DATA`), `notBreaching`, `breaching`, or
`ignore` (the state stays). Updating an alarm with PutMetricAlarm keeps its state; SetAlarmState
sets a state that holds until the next evaluation. Only state changes move
`StateUpdatedTimestamp`.

Here an alarm is evaluated when it is read (DescribeAlarms, DescribeAlarmsForMetric, or a
CodeDeploy deployment watching it), at each evaluation time it missed since, so its state does not
depend on when it is read. Periods and the evaluation interval follow the embedded AWS's time scale
(`_time_scale`: with TWOPHASE_LOCAL_TIME_SCALE=60 a 60-second period lasts one real second).
Alarms on metric math (`Metrics`) and composite alarms keep the state they are given. moto 5.2.5
never evaluates an alarm: it stays `OK` for ever.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable
from datetime import datetime, timedelta
from typing import Any

from twophase.local.extensions._cfn_common import patch
from twophase.local.extensions._time_scale import real_seconds
from twophase.local.extensions.cloudwatch_metric_dimensions import datapoints, statistic

_EVALUATED = "_twophase_evaluated_at"
_CATCH_UP = 20  # the most evaluations one read replays (older ones cannot change the state)
_lock = threading.RLock()

_COMPARE: dict[str, tuple[Callable[[float, float], bool], str]] = {
    "GreaterThanOrEqualToThreshold": (lambda v, t: v >= t, "greater than or equal to"),
    "GreaterThanThreshold": (lambda v, t: v > t, "greater than"),
    "LessThanThreshold": (lambda v, t: v < t, "less than"),
    "LessThanOrEqualToThreshold": (lambda v, t: v <= t, "less than or equal to"),
}


def _stat_name(alarm: Any) -> str:
    return str(alarm.statistic or alarm.extended_statistic or "Average")


def _metric_data(alarm: Any, backend: Any) -> list[Any]:
    """The datapoints of the alarm's metric (in its unit, when it names one)."""
    dims = [{"Name": d.name, "Value": d.value} for d in alarm.dimensions]
    return [
        md
        for md in datapoints(backend, alarm.namespace, alarm.metric_name, dims)
        if not alarm.unit or md.unit == alarm.unit
    ]


def _period_values(alarm: Any, data: list[Any], at: datetime) -> list[float | None]:
    """The alarm's statistic for each of its evaluation periods ending at `at`, newest first,
    over `data`, its metric's datapoints."""
    period = timedelta(seconds=real_seconds(float(alarm.period)))
    count = int(alarm.evaluation_periods)
    oldest = at - count * period
    found = [md for md in data if oldest <= md.timestamp < at]
    values: list[float | None] = []
    for k in range(count):
        end = at - k * period
        bucket = [md for md in found if end - period <= md.timestamp < end]
        values.append(statistic(bucket, _stat_name(alarm)))
    return values


def _reason(alarm: Any, values: list[float | None], state: str, at: datetime) -> tuple[str, str]:
    present = [v for v in values if v is not None]
    data = {
        "version": "1.0",
        "queryDate": at.isoformat(),
        "statistic": _stat_name(alarm),
        "period": alarm.period,
        "recentDatapoints": present,
        "threshold": alarm.threshold,
        "evaluatedDatapoints": [{"value": v} for v in present],
    }
    if state == "INSUFFICIENT_DATA":
        return f"Insufficient Data: {len(values)} datapoints were unknown.", json.dumps(data)
    _, phrase = _COMPARE[alarm.comparison_operator]
    shown = ", ".join(f"{v}" for v in present)
    negation = "" if state == "ALARM" else "not "
    reason = (
        f"Threshold Crossed: {len(present)} out of the last {len(values)} datapoints "
        f"[{shown}] was {negation}{phrase} the threshold ({float(alarm.threshold)})."
    )
    return reason, json.dumps(data)


def decide(alarm: Any, values: list[float | None]) -> str | None:
    """The state `values` (newest first) put the alarm in; None: it keeps its state."""
    compare, _ = _COMPARE[alarm.comparison_operator]
    threshold = float(alarm.threshold)
    present = [v for v in values if v is not None]
    breaching = sum(1 for v in present if compare(v, threshold))
    treat = alarm.treat_missing_data or "missing"
    if treat == "breaching":
        breaching += len(values) - len(present)
    needed = int(alarm.datapoints_to_alarm or alarm.evaluation_periods)
    if breaching >= needed:
        return "ALARM"
    if present or treat in ("breaching", "notBreaching"):
        return "OK"
    return "INSUFFICIENT_DATA" if treat == "missing" else None


def evaluable(alarm: Any) -> bool:
    """Whether this alarm reads one metric with a comparison the embedded AWS knows."""
    return bool(
        alarm.rule is None
        and alarm.metric_name
        and alarm.period
        and alarm.comparison_operator in _COMPARE
    )


def _evaluate_at(alarm: Any, data: list[Any], at: datetime) -> None:
    values = _period_values(alarm, data, at)
    state = decide(alarm, values)
    alarm.__dict__[_EVALUATED] = at
    if state is None or state == alarm.state_value:
        return
    reason, reason_data = _reason(alarm, values, state, at)
    alarm.update_state(reason, reason_data, state)
    alarm.state_updated_timestamp = at


def _due_times(alarm: Any, now: datetime) -> list[datetime]:
    """The evaluation times the alarm missed up to `now` (the last `_CATCH_UP` of them)."""
    last: datetime | None = alarm.__dict__.get(_EVALUATED)
    if last is None:
        return [now]
    every = timedelta(seconds=real_seconds(min(float(alarm.period), 60.0)))
    missed = int((now - last) / every)
    first = max(1, missed - _CATCH_UP + 1)
    return [last + k * every for k in range(first, missed + 1)]


def evaluate(backend: Any, alarms: Iterable[Any]) -> None:
    """Bring `alarms` (of CloudWatch `backend`) up to date."""
    from moto.core.utils import utcnow

    now = utcnow()
    with _lock:
        for alarm in alarms:
            due = _due_times(alarm, now) if evaluable(alarm) else []
            data = _metric_data(alarm, backend) if due else []
            for at in due:
                _evaluate_at(alarm, data, at)


def alarm_states(account_id: str, region: str, names: Iterable[str]) -> dict[str, str]:
    """The current state of each alarm of `names` that exists, evaluated first."""
    from moto.cloudwatch.models import cloudwatch_backends

    backend = cloudwatch_backends[account_id][region]
    found = [backend.alarms[n] for n in names if n in backend.alarms]
    evaluate(backend, found)
    return {a.name: str(a.state_value) for a in found}


def _keeping_state(original: Callable[..., Any]) -> Callable[..., Any]:
    def put_metric_alarm(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        with _lock:
            before = self.alarms.get(name)
            alarm = original(self, name, *args, **kwargs)
            if before is not None:
                for key in ("state_value", "state_reason", "state_reason_data", "history"):
                    setattr(alarm, key, getattr(before, key))
                alarm.state_updated_timestamp = before.state_updated_timestamp
                alarm.__dict__[_EVALUATED] = before.__dict__.get(_EVALUATED)
            elif alarm.rule is None:
                alarm.state_value = "INSUFFICIENT_DATA"
        return alarm

    return put_metric_alarm


def _holding_until_next_evaluation(original: Callable[..., Any]) -> Callable[..., Any]:
    def set_alarm_state(self: Any, alarm_name: str, *args: Any, **kwargs: Any) -> None:
        from moto.core.utils import utcnow

        with _lock:
            original(self, alarm_name, *args, **kwargs)
            self.alarms[alarm_name].__dict__[_EVALUATED] = utcnow()

    return set_alarm_state


def _read(self: Any) -> list[Any]:
    """The alarms a DescribeAlarms or DescribeAlarmsForMetric request reads: those it names
    (AlarmNames) or those of its metric, else every alarm of the region."""
    backend = self.cloudwatch_backend
    everyone = list(backend.alarms.values())
    if self._get_action() == "DescribeAlarmsForMetric":
        return list(
            self.filter_alarms(
                everyone, self._get_param("MetricName"), self._get_param("Namespace")
            )
        )
    names = self._get_param("AlarmNames") or []
    if names and not self._get_param("ActionPrefix") and not self._get_param("AlarmNamePrefix"):
        return [backend.alarms[n] for n in names if n in backend.alarms]
    return everyone


def _evaluated_first(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def read(self: Any) -> Any:
        evaluate(self.cloudwatch_backend, _read(self))
        return original(self)

    return read


def install() -> None:
    from moto.cloudwatch.models import CloudWatchBackend
    from moto.cloudwatch.responses import CloudWatchResponse

    patch(CloudWatchBackend, "put_metric_alarm", _keeping_state)
    patch(CloudWatchBackend, "set_alarm_state", _holding_until_next_evaluation)
    patch(CloudWatchResponse, "describe_alarms", _evaluated_first)
    patch(CloudWatchResponse, "describe_alarms_for_metric", _evaluated_first)
