"""STS: who is calling, in which account."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from twophase.aws.errors import aws_call

if TYPE_CHECKING:
    from mypy_boto3_sts.client import STSClient


@dataclass(frozen=True)
class Identity:
    account: str
    arn: str
    user_id: str


@dataclass
class Sts:
    client: STSClient

    @cached_property
    def identity(self) -> Identity:
        with aws_call("sts:GetCallerIdentity"):
            resp = self.client.get_caller_identity()
        return Identity(account=resp["Account"], arn=resp["Arn"], user_id=resp["UserId"])
