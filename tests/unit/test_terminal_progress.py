"""Progress on the terminal: one redrawn status line on a TTY, plain lines elsewhere."""

from __future__ import annotations

import contextlib
import io
from collections.abc import Callable

import pytest

from twophase.cli import terminal
from twophase.cli.terminal import Terminal

MB = 1024 * 1024


class Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def on_tty(show: Callable[[], None]) -> str:
    """What `show` writes to a terminal's stderr (redirected here, inside the test's call:
    pytest's capture sets sys.stderr again after fixtures run)."""
    stream = Tty()
    with contextlib.redirect_stderr(stream):
        show()
    return stream.getvalue()


@pytest.fixture(autouse=True)
def every_update_redraws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "REDRAW_SECONDS", 0.0)


def test_a_tty_gets_a_bar_redrawn_in_place_then_a_final_line() -> None:
    def show() -> None:
        term = Terminal()
        for done in (0, 30 * MB, 60 * MB):
            term.progress("api: upload", done, 60 * MB, "bytes")

    out = on_tty(show)

    assert "\r\x1b[Kapi: upload [----------" in out
    assert "[##########----------]  50% 30.0/60.0 MB" in out
    assert out.endswith("\r\x1b[Kapi: upload: 60.0/60.0 MB\n")


def test_several_uploads_share_one_line_and_messages_print_above_it() -> None:
    def show() -> None:
        term = Terminal(color=False)
        term.progress("api: upload", 10 * MB, 40 * MB, "bytes")
        term.progress("worker: upload", 0, 80 * MB, "bytes")
        term.info("nightly: unchanged")

    out = on_tty(show)

    last_draw = out.rsplit("\r\x1b[K", 1)[-1]
    assert "api: upload [#####" in last_draw and " · worker: upload [---" in last_draw
    assert "\r\x1b[Knightly: unchanged\n" in out


def test_a_task_that_stops_part_way_takes_its_bar_with_it() -> None:
    def show() -> None:
        term = Terminal(color=False)
        term.progress("api: upload", 10 * MB, 40 * MB, "bytes")
        term.end("api: upload")
        term.info("error follows")

    out = on_tty(show)

    assert out.endswith("[#####---------------]  25% 10.0/40.0 MB\r\x1b[Kerror follows\n")


def test_the_status_line_never_wraps(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "columns", lambda: 60)

    def show() -> None:
        term = Terminal()
        term.progress("orders-api: upload", 30 * MB, 60 * MB, "bytes")
        term.progress("worker: upload", 10 * MB, 80 * MB, "bytes")

    last_draw = on_tty(show).rsplit("\r\x1b[K", 1)[-1]

    assert len(last_draw) == 59 and last_draw.endswith("…")
    assert last_draw.startswith("orders-api: upload [##########")


def test_redraws_are_rate_limited(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(terminal, "REDRAW_SECONDS", 3600.0)

    def show() -> None:
        term = Terminal()
        for done in range(0, 100 * MB, MB):
            term.progress("api: upload", done, 100 * MB, "bytes")

    assert on_tty(show).count("api: upload [") == 1  # the first draw only


def test_a_shift_shows_percent_not_bytes() -> None:
    out = on_tty(lambda: Terminal().progress("api: live → v3", 20, 100, "%"))

    assert out.endswith("api: live → v3 [####----------------]  20%")


def test_off_a_tty_verbose_says_start_and_end_only(capsys: pytest.CaptureFixture[str]) -> None:
    term = Terminal(verbose=True)
    for done in range(0, 5 * MB + 1, MB):
        term.progress("api: upload", done, 5 * MB, "bytes")
    Terminal().progress("api: upload", 0, 5 * MB, "bytes")

    assert capsys.readouterr().err.splitlines() == [
        "api: upload: 0.0/5.0 MB",
        "api: upload: 5.0/5.0 MB",
    ]
