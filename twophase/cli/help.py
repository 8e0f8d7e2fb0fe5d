"""The Examples section every command's `--help` ends with (a click epilog)."""

from __future__ import annotations

GLOBAL_NOTE = (
    "Global options (-e/--env, --profile, --region, --output json, --yes…) go before or after "
    "the command; `twophase --help` lists them."
)


def examples(*commands: str, note: str | None = None, root: bool = False) -> str:
    """An epilog listing `commands` as typed (kept on their own lines), then `note` and where the
    global options are (wrapped).

    Each command is one a user can paste: a test parses every one of them."""
    lines = "\n".join(f"  {command}" for command in commands)
    notes = [n for n in (note, None if root else GLOBAL_NOTE) if n]
    return "\n\n".join([f"Examples:\n\n\b\n{lines}", *notes])
