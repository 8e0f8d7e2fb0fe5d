"""Writing twophase's own files all at once, and where per-user state goes."""

from __future__ import annotations

from pathlib import Path

import pytest

from twophase.files import user_cache_dir, write_atomically


def test_a_write_replaces_the_file_whole_and_leaves_nothing_behind(tmp_path: Path) -> None:
    target = tmp_path / "deep" / "state.json"
    write_atomically(target, "one")
    write_atomically(target, "two")

    assert target.read_text() == "two"
    assert [p.name for p in target.parent.iterdir()] == ["state.json"]


def test_a_failed_write_keeps_the_old_file_and_cleans_up(tmp_path: Path) -> None:
    target = tmp_path / "state.json"
    write_atomically(target, "old")
    (tmp_path / "blocked").mkdir()

    with pytest.raises(OSError):
        write_atomically(tmp_path / "blocked", "new")  # a folder cannot be replaced by a file
    assert target.read_text() == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["blocked", "state.json"]


def test_user_state_goes_to_twophase_home_else_the_user_cache(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("TWOPHASE_HOME", str(tmp_path))
    assert user_cache_dir() == tmp_path
    monkeypatch.delenv("TWOPHASE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert user_cache_dir() == tmp_path / "home" / ".cache" / "twophase"
