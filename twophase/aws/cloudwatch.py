"""Health reads for gradual promotions: a version's Errors metric and alarm states."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from twophase.aws.lambda_errors import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_cloudwatch.type_defs import DimensionTypeDef


class HealthReader:
    """CloudWatch reads only. Takes a boto3 `cloudwatch` client."""

    def __init__(self, client: CloudWatchClient) -> None:
        self._client = client

    def version_errors(
        self, function: str, alias: str, version: str, *, start: datetime, end: datetime
    ) -> float:
        """The sum of AWS/Lambda `Errors` for `version` invoked through `alias` in [start, end)."""
        dimensions: list[DimensionTypeDef] = [
            {"Name": "FunctionName", "Value": function},
            {"Name": "Resource", "Value": f"{function}:{alias}"},
            {"Name": "ExecutedVersion", "Value": version},
        ]
        with aws_errors("cloudwatch:GetMetricStatistics", f"Errors of {function}:{version}"):
            response = self._client.get_metric_statistics(
                Namespace="AWS/Lambda",
                MetricName="Errors",
                Dimensions=dimensions,
                StartTime=start,
                EndTime=end,
                Period=60,
                Statistics=["Sum"],
            )
        return float(sum(point.get("Sum", 0.0) for point in response.get("Datapoints", [])))

    def alarms_firing(self, names: Sequence[str]) -> list[str]:
        """The names among `names` whose state is ALARM."""
        if not names:
            return []
        with aws_errors("cloudwatch:DescribeAlarms", ", ".join(names)):
            pages = self._client.get_paginator("describe_alarms").paginate(AlarmNames=list(names))
            alarms = [a for page in pages for a in page.get("MetricAlarms", [])]
        return sorted(str(a["AlarmName"]) for a in alarms if a.get("StateValue") == "ALARM")
