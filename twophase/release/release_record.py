"""What twophase remembers about a release, kept in Lambda itself.

A published version's Description carries its *release record* (artifact sha, git commit and dirty
flag, who, when, and the version the first alias served before), as compact JSON. An alias's
Description carries its *history*: the versions it served before, newest first, which
`alias rollback` walks back. Both must fit Lambda's 256-character Description.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

DESCRIPTION_LIMIT = 256
RECORD_MARK = "tp"
HISTORY_DEPTH = 20
_ARTIFACT_CHARS = 16
_COMMIT_CHARS = 12


@dataclass(frozen=True)
class ReleaseRecord:
    artifact: str  # hex SHA-256 of the artifact, shortened
    by: str | None  # the caller's ARN
    at: str  # UTC, ISO 8601, seconds
    previous: str | None  # the version the first alias served before this release
    commit: str | None = None
    dirty: bool | None = None

    def encode(self) -> str:
        """Compact JSON that fits Lambda's Description (the caller ARN is shortened if needed)."""
        data: dict[str, object] = {RECORD_MARK: 1, "a": self.artifact[:_ARTIFACT_CHARS]}
        if self.commit:
            data["g"] = self.commit[:_COMMIT_CHARS]
            data["d"] = bool(self.dirty)
        data["t"] = self.at
        if self.previous:
            data["p"] = self.previous
        data["by"] = self.by or ""
        text = _compact(data)
        excess = len(text) - DESCRIPTION_LIMIT
        if excess > 0 and self.by:
            data["by"] = "…" + self.by[excess + 1 :]
            text = _compact(data)
        return text

    @classmethod
    def decode(cls, description: str) -> ReleaseRecord | None:
        """The record in a version's Description, or None when it holds something else."""
        data = _load(description)
        if data is None or "a" not in data:
            return None
        dirty = data.get("d")
        return cls(
            artifact=str(data["a"]),
            by=str(data["by"]) if data.get("by") else None,
            at=str(data.get("t", "")),
            previous=str(data["p"]) if data.get("p") else None,
            commit=str(data["g"]) if data.get("g") else None,
            dirty=bool(dirty) if dirty is not None else None,
        )


@dataclass(frozen=True)
class Served:
    """What an alias Description records about the version it was moved to: a release is code
    and configuration (see twophase.aws.lambda_settings)."""

    version: str
    code_sha256: str
    settings_digest: str | None = None  # None: recorded before configuration was recorded


def encode_history(versions: list[str], serves: Served | None = None) -> str:
    """An alias Description holding the versions it served before, newest first, and, when
    `serves` is given, the release it is being moved to."""
    kept = [v for v in versions if v][:HISTORY_DEPTH]
    head: dict[str, object] = {RECORD_MARK: 1}
    if serves is not None:
        head |= {"v": serves.version, "s": serves.code_sha256}
        if serves.settings_digest:
            head["c"] = serves.settings_digest
    text = _compact({**head, "h": kept})
    while len(text) > DESCRIPTION_LIMIT and kept:
        kept = kept[:-1]
        text = _compact({**head, "h": kept})
    return text


def served_release(description: str, version: str) -> Served | None:
    """The release an alias Description records for `version`, if it records that version.
    Versions are immutable, so a record naming the alias's current version stays true."""
    data = _load(description)
    if data is None or str(data.get("v", "")) != version:
        return None
    sha, digest = data.get("s"), data.get("c")
    if not isinstance(sha, str) or not sha:
        return None
    return Served(version, sha, digest if isinstance(digest, str) and digest else None)


def decode_history(description: str) -> list[str]:
    data = _load(description)
    history = data.get("h") if data is not None else None
    if not isinstance(history, list):
        return []
    return [str(v) for v in history]


def utc_now() -> datetime:
    return datetime.now(UTC)


def utc_stamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class GitState:
    commit: str
    dirty: bool


class GitReader:
    """Reads the working tree's commit and dirty flag once, lazily; None when there is no git."""

    def __init__(self, root: Path) -> None:
        self._root = root
        self._lock = threading.Lock()
        self._read = False
        self._state: GitState | None = None

    def prefetch(self) -> None:
        """Start reading on a background thread; `state()` then waits for that read."""
        threading.Thread(target=self.state, name="twophase-git", daemon=True).start()

    def state(self) -> GitState | None:
        with self._lock:
            if not self._read:
                self._state = read_git(self._root)
                self._read = True
            return self._state


def read_git(root: Path) -> GitState | None:
    commit = _git(root, "rev-parse", "HEAD")
    if not commit:
        return None
    status = _git(root, "status", "--porcelain", "--untracked-files=no")
    return GitState(commit=commit, dirty=bool(status))


def _git(root: Path, *args: str) -> str | None:
    import subprocess  # here: of the commands importing this module, only a push runs git

    try:
        done = subprocess.run(
            ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _compact(data: dict[str, object]) -> str:
    return json.dumps(data, separators=(",", ":"), ensure_ascii=False)


def _load(description: str) -> dict[str, object] | None:
    if not description.startswith("{"):
        return None
    try:
        data = json.loads(description)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get(RECORD_MARK) != 1:
        return None
    return data
