"""Alarm reads for gradual promotions: which named alarms exist, and their states."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from twophase.aws.lambda_errors import aws_errors

if TYPE_CHECKING:
    from mypy_boto3_cloudwatch.client import CloudWatchClient


class AlarmReader:
    """CloudWatch reads only. Takes a boto3 `cloudwatch` client."""

    def __init__(self, client: CloudWatchClient) -> None:
        self._client = client

    def states(self, names: Sequence[str]) -> dict[str, str]:
        """The state (OK, ALARM, INSUFFICIENT_DATA) of each alarm among `names` that exists; a
        name that is not there is not in the answer. One DescribeAlarms, which takes at most 100
        names: a promotion asks for the at most 10 alarms CodeDeploy watches."""
        wanted = list(dict.fromkeys(names))
        found: dict[str, str] = {}
        with aws_errors("cloudwatch:DescribeAlarms", ", ".join(wanted)):
            pages = self._client.get_paginator("describe_alarms").paginate(
                AlarmNames=wanted, AlarmTypes=["MetricAlarm", "CompositeAlarm"]
            )
            for page in pages:
                for alarm in [*page.get("MetricAlarms", []), *page.get("CompositeAlarms", [])]:
                    found[str(alarm["AlarmName"])] = str(alarm.get("StateValue", ""))
        return found
