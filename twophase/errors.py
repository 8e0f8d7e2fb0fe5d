"""Exit statuses and the exceptions that carry them.

Every error the user can cause or meet is a `TwophaseError` whose message is one line naming the
problem and how to fix it. The CLI maps them to exit codes in one place (`twophase.cli.main`).
"""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    OK = 0
    FAILED = 1
    USAGE = 2
    PENDING = 3
    CONFLICT = 4
    UNHEALTHY = 5
    INTERRUPTED = 130


class TwophaseError(Exception):
    """Base class: a one-line message, optionally a hint on how to fix it."""

    exit_status: ExitStatus = ExitStatus.FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message

    def lines(self) -> tuple[str, ...]:
        """What the CLI prints, one `error:` line each (and lists in a JSON envelope)."""
        return (str(self),)


class UsageError(TwophaseError):
    """A bad argument or option."""

    exit_status = ExitStatus.USAGE


class ConfigError(UsageError):
    """A malformed or invalid twophase.yml (the message names the YAML path and line).

    With several problems, the message is the first (and how many more) and `problems` lists
    each one on its own line, as the CLI prints them."""

    def __init__(
        self, message: str, *, hint: str | None = None, problems: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message, hint=hint)
        self.problems = problems

    def lines(self) -> tuple[str, ...]:
        return self.problems or super().lines()


class BuildError(UsageError):
    """An artifact that cannot be built or is invalid (missing handler, too large, no wheel…)."""


class CredentialsError(UsageError):
    """No credentials or region for the environment."""


class AwsError(TwophaseError):
    """An AWS call failed for a reason that is not the user's input."""

    exit_status = ExitStatus.FAILED


class AccessDeniedError(AwsError):
    """The caller lacks a permission; the message names the action and the resource."""


class NotFoundError(AwsError):
    """A stack, function, alias or version does not exist."""


class ConflictError(TwophaseError):
    """Somebody else changed the resource between our read and our write (compare-and-set)."""

    exit_status = ExitStatus.CONFLICT


class PreconditionError(ConflictError):
    """A safety precondition refused the operation (for example a preflight on a change set)."""


class HealthCheckError(TwophaseError):
    """A gradual promotion saw the new version unhealthy and rolled back."""

    exit_status = ExitStatus.UNHEALTHY


class PendingChanges(TwophaseError):
    """`infra plan --exit-code` found changes."""

    exit_status = ExitStatus.PENDING
