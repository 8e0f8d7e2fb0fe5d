"""STS: who is calling, in which account."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from twophase.aws.errors import aws_call


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    user_id: str


@dataclass
class Sts:
    client: Any

    @cached_property
    def identity(self) -> Identity:
        with aws_call("sts:GetCallerIdentity"):
            resp = self.client.get_caller_identity()
        return Identity(account=resp["Account"], arn=resp["Arn"], user_id=resp["UserId"])
