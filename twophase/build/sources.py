"""Which files go into an artifact, under which names and modes; what is left out, and why
(the rules: `ignore`).

Links are followed while they stay inside a boundary (the project: the folder holding
twophase.yml). A link that leads out of it, dangles or loops fails the build with one line naming
the link. A link to a secret of the project (`config -> ../../.env`) is left out like the secret.
"""

from __future__ import annotations

import errno
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from twophase.build.ignore import IGNORE_FILE, SECRETS, Rules
from twophase.build.model import Excluded
from twophase.errors import BuildError

MAX_ENTRIES = 1_000_000  # files and folders walked for one artifact: links that repeat folders end
NOT_REGULAR = "not a regular file (a pipe, socket or device)"


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
