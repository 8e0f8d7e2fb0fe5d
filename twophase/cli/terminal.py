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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import click

BAR_WIDTH = 20
TALLY_WIDTH = 10
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
    # Tallies of many like tasks (task -> its drawn line): while one is shown, it stands for them.
    _tallies: dict[str, str] = field(default_factory=dict, repr=False)
    # The run's JSON envelope is printed (by twophase.cli.output): a failure adds none.
    enveloped: bool = field(default=False, repr=False)

    @property
    def json(self) -> bool:
        return self.output == "json"

    @property
    def interactive(self) -> bool:
        """Someone watches both streams: many like tasks show as one tally, not line by line."""
        return not self.json and sys.stdout.isatty() and sys.stderr.isatty()

    def _say(self, message: str, *, err: bool, **style: Any) -> None:
        stream = sys.stderr if err else sys.stdout
        styled = self.color and stream.isatty() and bool(style)
        with self._lock:
            if self._drawing:
                self._clear_status()
            click.echo(click.style(message, **style) if styled else message, err=err)
            if self._drawing:
                self._draw_status()

    @property
    def _drawing(self) -> bool:
        return bool(self._bars or self._tallies)

    # progress (stderr) ------------------------------------------------------------------------
    def info(self, message: str) -> None:
        if self.verbose or not (self.json or self._tallies):
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
        if self._tallies:  # one of the many tasks the tally stands for
            return
        with self._lock:
            self._bars[task] = (done, total, unit)
            now = time.monotonic()
            if finished:
                self._clear_status()
                del self._bars[task]
                click.echo(f"{task}: {_amount(done, total, unit)}", err=True)
                if self._drawing:
                    self._draw_status()
            elif now - self._drawn_at >= REDRAW_SECONDS or done == 0:
                self._draw_status()

    def tally(self, task: str, done: int, total: int, counts: Mapping[str, int]) -> None:
        """Many like tasks as one line on stderr, redrawn in place: `push [####------] 4/10:
        pushed 3, failed 1`; `done >= total` clears it. Meanwhile the tasks' own step
        lines and bars give way to it; warnings and errors still print above it."""
        if self.json or not sys.stderr.isatty():
            return
        with self._lock:
            if done >= total:
                self._tallies.pop(task, None)
                self._clear_status()
                if self._drawing:
                    self._draw_status()
                return
            first = task not in self._tallies
            filled = TALLY_WIDTH * done // total  # short: the counts must fit on 80 columns
            bar = f"[{'#' * filled}{'-' * (TALLY_WIDTH - filled)}]"
            shown = ", ".join(f"{name} {n}" for name, n in counts.items())
            self._tallies[task] = f"{task} {bar} {done}/{total}: {shown}"
            if first or time.monotonic() - self._drawn_at >= REDRAW_SECONDS:
                self._draw_status()

    def end(self, task: str) -> None:
        """Drop a task that stopped before it was done, and its bar (nothing is printed)."""
        with self._lock:
            if self._bars.pop(task, None) is not None:
                self._clear_status()
                if self._drawing:
                    self._draw_status()

    def _draw_status(self) -> None:
        self._drawn_at = time.monotonic()
        parts = [*self._tallies.values(), *(_bar(t, *state) for t, state in self._bars.items())]
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
