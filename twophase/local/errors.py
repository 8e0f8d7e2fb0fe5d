"""What goes wrong with the embedded AWS, as its own small error types.

`twophase.local` imports nothing of the product: these carry a message, a hint and an exit status
(1, or 2 for a folder the user must fix), and the CLI (`twophase.cli.local.translated`) turns them
into twophase's errors, with the same lines and exit statuses.
"""

from __future__ import annotations

EXIT_FAILED = 1
EXIT_USAGE = 2


class LocalAwsError(Exception):
    """The embedded local AWS could not be started, reached or stopped."""

    exit_status: int = EXIT_FAILED

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return f"{self.message} ({self.hint})" if self.hint else self.message


class UnsafeStateFolder(LocalAwsError):
    """The folder for the embedded AWS's state is not private to this user."""

    exit_status = EXIT_USAGE
