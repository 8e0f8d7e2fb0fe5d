"""The embedded AWS's deployment packages, in files named by their SHA-256, read only when used.

Lambda keeps every version's package; a server that held each one in memory grew by the size of
every push (about 3 GB after 50 pushes of 20 MB). Here a package is written once to the server's
private code folder (`packages/<sha256 hex>`, 0600 in a 0700 folder made by `server.LocalAws`), so
versions of the same code share one file, and a function holds only that file's path: the bytes
are read when Invoke runs the code or when the package is downloaded from GetFunction's
`Code.Location` (`download_path`).

The location is a URL of the embedded AWS itself, signed like the presigned URL Lambda answers (an
HMAC of the digest and an expiry under the server's token, valid for 10 minutes), so that only a
caller of the API learns it. Without a store (moto used in-process, no server), packages stay in
memory as moto keeps them.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

DOWNLOAD_PATH = "/__twophase/code/"
LOCATION_SECONDS = 600  # GetFunction's Code.Location is valid for 10 minutes
REUSE_SECONDS = 60


@dataclass
class CodeStore:
    """Packages under `root` (a private folder of the server's), and how to sign their URLs."""

    root: Path
    token: str = field(repr=False)
    endpoint: str = ""  # set once the server listens
    _expiries: dict[str, int] = field(default_factory=dict, repr=False)

    def put(self, package: bytes) -> Path:
        """The file holding `package`, written now unless the same bytes are stored already."""
        target = self.root / hashlib.sha256(package).hexdigest()
        if target.exists():
            return target
        self.root.mkdir(mode=0o700, exist_ok=True)
        fd, partial = tempfile.mkstemp(dir=self.root, prefix=".put-")  # 0600
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(package)
            os.replace(partial, target)
        finally:
            Path(partial).unlink(missing_ok=True)
        return target

    def location(self, stored: Path, now: float | None = None) -> str:
        """A URL from which the package in `stored` can be downloaded for 10 minutes. Asked
        again within a minute, the same URL (9 to 10 minutes left), so that reading a version
        twice reads the same answer."""
        now = time.time() if now is None else now
        digest = stored.name
        expires = self._expiries.get(digest, 0)
        if not 0 <= now + LOCATION_SECONDS - expires <= REUSE_SECONDS:
            expires = self._expiries[digest] = int(now + LOCATION_SECONDS)
        return f"{self.endpoint}{DOWNLOAD_PATH}{digest}?expires={expires}&signature=" + (
            self._signature(digest, expires)
        )

    def download_path(self, digest: str, expires: str, signature: str) -> Path | None:
        """The file a signed, unexpired URL names; None for any other request."""
        if not (expires.isdigit() and int(expires) >= time.time()):
            return None
        if not hmac.compare_digest(signature, self._signature(digest, int(expires))):
            return None
        path = self.root / digest
        return path if path.is_file() else None

    def _signature(self, digest: str, expires: int) -> str:
        message = f"{digest}\n{expires}".encode()
        return hmac.new(self.token.encode(), message, hashlib.sha256).hexdigest()


_current: CodeStore | None = None
_lock = threading.Lock()


def use(store: CodeStore | None) -> None:
    """Keep packages in `store` from now on (None: in memory, as moto does)."""
    global _current
    with _lock:
        _current = store


def current() -> CodeStore | None:
    """The running server's store, None without a server."""
    return _current
