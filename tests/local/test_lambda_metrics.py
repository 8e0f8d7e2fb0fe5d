"""Invoke records Lambda's CloudWatch metrics, and metric alarms are evaluated against them."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.local._functions import RELEASE, Account, wait_for

FN = "metrics-fn"


def _dims(**given: str) -> list[Any]:
    return [{"Name": k, "Value": v} for k, v in given.items()]


def _sum(account: Account, metric: str, dimensions: list[Any]) -> float | None:
    """The Sum of `metric` over the last ten minutes; None when no datapoint was found."""
    now = datetime.now(UTC)
    points = account.cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName=metric,
        Dimensions=dimensions,
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=600,
        Statistics=["Sum"],
    )["Datapoints"]
    return sum(p["Sum"] for p in points) if points else None


def _released(account: Account) -> None:
    """FN with version 1 behind alias `live`."""
    account.function(FN)
    account.lam.publish_version(FunctionName=FN)
    account.lam.create_alias(FunctionName=FN, Name="live", FunctionVersion="1")


def test_each_invoke_counts_under_every_dimension_set_lambda_publishes(account: Account) -> None:
    """AWS: Lambda publishes `Invocations` and `Errors` (1 for a function error, else 0) by
    `FunctionName`, by `FunctionName`+`Resource` (NAME:QUALIFIER) for a call through a version or
    alias, by `FunctionName`+`Resource`+`ExecutedVersion` for a call through an alias, and
    without dimension for the whole region; an answer with a 500 status is not an error; each
    dimension set is its own metric.
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html
    """
    _released(account)
    account.invoke(FN)
    account.invoke(f"{FN}:live")
    assert account.invoke(f"{FN}:live", {"status": 500})["Body"]["statusCode"] == 500
    assert account.invoke(f"{FN}:live", {"fail": True})["FunctionError"] == "Unhandled"
    account.invoke(f"{FN}:1", {"fail": True})

    by_alias = _dims(FunctionName=FN, Resource=f"{FN}:live")
    by_version = _dims(FunctionName=FN, Resource=f"{FN}:live", ExecutedVersion="1")
    expected = {
        "region": ([], 5, 2),
        "function": (_dims(FunctionName=FN), 5, 2),
        "alias": (by_alias, 3, 1),
        "alias and version": (by_version, 3, 1),
        "version": (_dims(FunctionName=FN, Resource=f"{FN}:1"), 1, 1),
    }
    for what, (dims, invocations, errors) in expected.items():
        found = (_sum(account, "Invocations", dims), _sum(account, "Errors", dims))
        assert found == (invocations, errors), what
    through_version = _dims(FunctionName=FN, Resource=f"{FN}:1", ExecutedVersion="1")
    assert _sum(account, "Invocations", through_version) is None


def test_get_metric_data_reads_one_dimension_set_and_async_calls_count(account: Account) -> None:
    """AWS: an asynchronous (`Event`) invocation is recorded when the code runs; GetMetricData's
    MetricStat reads the metric with exactly its dimensions.
    https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricData.html
    """
    _released(account)
    account.lam.invoke(FunctionName=f"{FN}:live", InvocationType="Event", Payload=b"{}")

    def query(dimensions: list[Any]) -> list[float]:
        now = datetime.now(UTC)
        stat: Any = {
            "Metric": {"Namespace": "AWS/Lambda", "MetricName": "Invocations"},
            "Period": 600,
            "Stat": "Sum",
        }
        stat["Metric"]["Dimensions"] = dimensions
        result = account.cw.get_metric_data(
            MetricDataQueries=[{"Id": "q", "MetricStat": stat}],
            StartTime=now - timedelta(minutes=10),
            EndTime=now + timedelta(minutes=1),
        )["MetricDataResults"][0]
        return list(result["Values"])

    assert wait_for(lambda: query(_dims(FunctionName=FN))) == [1.0]
    assert query(_dims(FunctionName=FN, Resource=f"{FN}:live")) == [1.0]
    assert query(_dims(Resource=f"{FN}:live")) == []


def _alarm(account: Account, name: str, **extra: Any) -> None:
    account.cw.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=_dims(FunctionName=FN),
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        **extra,
    )


def _state(account: Account, name: str) -> str:
    return str(account.cw.describe_alarms(AlarmNames=[name])["MetricAlarms"][0]["StateValue"])


def test_an_errors_alarm_goes_to_alarm_when_the_code_raises(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: a new alarm is INSUFFICIENT_DATA; each evaluation compares the Sum of `Errors` over
    the last period with the threshold: 0 errors is OK, 1 is ALARM; a period without datapoints
    is missing data, INSUFFICIENT_DATA by default, OK with TreatMissingData notBreaching.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/AlarmThatSendsEmail.html
    """
    time_scale(120)  # a 60-second period lasts half a second
    account.function(FN, RELEASE.format(n=1))
    _alarm(account, "errors")
    _alarm(account, "errors-quiet-is-ok", TreatMissingData="notBreaching")
    assert _state(account, "errors") == "INSUFFICIENT_DATA"

    account.invoke(FN)
    wait_for(lambda: _state(account, "errors") == "OK")
    assert account.invoke(FN, {"fail": True})["FunctionError"] == "Unhandled"
    wait_for(lambda: _state(account, "errors") == "ALARM")
    alarm = account.cw.describe_alarms(AlarmNames=["errors"])["MetricAlarms"][0]
    assert alarm["StateReason"].startswith("Threshold Crossed: 1 out of the last 1 datapoints")

    wait_for(lambda: _state(account, "errors") == "INSUFFICIENT_DATA")
    assert _state(account, "errors-quiet-is-ok") == "OK"


def test_an_update_keeps_the_state_and_set_alarm_state_holds_until_the_next_evaluation(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: PutMetricAlarm on an existing alarm leaves its state unchanged; SetAlarmState sets a
    state that the next evaluation replaces.
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_PutMetricAlarm.html
    https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_SetAlarmState.html
    """
    time_scale(60)
    _alarm(account, "errors")
    assert _state(account, "errors") == "INSUFFICIENT_DATA"
    account.cw.set_alarm_state(AlarmName="errors", StateValue="ALARM", StateReason="drill")
    _alarm(account, "errors", AlarmDescription="updated")
    assert _state(account, "errors") == "ALARM"
    wait_for(lambda: _state(account, "errors") == "INSUFFICIENT_DATA", timeout=5)


def test_a_read_of_named_alarms_evaluates_only_them_reading_each_metric_once(
    account: Account, time_scale: Callable[[float], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded AWS evaluates alarms when they are read: DescribeAlarms with AlarmNames
    evaluates the named alarms only, and an alarm that missed many evaluations reads its
    metric's datapoints once for all of them."""
    from twophase.local.extensions import cloudwatch_alarm_evaluation as evaluation
    from twophase.local.extensions.cloudwatch_metric_dimensions import datapoints

    time_scale(3600)  # an evaluation every 1/60 s: half a second misses 30
    _alarm(account, "named")
    _alarm(account, "other")
    assert account.cw.describe_alarms()["MetricAlarms"]  # both evaluated once
    time.sleep(0.5)
    reads: list[str] = []

    def counted(backend: Any, namespace: str, name: str, dimensions: Any) -> list[Any]:
        reads.append(name)
        return datapoints(backend, namespace, name, dimensions)

    monkeypatch.setattr(evaluation, "datapoints", counted)
    assert _state(account, "named") == "INSUFFICIENT_DATA"
    assert reads == ["Errors"]
