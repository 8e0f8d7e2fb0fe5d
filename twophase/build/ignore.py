"""What is left out of an artifact, and why: the fixed rules and a folder's `.twophaseignore`.

Left out unless a `.twophaseignore` re-includes them (`!pattern`):

- not code: `__pycache__/`, `*.pyc`, `.venv/`, the top-level `.twophaseignore`;
- secrets (`SECRETS`): `.env*`, `.aws/`, `.ssh/`, private keys, `*.pem`, `*.key`, `*.p12`,
  `*.pfx`, `.npmrc`, `.pypirc`, `.netrc`, `.git-credentials`, `.git/`, a top-level `.twophase/`
  (twophase's own state), `node_modules/.cache/`.

A `.twophaseignore` at the folder's root adds patterns in gitignore syntax, matched against names
in the archive; the last pattern that matches decides, as in git (read with pathspec, imported only
then: most folders need just the fixed rules, matched here by hand).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any, Protocol

from twophase.errors import BuildError
from twophase.files import read_at_most

IGNORE_FILE = ".twophaseignore"
MAX_IGNORE_FILE = 1024 * 1024  # bytes; an ignore file is a few lines

NOT_CODE = ("__pycache__/", "*.pyc", ".venv/", f"/{IGNORE_FILE}")
SECRETS = (
    ".env*",
    ".aws/",
    ".ssh/",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    ".npmrc",
    ".pypirc",
    ".netrc",
    ".git-credentials",
    ".git/",
    "/.twophase/",  # twophase's state (the build cache among it), for a source at the project root
    "**/node_modules/.cache/",
)
ALWAYS_IGNORED = NOT_CODE + SECRETS

_SECRET_NAMES = frozenset({".npmrc", ".pypirc", ".netrc", ".git-credentials"})
_SECRET_PREFIXES = (".env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519")
_SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx")
_SECRET_DIRS = frozenset({".aws", ".ssh"})


class Matcher(Protocol):
    """Which archive paths are left out (a directory's path ends with `/`)."""

    def match_file(self, file: str) -> bool: ...


class AlwaysIgnored:
    """`ALWAYS_IGNORED`, matched as gitignore would match it, without pathspec.

    With `secrets=False` (installed dependencies: certifi's `cacert.pem` is code) only the
    not-code rules and `.git/` apply.
    """

    def __init__(self, secrets: bool = True) -> None:
        self.secrets = secrets

    def rule(self, file: str) -> str | None:
        """The pattern that leaves `file` out, or None."""
        parts = file.rstrip("/").split("/")
        last = len(parts) - 1
        for i in range(len(parts)):
            found = self._rule(parts, i, i < last or file.endswith("/"))
            if found is not None:
                return found
        return None

    def last_rule(self, file: str) -> str | None:
        """`rule`, for a path whose folders were checked already (a walk checks each folder as it
        enters it): only the last part is matched."""
        parts = file.rstrip("/").split("/")
        return self._rule(parts, len(parts) - 1, file.endswith("/"))

    def match_file(self, file: str) -> bool:
        return self.rule(file) is not None

    def _rule(self, parts: list[str], i: int, is_dir: bool) -> str | None:
        part = parts[i]
        if i == 0 and part == IGNORE_FILE:
            return f"/{IGNORE_FILE}"
        if part.endswith(".pyc"):
            return "*.pyc"
        if is_dir and part in ("__pycache__", ".venv", ".git"):
            return f"{part}/"
        if not self.secrets:
            return None
        if is_dir and (part in _SECRET_DIRS or (i == 0 and part == ".twophase")):
            return f"/{part}/" if part == ".twophase" else f"{part}/"
        if is_dir and part == ".cache" and i > 0 and parts[i - 1] == "node_modules":
            return "**/node_modules/.cache/"
        if part in _SECRET_NAMES:
            return part
        if part.startswith(_SECRET_PREFIXES):
            return next(p for p in _SECRET_PREFIXES if part.startswith(p)) + "*"
        if part.endswith(_SECRET_SUFFIXES):
            return "*" + next(s for s in _SECRET_SUFFIXES if part.endswith(s))
        return None


class Rules:
    """What is left out of an artifact, and why.

    The fixed rules, then the build's own (`extra`: a folder at the archive's root → why), then the
    lines of `.twophaseignore`, whose last matching pattern decides (`!pattern` re-includes).
    """

    def __init__(
        self,
        fixed: AlwaysIgnored | None = None,
        extra: Mapping[str, str] | None = None,
        user_lines: list[str] | None = None,
    ) -> None:
        self.fixed = fixed or AlwaysIgnored()
        self.extra = {folder.strip("/") + "/": why for folder, why in (extra or {}).items()}
        self.user_lines = user_lines or []
        # An empty line becomes a comment: pathspec drops empty lines, and a pattern's index must
        # stay its line's.
        marked = [line or "#" for line in self.user_lines]
        self.user: Any = _spec(marked) if self.user_lines else None

    def reason(self, name: str, *, parents_checked: bool = False) -> str | None:
        """Why `name` (a folder's ends with `/`) is left out, or None when it is kept
        (`parents_checked`: its folders were kept already, as in a walk)."""
        if self.user is not None:
            result = self.user.check_file(name)
            if result.include is not None:
                if not result.include:
                    return None
                return f"{IGNORE_FILE} line {result.index + 1}: {self.user_lines[result.index]}"
        for folder, why in self.extra.items():
            if name.startswith(folder):
                return why
        rule = self.fixed.last_rule(name) if parents_checked else self.fixed.rule(name)
        if rule is None:
            return None
        return f"secret rule {rule}" if rule in SECRETS else f"not code ({rule})"

    def reincluded(self, name: str) -> bool:
        """`.twophaseignore` names `name` with a `!pattern`."""
        return self.user is not None and self.user.check_file(name).include is False

    def match_file(self, file: str) -> bool:
        return self.reason(file) is not None


def _spec(lines: Iterable[str]) -> Any:
    import pathspec

    return pathspec.GitIgnoreSpec.from_lines(lines)


def ignore_spec(folder: Path, extra: Mapping[str, str] | None = None) -> Rules:
    """The rules of a function's folder: fixed, `extra`, and its `.twophaseignore` if any."""
    ignore_file = folder / IGNORE_FILE
    lines: list[str] = []
    if ignore_file.is_file():
        try:
            data = read_at_most(ignore_file, MAX_IGNORE_FILE)
            if len(data) > MAX_IGNORE_FILE:
                raise BuildError(
                    f"{ignore_file} is over {MAX_IGNORE_FILE // 1024} KB",
                    hint="an ignore file holds a few patterns; check what it is",
                )
            lines = data.decode("utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise BuildError(f"cannot read {ignore_file}: {exc}") from None
    return Rules(extra=extra, user_lines=lines)
