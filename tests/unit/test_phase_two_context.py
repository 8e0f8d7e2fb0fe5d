"""PhaseTwo's plumbing: two reads at once, with their API calls counted for the caller."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from twophase.release.context import CallCounter, PhaseTwo
from twophase.release.release_record import GitReader


def phase_two(tmp_path: Path) -> PhaseTwo:
    unused: Any = None
    return PhaseTwo(
        config=unused,
        env="dev",
        lambda_=unused,
        artifacts=unused,
        identity=unused,
        health=unused,
        git=GitReader(tmp_path),
        bucket_lookup=lambda: "bucket",
    )


def test_both_runs_the_two_at_once_and_counts_the_helpers_calls_here(tmp_path: Path) -> None:
    ctx = phase_two(tmp_path)
    met = threading.Barrier(2, timeout=5)  # neither returns until both run: they overlap

    def call(value: str) -> str:
        met.wait()
        ctx.calls._on_call()
        return value

    before = ctx.calls.in_this_thread()
    assert ctx.both(lambda: call("a"), lambda: call("b")) == ("a", "b")
    assert ctx.calls.in_this_thread() - before == 2


@pytest.mark.parametrize("failing", ["first", "second"])
def test_both_hands_on_either_error(tmp_path: Path, failing: str) -> None:
    ctx = phase_two(tmp_path)

    def boom() -> str:
        raise LookupError(failing)

    first, second = (boom, lambda: "ok") if failing == "first" else (lambda: "ok", boom)
    with pytest.raises(LookupError, match=failing):
        ctx.both(first, second)


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
