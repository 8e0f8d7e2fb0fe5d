"""What twophase and its embedded AWS say to each other besides AWS's APIs.

`GET IDENTITY_PATH?nonce=N` answers `{"service": "twophase-local", "pid": P, "proof": H}` where H
is `identity_proof(token, N)`: a holder of the state file confirms that the endpoint is the server
it records without the server's token crossing the wire. Requests to moto's admin API carry the
token in ADMIN_HEADER. Imports nothing of twophase, and nothing at all until asked: the CLI loads
it on every `endpoint: local` command.
"""

from __future__ import annotations

IDENTITY_PATH = "/__twophase/identity"
ADMIN_HEADER = "X-Twophase-Admin-Token"
MAX_NONCE = 128
# A server's folder for extracted code: PREFIX + its pid + a random part (mkdtemp), in the private
# state folder; a server that was killed leaves it behind, and the next start removes it.
CODE_FOLDER_PREFIX = "local-code-"


def identity_proof(token: str, nonce: str) -> str:
    """What the server answers for `nonce`: only a holder of the token can compute it."""
    import hashlib
    import hmac

    return hmac.new(token.encode(), nonce.encode(), hashlib.sha256).hexdigest()


def process_start(pid: int) -> str | None:
    """When process `pid` started, as the kernel counts it (/proc/PID/stat, field 22), or None
    where that cannot be read. The server records its own in the state file: a process running
    under that pid with that start time is the server, never one that reused its pid."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            fields = stat.read().rsplit(")", 1)[-1].split()
    except OSError:
        return None
    return fields[19] if len(fields) > 19 else None  # fields[0] is field 3 (the state)
