"""The embedded AWS's root user: an access key generated each time a server starts.

There is no built-in key. A server draws a random access key id and secret when it starts; they
act as the account's root user (see `extensions/iam_enforcement.py` and
`extensions/sts_root_caller_identity.py`), reach the user through the server's private state file
(`lifecycle`), and die with the server. The extensions are moto patches, global to the process, so
the running server's keys are held here, one embedded AWS per process.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# AWS's access key ids are 20 characters of A-Z and 2-7 (base32); those of long-term keys start
# with AKIA. moto recognises only keys of that shape in a request's signature.
_KEY_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"


@dataclass(frozen=True)
class RootCredentials:
    access_key_id: str
    secret_access_key: str = field(repr=False)

    @classmethod
    def generate(cls) -> RootCredentials:
        import secrets

        key_id = "AKIA" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(16))
        return cls(key_id, secrets.token_urlsafe(30))  # 40 characters, as AWS's secrets

    def is_root_key(self, access_key_id: str | None) -> bool:
        import hmac

        return access_key_id is not None and hmac.compare_digest(access_key_id, self.access_key_id)


_current: RootCredentials | None = None


def use(credentials: RootCredentials | None) -> None:
    """Make `credentials` the root user of this process's embedded AWS (None: no root user)."""
    global _current
    _current = credentials


def current() -> RootCredentials | None:
    """The root user's keys of this process's embedded AWS, None before a server started."""
    return _current


def is_root_key(access_key_id: str | None) -> bool:
    """Whether `access_key_id` is the running server's root key."""
    return _current is not None and _current.is_root_key(access_key_id)
