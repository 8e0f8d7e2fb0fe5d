"""The thin CloudWatch Logs reader behind `twophase logs`: a function's log events, in order."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from twophase.aws.errors import aws_call

NOT_FOUND_HINT = "invoke it first: the log group appears with the first invocation's logs"


@dataclass(frozen=True)
class LogEvent:
    event_id: str
    timestamp_ms: int
    stream: str
    message: str


class LogReader:
    """Reads one log group. Takes a boto3 `logs` client."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def since(self, group: str, start_ms: int) -> list[LogEvent]:
        """Every event at or after `start_ms`, oldest first (all pages)."""
        events: list[LogEvent] = []
        kwargs: dict[str, Any] = {"logGroupName": group, "startTime": start_ms, "interleaved": True}
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
        return sorted(events, key=lambda e: (e.timestamp_ms, e.event_id))


def follow(
    read: Callable[[int], list[LogEvent]],
    start_ms: int,
    *,
    sleep: Callable[[float], None],
    interval: float = 2.0,
    keep_going: Callable[[], bool] = lambda: True,
) -> Iterator[LogEvent]:
    """Events from `start_ms` on, then new ones as they arrive (each once), while `keep_going()`.

    Each poll asks again from the newest timestamp seen, so events sharing that millisecond are
    not lost; the ids already given at that millisecond are skipped.
    """
    seen: dict[str, int] = {}  # ids given, by timestamp; only those at `since` can come again
    since = start_ms
    while True:
        for event in read(since):
            if event.event_id in seen:
                continue
            seen[event.event_id] = event.timestamp_ms
            since = max(since, event.timestamp_ms)
            yield event
        seen = {i: t for i, t in seen.items() if t >= since}
        if not keep_going():
            return
        sleep(interval)
