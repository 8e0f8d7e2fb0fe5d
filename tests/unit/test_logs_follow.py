"""Following a log group: every event once, in order, none lost at a shared millisecond."""

from __future__ import annotations

from twophase.aws.logs import LogEvent, follow


def ev(event_id: str, ms: int) -> LogEvent:
    return LogEvent(event_id, ms, "stream", f"message {event_id}")


def test_follow_gives_each_event_once_and_asks_from_the_newest_timestamp() -> None:
    group = [ev("a", 100), ev("b", 200)]
    # "e" arrives after "d" with an older timestamp: following never goes back for it.
    arrivals = [[ev("c", 200), ev("d", 300)], [], [ev("e", 250)]]
    asked: list[int] = []
    slept: list[float] = []
    polls = iter(range(4))

    def read(since: int) -> list[LogEvent]:
        asked.append(since)
        if len(asked) > 1 and arrivals:
            group.extend(arrivals.pop(0))
        return sorted((e for e in group if e.timestamp_ms >= since), key=lambda e: e.timestamp_ms)

    got = list(
        follow(read, 50, sleep=slept.append, interval=1.5, keep_going=lambda: next(polls) < 3)
    )

    assert [e.event_id for e in got] == ["a", "b", "c", "d"]
    assert asked == [50, 200, 300, 300]
    assert slept == [1.5, 1.5, 1.5]


def test_without_follow_up_polls_it_reads_once() -> None:
    got = list(
        follow(lambda since: [ev("a", since)], 7, sleep=lambda _: None, keep_going=lambda: False)
    )

    assert got == [ev("a", 7)]
