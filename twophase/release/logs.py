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

from twophase.aws.logs import LogEvent, LogReader
from twophase.release.context import PhaseTwo

LAG_MS = 30_000
POLL_SECONDS = 2.0


@dataclass(frozen=True)
class LogsOptions:
    function: str
    since_seconds: float = 600.0


def log_group(ctx: PhaseTwo, function: str) -> str:
    ctx.check_function(function)
    return f"/aws/lambda/{ctx.physical_name(function)}"


def read_logs(ctx: PhaseTwo, options: LogsOptions) -> tuple[str, list[LogEvent]]:
    """The log group and its events since `since_seconds` ago, oldest first."""
    group = log_group(ctx, options.function)
    return group, _reader(ctx).since(group, _start_ms(options))


def follow_logs(
    ctx: PhaseTwo, options: LogsOptions, keep_going: Callable[[], bool] = lambda: True
) -> Iterator[LogEvent]:
    """The events since `since_seconds` ago, then new ones as they arrive, each once."""
    group = log_group(ctx, options.function)
    reader = _reader(ctx)
    return follow(
        lambda ms: reader.since(group, ms),
        _start_ms(options),
        sleep=ctx.sleep,
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


def _reader(ctx: PhaseTwo) -> LogReader:
    if ctx.logs_client is None:  # a PhaseTwo built by hand, without one
        raise RuntimeError("PhaseTwo.logs_client is not set")
    return LogReader(ctx.logs_client)


def _start_ms(options: LogsOptions) -> int:
    return int((time.time() - options.since_seconds) * 1000)
