"""Statistics are read per metric: a namespace, a name and exactly one set of dimensions.

AWS behaviour (CloudWatch API reference, GetMetricStatistics,
https://docs.aws.amazon.com/AmazonCloudWatch/latest/APIReference/API_GetMetricStatistics.html:
"CloudWatch treats each unique combination of dimensions as a separate metric. If a specific
combination of dimensions was not published, you can't retrieve statistics for it. You must
specify the same dimensions that were used when the metrics were created."; GetMetricData's
MetricStat names its metric the same way): a query for `Errors` with only `FunctionName` reads the
datapoints published with exactly that dimension, not those published with `FunctionName` and
`Resource` too, and a query with no dimension reads only the datapoints published without one.
Percentile statistics (`p99`, `p99.9`) are computed over the period's values.

moto 5.2.5 matches any datapoint whose dimensions include the query's (so the sums of Lambda's
overlapping dimension sets add up), ignores the namespace when dimensions are given, and compares
dimension lists with a broken sort order.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from contextvars import ContextVar
from datetime import datetime, timedelta
from typing import Any

from twophase.local.extensions._cfn_common import patch

_ONLY: ContextVar[list[Any] | None] = ContextVar("twophase_metric_data_only", default=None)


def same_dimensions(datum: Any, dimensions: Iterable[dict[str, Any]]) -> bool:
    """Whether `datum` was published with exactly `dimensions` (order does not matter)."""
    published = {(d.name, d.value) for d in datum.dimensions}
    return published == {(d["Name"], d.get("Value")) for d in dimensions}


def datapoints(
    backend: Any, namespace: str, name: str, dimensions: Sequence[dict[str, Any]]
) -> list[Any]:
    """The datapoints of one metric."""
    return [
        md
        for md in backend.get_all_metrics()
        if md.namespace == namespace and md.name == name and same_dimensions(md, dimensions)
    ]


def statistic(data: Sequence[Any], stat: str) -> float | None:
    """`stat` (Sum, Average, Minimum, Maximum, SampleCount or pNN) of `data`; None if empty."""
    from moto.cloudwatch.models import Statistics

    if stat.startswith("p") and stat[1:].replace(".", "", 1).isdigit():
        values = sorted(v for md in data if (v := getattr(md, "value", None)) is not None)
        if not values:
            return None
        rank = max(1, math.ceil(float(stat[1:]) / 100 * len(values)))
        return float(values[min(rank, len(values)) - 1])
    stats = Statistics([stat], data[0].timestamp if data else datetime.min)
    stats.metric_data = list(data)
    value = stats.get_statistics_for_type(stat) if data else None
    return None if value is None else float(value)


def _metric_stat_result(
    backend: Any, query: dict[str, Any], start: datetime, end: datetime, scan_by: str
) -> dict[str, Any]:
    spec = query["MetricStat"]
    metric, stat, unit = spec["Metric"], spec["Stat"], spec.get("Unit")
    found = [
        md
        for md in datapoints(
            backend, metric["Namespace"], metric["MetricName"], metric.get("Dimensions", [])
        )
        if start <= md.timestamp < end and (not unit or md.unit == unit)
    ]
    step = timedelta(seconds=int(spec["Period"]))
    values: list[float] = []
    stamps: list[datetime] = []
    bucket_start = start
    while bucket_start < end:
        bucket = [md for md in found if bucket_start <= md.timestamp < bucket_start + step]
        value = statistic(bucket, stat)
        if value is not None:
            values.append(value)
            stamps.append(bucket_start)
        bucket_start += step
    if scan_by == "TimestampDescending":
        values.reverse()
        stamps.reverse()
    return {
        "id": query["Id"],
        "label": query.get("Label") or f"{metric['MetricName']} {stat}",
        "values": values,
        "timestamps": stamps,
        "status_code": "Complete",
    }


def _exact_metric_data(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_metric_data(
        self: Any,
        queries: list[dict[str, Any]],
        start_time: datetime,
        end_time: datetime,
        scan_by: str = "TimestampAscending",
    ) -> list[dict[str, Any]]:
        if any("MetricStat" not in q for q in queries):  # metric math: moto's own reading
            return original(self, queries, start_time, end_time, scan_by)
        original(self, [], start_time, end_time, scan_by)  # moto's checks of the time range
        start, end = start_time.replace(microsecond=0), end_time.replace(microsecond=0)
        return [
            _metric_stat_result(self, q, start, end, scan_by)
            for q in queries
            if q.get("ReturnData", True)
        ]

    return get_metric_data


def _exact_metric_statistics(original: Callable[..., Any]) -> Callable[..., Any]:
    def get_metric_statistics(
        self: Any,
        namespace: str,
        metric_name: str,
        start_time: datetime,
        end_time: datetime,
        period: int,
        stats: list[str],
        dimensions: list[dict[str, str]],
        unit: str | None = None,
    ) -> Any:
        token = _ONLY.set(datapoints(self, namespace, metric_name, dimensions or []))
        try:
            return original(
                self, namespace, metric_name, start_time, end_time, period, stats, dimensions, unit
            )
        finally:
            _ONLY.reset(token)

    return get_metric_statistics


def _restricted(original: Callable[[Any], list[Any]]) -> Callable[[Any], list[Any]]:
    def get_all_metrics(self: Any) -> list[Any]:
        only = _ONLY.get()
        return original(self) if only is None else only

    return get_all_metrics


def install() -> None:
    from moto.cloudwatch.models import CloudWatchBackend

    patch(CloudWatchBackend, "get_all_metrics", _restricted)
    patch(CloudWatchBackend, "get_metric_statistics", _exact_metric_statistics)
    patch(CloudWatchBackend, "get_metric_data", _exact_metric_data)
