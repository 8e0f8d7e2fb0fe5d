"""The single owner of terminal output: results to stdout, progress to stderr.

Lines are plain text (click styles them on a terminal); rich is imported only to draw a table on a
terminal, so the common commands don't pay for it. Its console is created with markup, emoji and
highlighting off: ARNs and AWS messages contain `[` and must never be read as markup.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import click

ENVELOPE_VERSION = 1


@dataclass
class Terminal:
    output: str = "human"  # human | json
    color: bool = True
    verbose: bool = False

    @property
    def json(self) -> bool:
        return self.output == "json"

    def _say(self, message: str, *, err: bool, **style: Any) -> None:
        stream = sys.stderr if err else sys.stdout
        styled = self.color and stream.isatty() and bool(style)
        click.echo(click.style(message, **style) if styled else message, err=err)

    # progress (stderr) ------------------------------------------------------------------------
    def info(self, message: str) -> None:
        if not self.json or self.verbose:
            self._say(message, err=True, dim=True)

    def warn(self, message: str) -> None:
        self._say(f"warning: {message}", err=True, fg="yellow")

    def progress(self, task: str, done: int, total: int | None) -> None:
        if self.verbose:
            self._say(f"{task}: {done}/{total if total is not None else '?'}", err=True)

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

    def envelope(
        self, command: str, data: Any, *, exit_code: int = 0, errors: Sequence[str] = ()
    ) -> None:
        doc = {
            "version": ENVELOPE_VERSION,
            "command": command,
            "status": "ok" if exit_code == 0 else "error",
            "exit_code": exit_code,
            "data": data,
            "errors": list(errors),
        }
        self.raw(json.dumps(doc, indent=2, sort_keys=True, default=str))

    def confirm(self, question: str, *, assume_yes: bool) -> bool:
        if assume_yes:
            return True
        if not sys.stdin.isatty():
            return False
        import click

        return click.confirm(question, default=False, err=True)
