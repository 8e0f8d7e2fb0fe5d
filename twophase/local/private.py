"""Folders and files only the user running twophase can read: the embedded AWS's state and code.

Another local user must not read the embedded AWS's credentials, plant a state file that points
twophase at a server of theirs, or plant code that Invoke would then run. So a private folder is
mode 0700 and owned by this user; one that somebody else owns, or that others may write to, is
refused (`NotPrivate`), never repaired, and a folder of ours that others may only read is closed
(chmod 0700). Its final component may be a link only if this user made the link. Files in it are
opened without following links (a planted link fails to open), are regular files owned by this
user, and are written 0600, all at once, by renaming a fresh file over the old one.

This module imports nothing of twophase: the embedded AWS (server side) and the CLI (lifecycle)
both use it.
"""

from __future__ import annotations

import contextlib
import os
import stat
import threading
from pathlib import Path

FOLDER_MODE = 0o700
FILE_MODE = 0o600
_OPEN_FLAGS = os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0)


class NotPrivate(OSError):
    """A folder or file that another user owns, may change, or reaches through a link."""


def private_folder(path: Path) -> Path:
    """`path` as a folder only this user can use: created 0700 if missing, else checked."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with contextlib.suppress(FileExistsError):
        os.mkdir(path, FOLDER_MODE)
    check_folder(path)
    return path


def check_folder(path: Path) -> None:
    """Raise NotPrivate unless `path` is a folder of this user that no other user may write to;
    close it to others (0700) when they may only read it."""
    link = os.lstat(path)
    if stat.S_ISLNK(link.st_mode) and link.st_uid not in (os.geteuid(), 0):
        raise NotPrivate(f"{path} is a link made by another user (uid {link.st_uid})")
    st = os.stat(path)
    if not stat.S_ISDIR(st.st_mode):
        raise NotPrivate(f"{path} is not a folder")
    if st.st_uid != os.geteuid():
        raise NotPrivate(f"{path} belongs to another user (uid {st.st_uid})")
    if st.st_mode & 0o022:
        raise NotPrivate(f"{path} may be changed by other users (mode {st.st_mode & 0o777:o})")
    parent = os.stat(path.resolve().parent)
    if parent.st_mode & 0o002 and not parent.st_mode & stat.S_ISVTX:
        raise NotPrivate(f"{path} is in a folder everybody may change ({path.resolve().parent})")
    if st.st_mode & 0o077:
        os.chmod(path, FOLDER_MODE)


def open_private(path: Path, flags: int) -> int:
    """A file descriptor on `path` (created 0600 with O_CREAT), never through a link; NotPrivate
    when it is not a regular file of this user."""
    fd = os.open(path, flags | _OPEN_FLAGS, FILE_MODE)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise NotPrivate(f"{path} is not a regular file")
        if st.st_uid != os.geteuid():
            raise NotPrivate(f"{path} belongs to another user (uid {st.st_uid})")
        if st.st_mode & 0o077:
            os.fchmod(fd, FILE_MODE)
    except BaseException:
        os.close(fd)
        raise
    return fd


def read_private(path: Path) -> str:
    """The text of a private file (FileNotFoundError, NotPrivate or another OSError if not)."""
    with os.fdopen(open_private(path, os.O_RDONLY), encoding="utf-8") as handle:
        return handle.read()


def write_private(path: Path, text: str) -> None:
    """Write `text` to `path`, 0600: a reader sees the old file or the new one, never part of
    one, and a link planted at `path` is replaced, not followed."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
    with contextlib.suppress(FileNotFoundError):
        partial.unlink()
    fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL | _OPEN_FLAGS, FILE_MODE)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
