"""A function's `owners`, as CloudFormation attaches a managed policy to them: by name.

An owner is a role, user or group ARN (its path stripped; an STS assumed-role ARN means its role)
or a plain name, which means a role. The account root cannot hold a policy.

Two kinds of owner take no attachment (README, "For platform teams"). An IAM Identity Center role
(`AWSReservedSSO_*`, under `/aws-reserved/sso.amazonaws.com/`) is only modifiable by AWS: its
deployer policies go into its permission set (`twophase policy --owner`). A principal of another
account cannot hold a policy of this one: it is refused, with the cross-account path.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from twophase.config.model import Config
from twophase.errors import ConfigError

_OWNER_ARN = re.compile(
    r"^arn:[a-z-]+:(?:iam|sts)::(?P<account>[0-9]*):"
    r"(?P<kind>role|user|group|assumed-role)/(?P<rest>.+)$"
)
SSO_PATH = "aws-reserved/sso.amazonaws.com/"
SSO_PREFIX = "AWSReservedSSO_"
_IAM_NAME = re.compile(r"^[\w+=,.@-]{1,64}$")


@dataclass(frozen=True, order=True)
class Owner:
    """One principal that owns functions: what its deployer policies are named after and
    attached to. An Identity Center role is a role that takes no attachment."""

    kind: str  # "role", "user" or "group"
    name: str
    attachable: bool = True

    def __str__(self) -> str:
        return f"{self.kind} {self.name}"


def owner(spelling: str, where: str = "--owner") -> Owner:
    """The principal an owner entry (ARN or plain name) names."""
    kind, name = _owner(spelling, where)
    if kind == "sso":
        return Owner("role", name, attachable=False)
    return Owner(kind, name)


def owned_functions(config: Config) -> dict[Owner, tuple[str, ...]]:
    """Every owner of the app, sorted, with the functions it owns, sorted and once each however
    the owner is spelled."""
    owned: dict[Owner, set[str]] = {}
    for function in sorted(config.functions):
        for spelling in config.function(function).owners:
            owned.setdefault(owner(spelling, f"functions.{function}.owners"), set()).add(function)
    return {o: tuple(sorted(functions)) for o, functions in sorted(owned.items())}


def permission_set_notes(config: Config, env: str) -> Iterator[str]:
    """One line per Identity Center owner: what to add to its permission set, and how."""
    for principal, functions in owned_functions(config).items():
        if not principal.attachable:
            yield (
                f"owner {principal.name} is an IAM Identity Center role, which takes no "
                f"attachment: add the deployer policy of {', '.join(functions)} to its permission "
                f"set (`twophase policy --owner {principal.name} -e {env}` prints it)"
            )


def refuse_other_accounts(config: Config, account: str) -> None:
    """Refuse an owner ARN of an account other than the stack's (`account`), before any change:
    CloudFormation would attach the policy to a principal of the same name in this account."""
    for function in sorted(config.functions):
        for owner in config.function(function).owners:
            match = _OWNER_ARN.match(owner)
            if match and match["account"] and match["account"] != account:
                raise ConfigError(
                    f"functions.{function}.owners: {owner} is in account {match['account']}, "
                    f"not the stack's account {account}, and a policy attaches only to its own "
                    f"account's principals: create a role in {account} that trusts {owner} "
                    f"(sts:AssumeRole), list that role as the owner, and assume it to push; or "
                    f"deploy the app in {match['account']}",
                )


def _owner(owner: str, where: str) -> tuple[str, str]:
    match = _OWNER_ARN.match(owner)
    if match is None:
        if _IAM_NAME.match(owner):
            return ("sso" if owner.startswith(SSO_PREFIX) else "role"), owner
        raise ConfigError(
            f"{where}: {owner!r} is not a role, user or group",
            hint="write arn:aws:iam::123456789012:role/NAME (or :user/, :group/) or a role name",
        )
    kind, rest = match["kind"], match["rest"].rstrip("/")
    if kind == "assumed-role":
        kind, name = "role", rest.split("/")[0]
    else:
        name = rest.split("/")[-1]
    if kind == "role" and (rest.startswith(SSO_PATH) or name.startswith(SSO_PREFIX)):
        return "sso", name
    return kind, name
