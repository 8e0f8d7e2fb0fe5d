"""Alarm reads for gradual promotions: which named alarms exist, and their states."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from twophase.aws.lambda_errors import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient

DESCRIBE_LIMIT = 100  # alarm names per DescribeAlarms request


class AlarmReader:
    """CloudWatch reads only. Takes a boto3 `cloudwatch` client."""

    def __init__(self, client: CloudWatchClient) -> None:
        self._client = client

    def states(self, names: Sequence[str]) -> dict[str, str]:
        """The state (OK, ALARM, INSUFFICIENT_DATA) of each alarm among `names` that exists; a
        name that is not there is not in the answer."""
        wanted = list(dict.fromkeys(names))
        found: dict[str, str] = {}
        for start in range(0, len(wanted), DESCRIBE_LIMIT):
            chunk = wanted[start : start + DESCRIBE_LIMIT]
            with aws_errors("cloudwatch:DescribeAlarms", ", ".join(chunk)):
                pages = self._client.get_paginator("describe_alarms").paginate(
                    AlarmNames=chunk, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
                )
                for page in pages:
                    for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                        found[str(alarm["AlarmName"])] = str(alarm.get("StateValue", ""))
        return found
