from __future__ import annotations

import json
import subprocess
import threading
from pathlib import Path

import pytest

from twophase.release import release_record
from twophase.release.release_record import (
    DESCRIPTION_LIMIT,
    HISTORY_DEPTH,
    GitReader,
    GitState,
    ReleaseRecord,
    Served,
    decode_history,
    encode_history,
    served_release,
)

HEX = "9f2c" * 16
LONG_ARN = "arn:aws:sts::123456789012:assumed-role/" + "r" * 64 + "/" + "session-" * 12


def test_a_record_round_trips() -> None:
    record = ReleaseRecord(
        HEX[:16], "arn:aws:iam::1:user/alice", "2026-01-01T00:00:00Z", "4", "c0ffee123456", True
    )
    assert ReleaseRecord.decode(record.encode()) == record


def test_a_long_caller_is_shortened_to_fit_lambdas_description() -> None:
    record = ReleaseRecord(HEX, LONG_ARN, "2026-01-01T00:00:00Z", "1234", "a" * 40, False)
    text = record.encode()
    assert len(text) == DESCRIPTION_LIMIT
    decoded = ReleaseRecord.decode(text)
    assert decoded is not None and decoded.by is not None
    assert decoded.by.startswith("…") and LONG_ARN.endswith(decoded.by[1:])
    assert decoded.commit == "a" * 12 and decoded.artifact == HEX[:16]


def test_descriptions_that_are_not_records_decode_to_none() -> None:
    for text in ["", "hand-written notes", "{not json", json.dumps({"a": 1}), '{"tp":2,"a":"x"}']:
        assert ReleaseRecord.decode(text) is None
    assert decode_history("set by hand") == []


def test_alias_history_is_capped_and_fits() -> None:
    many = [str(n) for n in range(100, 0, -1)]
    text = encode_history(many)
    assert len(text) <= DESCRIPTION_LIMIT
    assert decode_history(text) == many[:HISTORY_DEPTH]
    assert decode_history(encode_history(["3", "", "1"])) == ["3", "1"]


def test_an_alias_record_vouches_only_for_the_version_it_names() -> None:
    sha = "ZlUcTKaDpde88RbecsPj0CaYeJFYlnNUodGwbC7zv5Q="
    many = [str(n) for n in range(100, 0, -1)]
    text = encode_history(many, Served("101", sha, "0123456789ab"))

    assert len(text) <= DESCRIPTION_LIMIT
    assert served_release(text, "101") == Served("101", sha, "0123456789ab")
    assert served_release(text, "100") is None
    assert decode_history(text)[:2] == ["100", "99"]
    assert served_release(encode_history(["1"]), "1") is None
    assert served_release("live traffic", "1") is None


def test_a_record_from_before_configuration_was_recorded_has_no_digest() -> None:
    sha = "ZlUcTKaDpde88RbecsPj0CaYeJFYlnNUodGwbC7zv5Q="
    old = json.dumps({"tp": 1, "v": "4", "s": sha, "h": ["3"]})

    assert served_release(old, "4") == Served("4", sha, None)


def test_git_is_read_once_and_tolerated_when_missing(tmp_path: Path) -> None:
    assert GitReader(tmp_path).state() is None
    repo = tmp_path / "repo"
    repo.mkdir()
    run = {"cwd": repo, "check": True, "capture_output": True}
    subprocess.run(["git", "init", "-q"], **run)  # type: ignore[call-overload]
    (repo / "a.txt").write_text("1")
    subprocess.run(["git", "add", "a.txt"], **run)  # type: ignore[call-overload]
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.com", "commit", "-qm", "x"], **run
    )  # type: ignore[call-overload]
    reader = GitReader(repo)
    first = reader.state()
    assert first is not None and len(first.commit) == 40 and first.dirty is False
    (repo / "a.txt").write_text("2")
    assert reader.state() == first  # read once per run
    assert GitReader(repo).state().dirty is True  # type: ignore[union-attr]


def test_a_prefetched_git_state_is_read_once_on_its_own_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    reads: list[str] = []

    def read(root: Path) -> GitState:
        reads.append(threading.current_thread().name)
        return GitState(commit="c0ffee", dirty=False)

    monkeypatch.setattr(release_record, "read_git", read)
    reader = GitReader(tmp_path)
    reader.prefetch()
    for thread in threading.enumerate():
        if thread.name == "twophase-git":
            thread.join(timeout=5)

    assert reads == ["twophase-git"]  # read in the background, before anyone asked
    assert reader.state() == GitState("c0ffee", False)
    assert reads == ["twophase-git"]
