"""Which files of a folder go into an artifact, under which names and modes.

Always left out: `__pycache__/`, `*.pyc`, `.git/`, `.venv/`, a top-level `.twophase/` and
`.twophaseignore` itself. A `.twophaseignore` at the folder's root adds patterns in gitignore
syntax (read with pathspec, imported only then: most folders need just the fixed rules).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from twophase.errors import BuildError

IGNORE_FILE = ".twophaseignore"
# `.twophase/` is twophase's own state (the build cache among it), for a function whose source
# is the project's root.
ALWAYS_IGNORED = ("__pycache__/", "*.pyc", ".git/", ".venv/", "/.twophase/", f"/{IGNORE_FILE}")


@dataclass(frozen=True)
class SourceFile:
    """One file to archive: its name in the zip and where its bytes are."""

    name: str  # posix path inside the archive
    path: Path
    executable: bool
    size: int
    mtime_ns: int


class Matcher(Protocol):
    """Which archive paths are left out (a directory's path ends with `/`)."""

    def match_file(self, file: str) -> bool: ...


class AlwaysIgnored:
    """`ALWAYS_IGNORED`, matched as gitignore would match it, without pathspec."""

    _ANY_DEPTH_DIRS = frozenset({"__pycache__", ".git", ".venv"})

    def match_file(self, file: str) -> bool:
        parts = file.rstrip("/").split("/")
        last = len(parts) - 1
        for i, part in enumerate(parts):
            is_dir = i < last or file.endswith("/")
            if part.endswith(".pyc") or (i == 0 and part == IGNORE_FILE):
                return True
            if is_dir and (part in self._ANY_DEPTH_DIRS or (i == 0 and part == ".twophase")):
                return True
        return False


def _spec(lines: Iterable[str]) -> Matcher:
    import pathspec

    spec: Matcher = pathspec.GitIgnoreSpec.from_lines(lines)
    return spec


def ignore_spec(folder: Path, extra: Iterable[str] = ()) -> Matcher:
    lines = [*ALWAYS_IGNORED, *extra]
    ignore_file = folder / IGNORE_FILE
    if ignore_file.is_file():
        lines += ignore_file.read_text(encoding="utf-8").splitlines()
    return AlwaysIgnored() if len(lines) == len(ALWAYS_IGNORED) else _spec(lines)


def collect(folder: Path, *, prefix: str = "", spec: Matcher | None = None) -> list[SourceFile]:
    """Every file under `folder` that the spec keeps, sorted by archive name.

    Symbolic links are followed (a link to a directory only once, so cycles end).
    """
    if not folder.is_dir():
        raise BuildError(
            f"source folder {folder} does not exist", hint="check `source` in twophase.yml"
        )
    keep = spec or AlwaysIgnored()
    files = list(_walk(folder, keep, prefix))
    files.sort(key=lambda f: f.name)
    return files


def _walk(root: Path, spec: Matcher, prefix: str) -> Iterator[SourceFile]:
    seen: set[str] = set()
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        real = os.path.realpath(dirpath)
        if real in seen:
            dirnames[:] = []
            continue
        seen.add(real)
        rel_dir = Path(dirpath).relative_to(root).as_posix()
        rel_dir = "" if rel_dir == "." else rel_dir + "/"
        dirnames[:] = sorted(d for d in dirnames if not spec.match_file(f"{rel_dir}{d}/"))
        for filename in filenames:
            rel = f"{rel_dir}{filename}"
            if spec.match_file(rel):
                continue
            path = Path(dirpath, filename)
            try:
                st = path.stat()
            except FileNotFoundError:  # a dangling symbolic link
                continue
            if not stat.S_ISREG(st.st_mode):
                continue
            yield SourceFile(
                name=prefix + rel,
                path=path,
                executable=bool(st.st_mode & 0o111),
                size=st.st_size,
                mtime_ns=st.st_mtime_ns,
            )


def merge(*layers: Iterable[SourceFile]) -> list[SourceFile]:
    """Layers in order; a later layer's file replaces an earlier one of the same name."""
    by_name: dict[str, SourceFile] = {}
    for layer in layers:
        for f in layer:
            by_name[f.name] = f
    return [by_name[name] for name in sorted(by_name)]
