"""The single owner of the terminal's streams: results to stdout, progress to stderr.

What a result looks like (human text or the JSON envelope) is `twophase.cli.output`'s to decide.

Lines are plain text (click styles them on a terminal); rich is imported only to draw a table on a
terminal, so the common commands don't pay for it. Its console is created with markup, emoji and
highlighting off: ARNs and AWS messages contain `[` and must never be read as markup.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import click

BAR_WIDTH = 20
REDRAW_SECONDS = 0.1


@dataclass
class Terminal:
    output: str = "human"  # human | json
    color: bool = True
    verbose: bool = False
    # Tasks under way (task -> (done, total, unit)), drawn as one status line on stderr.
    _bars: dict[str, tuple[int, int | None, str]] = field(default_factory=dict, repr=False)
    _drawn_at: float = field(default=0.0, repr=False)
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)
    # The run's JSON envelope is printed (by twophase.cli.output): a failure adds none.
    enveloped: bool = field(default=False, repr=False)

    @property
    def json(self) -> bool:
        return self.output == "json"

    def _say(self, message: str, *, err: bool, **style: Any) -> None:
        stream = sys.stderr if err else sys.stdout
        styled = self.color and stream.isatty() and bool(style)
        with self._lock:
            if self._bars:
                self._clear_status()
            click.echo(click.style(message, **style) if styled else message, err=err)
            if self._bars:
                self._draw_status()

    # progress (stderr) ------------------------------------------------------------------------
    def info(self, message: str) -> None:
        if not self.json or self.verbose:
            self._say(message, err=True, dim=True)

    def notice(self, message: str) -> None:
        """Something the user must know even with --output json (stderr, never styled away)."""
        self._say(message, err=True)

    def warn(self, message: str) -> None:
        self._say(f"warning: {message}", err=True, fg="yellow")

    def progress(self, task: str, done: int, total: int | None, unit: str = "") -> None:
        """A bar on a terminal (one status line for all tasks under way, redrawn at most every
        0.1 s); elsewhere, with --verbose, a line when the task starts and when it ends."""
        finished = total is not None and done >= total
        if self.json or not sys.stderr.isatty():
            if self.verbose and (done == 0 or finished):
                self._say(f"{task}: {_amount(done, total, unit)}", err=True)
            return
        with self._lock:
            self._bars[task] = (done, total, unit)
            now = time.monotonic()
            if finished:
                self._clear_status()
                del self._bars[task]
                click.echo(f"{task}: {_amount(done, total, unit)}", err=True)
                if self._bars:
                    self._draw_status()
            elif now - self._drawn_at >= REDRAW_SECONDS or done == 0:
                self._draw_status()

    def end(self, task: str) -> None:
        """Drop a task that stopped before it was done, and its bar (nothing is printed)."""
        with self._lock:
            if self._bars.pop(task, None) is not None:
                self._clear_status()
                if self._bars:
                    self._draw_status()

    def _draw_status(self) -> None:
        self._drawn_at = time.monotonic()
        parts = [_bar(task, *state) for task, state in self._bars.items()]
        status = " · ".join(parts)
        width = columns() - 1  # a line that wraps could not be redrawn in place
        if len(status) > width:
            status = status[: max(0, width - 1)] + "…"
        sys.stderr.write("\r\x1b[K" + status)
        sys.stderr.flush()

    def _clear_status(self) -> None:
        sys.stderr.write("\r\x1b[K")
        sys.stderr.flush()

    def error(self, message: str) -> None:
        self._say(f"error: {message}", err=True, fg="red", bold=True)

    # results (stdout) -------------------------------------------------------------------------
    def line(self, text: str = "") -> None:
        self._say(text, err=False)

    def raw(self, text: str) -> None:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Tab-separated when piped; a rich table on a terminal."""
        cells = [["" if v is None else str(v) for v in row] for row in rows]
        if not sys.stdout.isatty():
            for row in [list(columns), *cells]:
                self.raw("\t".join(row))
            return
        from rich.console import Console
        from rich.table import Table

        console = Console(markup=False, emoji=False, highlight=False, no_color=not self.color)
        table = Table(*columns, box=None, pad_edge=False, header_style="bold")
        for row in cells:
            table.add_row(*row)
        console.print(table)

    def confirm(self, question: str, *, assume_yes: bool) -> bool:
        if assume_yes:
            return True
        if not sys.stdin.isatty():
            return False
        return click.confirm(question, default=False, err=True)


def columns() -> int:
    import shutil

    return shutil.get_terminal_size((80, 24)).columns


def _bar(task: str, done: int, total: int | None, unit: str) -> str:
    if not total:
        return f"{task} {_amount(done, total, unit)}"
    filled = min(BAR_WIDTH, BAR_WIDTH * done // total)
    bar = f"[{'#' * filled}{'-' * (BAR_WIDTH - filled)}] {100 * done // total:3d}%"
    return f"{task} {bar} {_amount(done, total, unit)}" if unit == "bytes" else f"{task} {bar}"


def _amount(done: int, total: int | None, unit: str) -> str:
    if unit == "%":
        return f"{done}%"
    if unit != "bytes":
        return f"{done}/{total}" if total is not None else str(done)
    mb = 1024 * 1024
    if total is None:
        return f"{done / mb:.1f} MB"
    return f"{done / mb:.1f}/{total / mb:.1f} MB"
