"""`twophase logs`: a function's log events since a moment, and following new ones.

Every version and alias of a function writes to one log group, `/aws/lambda/<function>`.
Following polls the group; each poll looks `LAG_MS` back from the newest event seen, because an
event can arrive in CloudWatch after events with later timestamps (from another log stream), and
skips the events already given.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from twophase.aws.logs import LogEvent
from twophase.names import log_group_name
from twophase.release.context import Scope
from twophase.release.ports import LogSource

LAG_MS = 30_000
POLL_SECONDS = 2.0


@dataclass(frozen=True)
class LogsDeps:
    """What reading logs uses: the function's log group, and the sleep between polls."""

    scope: Scope
    logs: LogSource
    sleep: Callable[[float], None] = time.sleep


@dataclass(frozen=True)
class LogsOptions:
    function: str
    since_seconds: float = 600.0


def log_group(deps: LogsDeps, function: str) -> str:
    deps.scope.check_function(function)
    return log_group_name(deps.scope.config.app, deps.scope.env, function)


def read_logs(deps: LogsDeps, options: LogsOptions) -> tuple[str, list[LogEvent]]:
    """The log group and its events since `since_seconds` ago, oldest first."""
    group = log_group(deps, options.function)
    return group, deps.logs.since(group, _start_ms(options))


def follow_logs(
    deps: LogsDeps, options: LogsOptions, keep_going: Callable[[], bool] = lambda: True
) -> Iterator[LogEvent]:
    """The events since `since_seconds` ago, then new ones as they arrive, each once."""
    group = log_group(deps, options.function)
    return follow(
        lambda ms: deps.logs.since(group, ms),
        _start_ms(options),
        sleep=deps.sleep,
        keep_going=keep_going,
    )


def follow(
    read: Callable[[int], list[LogEvent]],
    start_ms: int,
    *,
    sleep: Callable[[float], None],
    interval: float = POLL_SECONDS,
    keep_going: Callable[[], bool] = lambda: True,
) -> Iterator[LogEvent]:
    """Events from `start_ms` on, then new ones as they come (each once), while `keep_going()`."""
    seen: dict[str, int] = {}  # ids given, by timestamp, while they can come again
    newest = start_ms
    while True:
        for event in read(max(start_ms, newest - LAG_MS)):
            if event.event_id in seen:
                continue
            seen[event.event_id] = event.timestamp_ms
            newest = max(newest, event.timestamp_ms)
            yield event
        seen = {i: t for i, t in seen.items() if t >= newest - LAG_MS}
        if not keep_going():
            return
        sleep(interval)


def _start_ms(options: LogsOptions) -> int:
    return int((time.time() - options.since_seconds) * 1000)
