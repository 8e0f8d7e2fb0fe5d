"""Every invocation of a function records its `AWS/Lambda` metrics in CloudWatch.

AWS behaviour (Lambda developer guide, "Types of metrics for Lambda functions" and "Viewing
metrics in the CloudWatch console",
https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html): when a function runs,
Lambda sends `Invocations` (1), `Errors` (1 when the invocation ended in a function error: an
exception the code raised, a timeout, a crash; else 0) and `Duration` (milliseconds), stamped
with the time of the invocation, under each dimension set that applies:

- no dimension ("across all functions" of the region);
- `FunctionName` (every version and alias of the function);
- `FunctionName` + `Resource` (`NAME:QUALIFIER`) when the call named a version or an alias;
- `FunctionName` + `Resource` + `ExecutedVersion` (the version that ran) when it named an alias,
  which is how a weighted alias's versions are told apart.

A handled answer such as an HTTP 500 body is not an error for Lambda. A call that never ran the
code (throttled, DryRun, a runtime that cannot run) records nothing. CloudWatch treats each
dimension set as its own metric (see `cloudwatch_metric_dimensions`).

Invocations through the API, event source mappings and HTTP APIs all run through
`lambda_invoke`, whose runs this extension records. moto 5.2.5 records no Lambda metric.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from twophase.local.extensions._cfn_common import patch, split_function

NAMESPACE = "AWS/Lambda"


def dimension_sets(function_name: str, qualifier: str | None, executed: str) -> list[list[Any]]:
    """The dimension sets Lambda publishes for one call of `function_name[:qualifier]`."""
    sets: list[list[Any]] = [[], [{"Name": "FunctionName", "Value": function_name}]]
    if qualifier:
        resource = [*sets[1], {"Name": "Resource", "Value": f"{function_name}:{qualifier}"}]
        sets.append(resource)
        if not qualifier.isdigit() and qualifier != "$LATEST":  # an alias
            sets.append([*resource, {"Name": "ExecutedVersion", "Value": executed}])
    return sets


def record(
    fn: Any, invoked_arn: str, executed: str, errored: bool, duration_ms: float, at: datetime
) -> None:
    """Add one invocation's datapoints to the function's region's CloudWatch."""
    from moto.cloudwatch.models import MetricDatum, cloudwatch_backends

    backend = cloudwatch_backends[fn.account_id][fn.region]
    _, qualifier = split_function(invoked_arn)
    values = (
        ("Invocations", 1.0, "Count"),
        ("Errors", 1.0 if errored else 0.0, "Count"),
        ("Duration", duration_ms, "Milliseconds"),
    )
    for dimensions in dimension_sets(fn.function_name, qualifier, executed):
        for name, value, unit in values:
            datum = MetricDatum(NAMESPACE, name, value, dimensions, at, unit)
            backend.metric_data.append(datum)


def _recorded(original: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
    def run_and_record(fn: Any, inv: Any) -> Any:
        from moto.core.utils import utcnow

        started = utcnow()
        result = original(fn, inv)
        record(
            fn,
            inv.invoked_function_arn,
            inv.function_version,
            result.errored,
            result.duration_ms,
            started,
        )
        return result

    return run_and_record


def install() -> None:
    from twophase.local.extensions import lambda_invoke

    patch(lambda_invoke, "_run_and_record", _recorded)
