"""Progress reporting, injected into the core. The core never prints."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol


class Reporter(Protocol):
    def info(self, message: str) -> None:
        """A progress line (goes to stderr on the terminal)."""

    def warn(self, message: str) -> None:
        """A warning the user should read."""

    def progress(self, task: str, done: int, total: int | None, unit: str = "") -> None:
        """Progress of a long task: bytes uploaded (`unit="bytes"`), percent shifted...
        `done >= total` ends the task."""

    def end(self, task: str) -> None:
        """The task stopped before it was done (an error): drop its progress, say nothing."""


class NullReporter:
    def info(self, message: str) -> None:
        pass

    def warn(self, message: str) -> None:
        pass

    def progress(self, task: str, done: int, total: int | None, unit: str = "") -> None:
        pass

    def end(self, task: str) -> None:
        pass


@dataclass
class RecordingReporter:
    """A reporter for tests: keeps every message."""

    messages: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    progressed: list[tuple[str, int, int | None]] = field(default_factory=list)
    ended: list[str] = field(default_factory=list)

    def info(self, message: str) -> None:
        self.messages.append(message)

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def progress(self, task: str, done: int, total: int | None, unit: str = "") -> None:
        self.progressed.append((task, done, total))

    def end(self, task: str) -> None:
        self.ended.append(task)
