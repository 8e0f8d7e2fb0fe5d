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


PF_EXITING = 0x4  # Linux, include/linux/sched.h: the process has begun to exit


def process_start(pid: int) -> str | None:
    """When process `pid` started, as the kernel counts it (/proc/PID/stat, field 22), or None
    where that cannot be read or the process is exiting. The server records its own in the state
    file: a process running under that pid with that start time is the server, never one that
    reused its pid. An exiting one is not: a killed server keeps its pid while the kernel frees
    its memory, which takes a while for a large one, and never answers again."""
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as stat:
            return start_of_running(stat.read())
    except OSError:
        return None


def start_of_running(stat: str) -> str | None:
    """Field 22 (the start time) of a /proc/PID/stat line, None for a process that is a zombie,
    dead or exiting (state Z, X or x; PF_EXITING in field 9, the flags)."""
    fields = stat.rsplit(")", 1)[-1].split()  # the name, in parentheses, may hold anything
    if len(fields) <= 19 or stopped(stat) or not fields[6].isdigit():
        return None
    return None if int(fields[6]) & PF_EXITING else fields[19]  # fields[0] is field 3


def stopped(stat: str) -> bool:
    """Whether a /proc/PID/stat line is a zombie's or a dead process's (state Z, X or x)."""
    return stat.rsplit(")", 1)[-1].split()[:1] in (["Z"], ["X"], ["x"])
