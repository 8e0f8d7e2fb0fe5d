"""A function's `owners`, as CloudFormation attaches a managed policy to them: by name.

An owner is a role, user or group ARN (its path stripped; an STS assumed-role ARN means its role)
or a plain name, which means a role. The account root cannot hold a policy.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from twophase.errors import ConfigError

_OWNER_ARN = re.compile(
    r"^arn:[a-z-]+:(?:iam|sts)::[0-9]*:(?P<kind>role|user|group|assumed-role)/(?P<rest>.+)$"
)
_IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


@dataclass(frozen=True)
class Principals:
    """Who a managed policy attaches to, by name (CloudFormation wants names, not ARNs)."""

    roles: tuple[str, ...] = ()
    users: tuple[str, ...] = ()
    groups: tuple[str, ...] = ()


def parse_owners(owners: Iterable[str], where: str = "owners") -> Principals:
    """Owners as role, user and group names, each sorted and once."""
    kinds: dict[str, set[str]] = {"role": set(), "user": set(), "group": set()}
    for owner in owners:
        kind, name = _owner(owner, where)
        kinds[kind].add(name)
    return Principals(
        roles=tuple(sorted(kinds["role"])),
        users=tuple(sorted(kinds["user"])),
        groups=tuple(sorted(kinds["group"])),
    )


def _owner(owner: str, where: str) -> tuple[str, str]:
    match = _OWNER_ARN.match(owner)
    if match is None:
        if _IAM_NAME.match(owner):
            return "role", owner
        raise ConfigError(
            f"{where}: {owner!r} is not a role, user or group",
            hint="write arn:aws:iam::123456789012:role/NAME (or :user/, :group/) or a role name",
        )
    kind, rest = match["kind"], match["rest"].rstrip("/")
    if kind == "assumed-role":
        return "role", rest.split("/")[0]
    return kind, rest.split("/")[-1]
