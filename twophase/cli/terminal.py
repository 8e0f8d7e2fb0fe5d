"""The single owner of terminal output: results to stdout, progress to stderr.

rich consoles are created with markup, emoji and highlighting off: ARNs and AWS messages contain
`[` and must never be read as markup.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from rich.console import Console
from rich.table import Table

ENVELOPE_VERSION = 1


@dataclass
class Terminal:
    output: str = "human"  # human | json
    color: bool = True
    verbose: bool = False

    def __post_init__(self) -> None:
        opts: dict[str, Any] = {
            "markup": False,
            "emoji": False,
            "highlight": False,
            "no_color": not self.color,
        }
        self.out = Console(file=sys.stdout, soft_wrap=True, **opts)
        self.err = Console(file=sys.stderr, soft_wrap=True, stderr=True, **opts)

    @property
    def json(self) -> bool:
        return self.output == "json"

    @property
    def interactive(self) -> bool:
        return self.err.is_terminal

    # progress (stderr) ------------------------------------------------------------------------
    def info(self, message: str) -> None:
        if not self.json or self.verbose:
            self.err.print(message, style="dim" if self.color else None)

    def warn(self, message: str) -> None:
        self.err.print(f"warning: {message}", style="yellow" if self.color else None)

    def progress(self, task: str, done: int, total: int | None) -> None:
        if self.verbose:
            self.err.print(f"{task}: {done}/{total if total is not None else '?'}")

    def error(self, message: str) -> None:
        self.err.print(f"error: {message}", style="bold red" if self.color else None)

    # results (stdout) -------------------------------------------------------------------------
    def line(self, text: str = "") -> None:
        self.out.print(text)

    def raw(self, text: str) -> None:
        sys.stdout.write(text)
        if not text.endswith("\n"):
            sys.stdout.write("\n")
        sys.stdout.flush()

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        if not self.out.is_terminal:
            for row in [columns, *rows]:
                self.raw("\t".join("" if v is None else str(v) for v in row))
            return
        table = Table(*columns, box=None, pad_edge=False, header_style="bold")
        for row in rows:
            table.add_row(*("" if v is None else str(v) for v in row))
        self.out.print(table)

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
