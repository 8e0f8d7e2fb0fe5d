"""Following a log group: every event once, late arrivals within the lag included."""

from __future__ import annotations

from twophase.aws.logs import LogEvent
from twophase.release.logs import LAG_MS, follow

T = 1_700_000_000_000  # ms


def ev(event_id: str, ms: int) -> LogEvent:
    return LogEvent(event_id, ms, "stream", f"message {event_id}")


def test_follow_gives_each_event_once_including_late_arrivals_within_the_lag() -> None:
    group = [ev("a", T), ev("b", T + 10_000)]
    arrivals = [
        [ev("c", T + 10_000), ev("d", T + 50_000)],  # "c" shares b's millisecond
        [ev("e", T + 30_000)],  # late, from another stream, within the lag of "d"
        [ev("f", T + 1_000)],  # far too late: older than the lag reaches back
    ]
    asked: list[int] = []
    slept: list[float] = []
    polls = iter(range(4))

    def read(since: int) -> list[LogEvent]:
        asked.append(since)
        if len(asked) > 1 and arrivals:
            group.extend(arrivals.pop(0))
        return sorted((e for e in group if e.timestamp_ms >= since), key=lambda e: e.timestamp_ms)

    got = list(
        follow(read, T - 5, sleep=slept.append, interval=1.5, keep_going=lambda: next(polls) < 3)
    )

    assert [e.event_id for e in got] == ["a", "b", "c", "d", "e"]
    # Never before the start; then from the newest event seen, less the lag.
    assert asked == [T - 5, T - 5, T + 50_000 - LAG_MS, T + 50_000 - LAG_MS]
    assert slept == [1.5, 1.5, 1.5]


def test_without_follow_up_polls_it_reads_once() -> None:
    got = list(
        follow(lambda since: [ev("a", since)], T, sleep=lambda _: None, keep_going=lambda: False)
    )

    assert got == [ev("a", T)]
