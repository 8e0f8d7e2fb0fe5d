"""The thin CloudWatch Logs reader behind `twophase logs`: a function's log events, in order."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from twophase.aws.errors import aws_call
from twophase.errors import NotFoundError

if TYPE_CHECKING:
    from mypy_boto3_logs.client import CloudWatchLogsClient
    from mypy_boto3_logs.type_defs import FilterLogEventsRequestTypeDef

NOT_FOUND_HINT = "invoke it first: the log group appears with the first invocation's logs"


@dataclass(frozen=True)
class LogEvent:
    event_id: str
    timestamp_ms: int
    stream: str
    message: str


class LogReader:
    """Reads one log group. Takes a boto3 `logs` client."""

    def __init__(self, client: CloudWatchLogsClient) -> None:
        self._client = client

    def since(self, group: str, start_ms: int) -> list[LogEvent]:
        """Every event at or after `start_ms`, oldest first (all pages)."""
        events: list[LogEvent] = []
        kwargs: FilterLogEventsRequestTypeDef = {
            "logGroupName": group,
            "startTime": start_ms,
            "interleaved": True,
        }
        with aws_call("logs:FilterLogEvents", group, not_found_hint=NOT_FOUND_HINT):
            while True:
                page = self._client.filter_log_events(**kwargs)
                events += [
                    LogEvent(
                        event_id=str(e.get("eventId", "")),
                        timestamp_ms=int(e["timestamp"]),
                        stream=str(e.get("logStreamName", "")),
                        message=str(e.get("message", "")),
                    )
                    for e in page.get("events", [])
                ]
                token = page.get("nextToken")
                if not token or token == kwargs.get("nextToken"):
                    break
                kwargs["nextToken"] = token
        return sorted(events, key=lambda e: e.timestamp_ms)  # stable: each stream keeps its order


def delete_log_group(client: CloudWatchLogsClient, group: str) -> bool:
    """Delete the log group; False when there is none (Lambda makes it on first log)."""
    try:
        with aws_call("logs:DeleteLogGroup", group):
            client.delete_log_group(logGroupName=group)
    except NotFoundError:
        return False
    return True
