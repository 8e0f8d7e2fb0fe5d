"""Root credentials are the account's root user: `GetCallerIdentity` says so.

AWS behaviour (STS API reference, `GetCallerIdentity`): called with the account root user's keys,
STS answers `Arn` `arn:aws:iam::ACCOUNT:root` and `UserId` the account id.

The server's root keys (`twophase.local.root_credentials`) act as the account's root user (see
`iam_enforcement`), but moto 5.2.5 answers any key that belongs to no IAM user with a made-up IAM
user, `arn:aws:sts::ACCOUNT:user/moto`, which `twophase whoami` could not tell from a user without
rights.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable
from typing import Any

from twophase.local import root_credentials

_MARK = "_twophase_root_caller_identity"
_CREDENTIAL = re.compile(r"Credential=([^/,\s]+)/")


def signing_key(headers: Any) -> str | None:
    """The access key id a SigV4 request was signed with."""
    match = _CREDENTIAL.search(headers.get("Authorization", ""))
    return match.group(1) if match else None


def _root_for_local_keys(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(original)
    def get_caller_identity(self: Any) -> Any:
        if not root_credentials.is_root_key(signing_key(self.headers)):
            return original(self)
        from moto.core.responses import ActionResult

        account = self.current_account
        arn = f"arn:{self.partition}:iam::{account}:root"
        return ActionResult({"UserId": account, "Account": account, "Arn": arn})

    return get_caller_identity


def install() -> None:
    from moto.sts.responses import TokenResponse

    if getattr(TokenResponse, _MARK, False):
        return
    patched = _root_for_local_keys(TokenResponse.get_caller_identity)
    setattr(TokenResponse, "get_caller_identity", patched)  # noqa: B010 (typed as moto's)
    setattr(TokenResponse, _MARK, True)
