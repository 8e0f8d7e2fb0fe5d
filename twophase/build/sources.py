"""Which files go into an artifact, under which names and modes; what is left out, and why.

Left out unless a `.twophaseignore` re-includes them (`!pattern`):

- not code: `__pycache__/`, `*.pyc`, `.venv/`, the top-level `.twophaseignore`;
- secrets (`SECRETS`): `.env*`, `.aws/`, `.ssh/`, private keys, `*.pem`, `*.key`, `*.p12`,
  `*.pfx`, `.npmrc`, `.pypirc`, `.netrc`, `.git-credentials`, `.git/`, a top-level `.twophase/`
  (twophase's own state), `node_modules/.cache/`.

A `.twophaseignore` at the folder's root adds patterns in gitignore syntax, matched against names
in the archive; the last pattern that matches decides, as in git (read with pathspec, imported only
then: most folders need just the fixed rules, matched here by hand).

Links are followed while they stay inside a boundary (the project: the folder holding
twophase.yml). A link that leads out of it, dangles or loops fails the build with one line naming
the link. A link to a secret of the project (`config -> ../../.env`) is left out like the secret.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from twophase.build.model import Excluded
from twophase.errors import BuildError
from twophase.files import read_at_most

IGNORE_FILE = ".twophaseignore"
MAX_IGNORE_FILE = 1024 * 1024  # bytes; an ignore file is a few lines
MAX_ENTRIES = 1_000_000  # files and folders walked for one artifact: links that repeat folders end

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
NOT_REGULAR = "not a regular file (a pipe, socket or device)"

_SECRET_NAMES = frozenset({".npmrc", ".pypirc", ".netrc", ".git-credentials"})
_SECRET_PREFIXES = (".env", "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519")
_SECRET_SUFFIXES = (".pem", ".key", ".p12", ".pfx")
_SECRET_DIRS = frozenset({".aws", ".ssh"})


@dataclass(frozen=True)
class SourceFile:
    """One file to archive: its name in the zip and where its bytes are."""

    name: str  # posix path inside the archive
    path: Path
    executable: bool
    size: int
    mtime_ns: int


@dataclass(frozen=True)
class Collected:
    """What a walk keeps, sorted by archive name, and what it leaves out."""

    files: list[SourceFile]
    excluded: list[Excluded] = field(default_factory=list)


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


def collect(folder: Path, *, prefix: str = "", spec: Rules | None = None) -> list[SourceFile]:
    """Every file under `folder` that the rules keep, sorted by archive name; links may not
    leave `folder`."""
    if not folder.is_dir():
        raise BuildError(
            f"source folder {folder} does not exist", hint="check `source` in twophase.yml"
        )
    return gather(folder, rules=spec or Rules(), boundary=folder, name=prefix).files


def gather(
    path: Path,
    *,
    rules: Rules,
    boundary: Path,
    project: Path | None = None,
    name: str = "",
    shown: str = "",
    who: str = "",
    fence: str = "the project",
) -> Collected:
    """The files at `path`: a folder's files under the archive prefix `name` ('' or ending in
    `/`), or one file archived as `name`.

    Links must resolve inside `boundary`; a link's target is also checked against the secret rules
    relative to `project`. `shown` is how messages name `path` (its path in the project), `who`
    the function they are about and `fence` the boundary.
    """
    walk = _Walk(
        rules=rules,
        boundary=os.path.realpath(boundary),
        project=os.path.realpath(project) if project is not None else None,
        who=f"{who}: " if who else "",
        fence=fence,
    )
    walk.root(path, name, shown)
    walk.files.sort(key=lambda f: f.name)
    walk.excluded.sort(key=lambda e: e.name)
    return Collected(walk.files, walk.excluded)


# A folder to walk: its path, its archive prefix, how messages show it, the real paths of the
# folders it sits in (itself last), and whether a link led there.
_Pending = tuple[str, str, str, tuple[str, ...], bool]


@dataclass
class _Walk:
    rules: Rules
    boundary: str
    project: str | None
    who: str
    fence: str
    files: list[SourceFile] = field(default_factory=list)
    excluded: list[Excluded] = field(default_factory=list)
    seen: int = 0
    stack: list[_Pending] = field(default_factory=list)

    def root(self, path: Path, name: str, shown: str) -> None:
        text = str(path)
        real = os.path.realpath(text)
        if not os.path.exists(text):
            raise BuildError(f"{self.who}{shown or text} does not exist")
        if not _inside(real, self.boundary):
            raise BuildError(
                f"{self.who}{shown or text} is outside {self.fence} (it resolves to {real})",
                hint=f"only files under {self.boundary} are packaged",
            )
        if os.path.isdir(real):
            if not (name and self.left_out(name, None, whole=True)):
                self.stack.append((text, name, shown, (real,), False))
        elif os.path.isfile(real):
            if not self.left_out(name, None, whole=True):
                self.add(name, real, os.stat(real))
        else:
            raise BuildError(f"{self.who}{shown or text} is not a regular file or a folder")
        while self.stack:
            self.folder(*self.stack.pop())

    def folder(
        self, path: str, prefix: str, shown: str, chain: tuple[str, ...], via_link: bool
    ) -> None:
        try:
            entries = sorted(os.scandir(path), key=lambda e: e.name)
        except OSError as exc:
            raise BuildError(f"{self.who}cannot read {shown or path}: {exc.strerror}") from None
        for entry in entries:
            self.count(shown)
            name, where = prefix + entry.name, shown + entry.name
            # Its real path (`path` is real, or plain below the walk's root): for what a link led
            # to, and for the folders a link could loop back to.
            real = os.path.join(chain[-1], entry.name) if via_link else None
            if entry.is_symlink():
                self.link(entry.path, name, where, chain)
            elif entry.is_dir(follow_symlinks=False):
                if not self.left_out(name + "/", real):
                    mine = real or os.path.join(chain[-1], entry.name)
                    self.stack.append(
                        (entry.path, f"{name}/", f"{where}/", (*chain, mine), via_link)
                    )
            elif entry.is_file(follow_symlinks=False):
                if not self.left_out(name, real):
                    self.add(name, entry.path, entry.stat(follow_symlinks=False))
            elif not self.left_out(name, real):
                self.excluded.append(Excluded(name, NOT_REGULAR))

    def link(self, path: str, name: str, shown: str, chain: tuple[str, ...]) -> None:
        target = os.readlink(path)
        try:
            real = os.path.realpath(path, strict=True)
        except OSError as exc:
            if self.left_out(name, None):
                return
            if exc.errno == errno.ELOOP:
                raise self.refuse(shown, target, "which is a loop of links") from None
            raise self.refuse(shown, target, "which does not exist") from None
        is_dir = os.path.isdir(real)
        key = name + "/" if is_dir else name
        if self.left_out(key, None):
            return
        if not _inside(real, self.boundary):
            shown_target = target if target == real else f"{target} ({real})"
            raise BuildError(
                f"{self.who}link {shown} points outside {self.fence}, to {shown_target}",
                hint=f"only files under {self.boundary} are packaged: copy it in, list shared "
                f"code under `include:`, or leave the link out in {IGNORE_FILE}",
            )
        if self.secret_target(key, real, is_dir):
            return
        if is_dir:
            here = chain[-1]
            if real in chain or _inside(here, real):
                raise self.refuse(shown, target, "a folder that contains it (a loop)")
            self.stack.append((real, key, shown + "/", (*chain, real), True))
        elif os.path.isfile(real):
            self.add(name, real, os.stat(real))
        else:
            self.excluded.append(Excluded(name, NOT_REGULAR))

    def left_out(self, name: str, real: str | None, *, whole: bool = False) -> bool:
        """Record and say whether `name` is left out; `real`, for a file a link led to, is also
        checked against the project's secret rules. Only `name`'s last part is matched against
        the fixed rules (its folders were, as the walk entered them), unless `whole`."""
        why = self.rules.reason(name, parents_checked=not whole)
        if why is not None:
            self.excluded.append(Excluded(name, why))
            return True
        return real is not None and self.secret_target(name, real, name.endswith("/"))

    def secret_target(self, name: str, real: str, is_dir: bool) -> bool:
        """A link (or what a linked folder holds) that leads to a secret of the project."""
        if self.project is None or not self.rules.fixed.secrets or real == self.project:
            return False
        if not _inside(real, self.project):
            return False
        in_project = os.path.relpath(real, self.project).replace(os.sep, "/")
        in_project += "/" if is_dir else ""
        rule = self.rules.fixed.rule(in_project)
        if rule is None or rule not in SECRETS or self.rules.reincluded(name):
            return False
        self.excluded.append(Excluded(name, f"link to {in_project}, a secret (rule {rule})"))
        return True

    def add(self, name: str, path: str, st: os.stat_result) -> None:
        self.files.append(
            SourceFile(
                name=name,
                path=Path(path),
                executable=bool(st.st_mode & 0o111),
                size=st.st_size,
                mtime_ns=st.st_mtime_ns,
            )
        )

    def count(self, shown: str) -> None:
        self.seen += 1
        if self.seen > MAX_ENTRIES:
            raise BuildError(
                f"{self.who}more than {MAX_ENTRIES:,} files and folders under {shown or '.'}",
                hint="links that repeat folders? leave them out in .twophaseignore",
            )

    def refuse(self, shown: str, target: str, what: str) -> BuildError:
        return BuildError(
            f"{self.who}link {shown} points to {target}, {what}",
            hint=f"fix or delete the link, or leave it out in {IGNORE_FILE}",
        )


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def merge(*layers: Iterable[SourceFile]) -> list[SourceFile]:
    """Layers in order; a later layer's file replaces an earlier one of the same name."""
    by_name: dict[str, SourceFile] = {}
    for layer in layers:
        for f in layer:
            by_name[f.name] = f
    return [by_name[name] for name in sorted(by_name)]
