"""An owner's functions, packed into the fewest deployer policies IAM takes.

IAM attaches at most 10 managed policies to a role, user or group (a role's or user's quota can
be raised to 20), counting those attached already, and a managed policy holds at most 6,144
characters, white space not counted ("IAM and AWS STS quotas",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html). One policy per
function would take an owner of 11 functions past the first limit. So each owner gets, for all the
functions it owns in an environment, documents of several functions each (`owner_document`).

The packing: the owner's functions in sorted order, greedily, each document taking the next
function while it still fits. A document is measured as IAM measures it (compact JSON) with
every value at its longest: the partition `aws-us-gov`, the longest region, a 12-digit account
and the bucket name they make. So the packing is the same offline, locally and on any account, and
the deployed document is never longer than measured. It is deterministic, and as stable as a pure
function of the config can be: a function that sorts after the others changes only the last
policy, or adds one; one that sorts among them changes the policies from its own on. A policy's
name and description never depend on what it holds, so such a change is a new version of its
document, never a replacement. The CodeDeploy service roles' policies are packed the same way
(`pack_in_order`, `twophase.infra.render.codedeploy_role`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from twophase import names
from twophase.config.model import Config
from twophase.infra.deployer_documents import owner_document
from twophase.infra.limits import LONGEST_PSEUDO, POLICY_CHARACTERS
from twophase.infra.owners import Owner, owned_functions
from twophase.release.access import Scope

# Every ARN value at its longest: how a document is measured against IAM's limit.
LONGEST = Scope(
    LONGEST_PSEUDO["AWS::Partition"],
    LONGEST_PSEUDO["AWS::Region"],
    LONGEST_PSEUDO["AWS::AccountId"],
)


@dataclass(frozen=True)
class OwnerPolicy:
    """One of an owner's deployer policies: the `number`th (from 1), for `functions`."""

    owner: Owner
    number: int
    functions: tuple[str, ...]

    @property
    def logical_id(self) -> str:
        return names.owner_policy_id(self.owner.kind, self.owner.name, self.number)

    @property
    def output_id(self) -> str:
        return names.owner_policy_output(self.owner.kind, self.owner.name, self.number)

    @property
    def first(self) -> bool:
        """Whether it holds what the owner's documents say once (`owner_document`)."""
        return self.number == 1

    def name(self, config: Config, env: str) -> str:
        return names.owner_policy_name(
            config.app, env, self.owner.kind, self.owner.name, self.number
        )


def owner_policies(config: Config, env: str) -> tuple[OwnerPolicy, ...]:
    """Every owner's deployer policies in `env` (Identity Center roles' too), by owner, then
    number."""
    config.environment(env)  # refuses an undeclared environment
    return tuple(
        policy
        for owner, functions in owned_functions(config).items()
        for policy in pack(config, env, owner, functions)
    )


def pack(config: Config, env: str, owner: Owner, functions: Sequence[str]) -> list[OwnerPolicy]:
    """`functions` in as few documents as fit IAM's limit (`pack_in_order`)."""

    def fitting(taking: list[str], number: int) -> bool:
        return fits(longest_document(config, env, owner, taking, first=number == 1))

    chunks = pack_in_order(functions, fitting)
    return [OwnerPolicy(owner, n, chunk) for n, chunk in enumerate(chunks, start=1)]


def pack_in_order(
    functions: Sequence[str], fitting: Callable[[list[str], int], bool]
) -> list[tuple[str, ...]]:
    """`functions`, sorted, in as few documents as hold them: each document takes the next
    function while `fitting(its functions, its number from 1)` holds. A function too large alone
    gets a document of its own, which the limits check refuses (`twophase.infra.limits`)."""
    chunks: list[list[str]] = []
    for function in sorted(functions):
        if chunks and fitting([*chunks[-1], function], len(chunks)):
            chunks[-1].append(function)
        else:
            chunks.append([function])
    return [tuple(chunk) for chunk in chunks]


def longest_document(
    config: Config, env: str, owner: Owner, functions: Sequence[str], *, first: bool
) -> dict[str, Any]:
    """The owner's document for `functions` with every value at its longest."""
    return owner_document(
        config,
        env,
        owner,
        functions,
        first=first,
        partition=LONGEST.partition,
        region=LONGEST.region,
        account=LONGEST.account,
        artifact_bucket="b" * names.artifact_bucket_name_max_length(config.app, env),
    )


def iam_characters(document: Any) -> int:
    """A policy document's size as IAM counts it: its JSON without white space."""
    return len(json.dumps(document, separators=(",", ":"), ensure_ascii=False))


def fits(document: Any) -> bool:
    return iam_characters(document) <= POLICY_CHARACTERS
