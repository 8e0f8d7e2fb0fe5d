"""Phase two's plumbing: two reads at once, with their API calls counted for the caller."""

from __future__ import annotations

import threading

import pytest

from twophase.release.context import CallCounter, both


def test_both_runs_the_two_at_once_and_counts_the_helpers_calls_here() -> None:
    calls = CallCounter()
    met = threading.Barrier(2, timeout=5)  # neither returns until both run: they overlap

    def call(value: str) -> str:
        met.wait()
        calls._on_call()
        return value

    before = calls.in_this_thread()
    assert both(calls, lambda: call("a"), lambda: call("b")) == ("a", "b")
    assert calls.in_this_thread() - before == 2


@pytest.mark.parametrize("failing", ["first", "second"])
def test_both_hands_on_either_error(failing: str) -> None:
    def boom() -> str:
        raise LookupError(failing)

    first, second = (boom, lambda: "ok") if failing == "first" else (lambda: "ok", boom)
    with pytest.raises(LookupError, match=failing):
        both(CallCounter(), first, second)


def test_each_thread_counts_its_own_calls_unless_it_adopts_anothers() -> None:
    calls = CallCounter()
    calls._on_call()
    mine = calls.bucket()
    seen: list[int] = []

    def other(adopt: bool) -> None:
        if adopt:
            calls.adopt(mine)
        calls._on_call()
        seen.append(calls.in_this_thread())

    for adopt in (False, True):
        worker = threading.Thread(target=other, args=(adopt,))
        worker.start()
        worker.join()
    assert seen == [1, 2]  # its own count; then this thread's, one more
    assert calls.in_this_thread() == 2
