"""An owner's deployer policies: all its functions, in the fewest documents IAM takes.

IAM ("IAM and AWS STS quotas", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)
holds a managed policy to 6,144 characters, white space not counted, and attaches at most 10 to
a role, user or group. Sizes are measured here as IAM counts them (compact JSON), with the
template's pseudo parameters at their longest (the `aws-us-gov` partition, a 15-character region,
a 12-digit account) and the bucket's name as long as they make it, not by asking the module under
test.
"""

from __future__ import annotations

import dataclasses
import fnmatch
import itertools
import json
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest

from twophase import names
from twophase.config.load import load_config
from twophase.config.model import Config
from twophase.infra.deployer_documents import deployer_policy, owner_document
from twophase.infra.deployer_packing import owner_policies
from twophase.infra.deployer_policy import deployer_policy_sections
from twophase.infra.owners import Owner

EXAMPLE = Path(__file__).resolve().parents[2] / "twophase.yml.example"
PLATFORM = "arn:aws:iam::123456789012:role/platform"
LONGEST = {
    "AWS::Partition": "aws-us-gov",
    "AWS::Region": "us-isof-south-1",
    "AWS::AccountId": "123456789012",
}
BUCKET = "b" * 48  # the longest shop-prod-artifacts-<account>-<region> can be
AT_LONGEST = {
    "partition": LONGEST["AWS::Partition"],
    "region": LONGEST["AWS::Region"],
    "account": LONGEST["AWS::AccountId"],
    "artifact_bucket": BUCKET,
}
REGION, ACCOUNT = "eu-west-1", "111122223333"
WHOAMI = "iam:SimulatePrincipalPolicy"


@pytest.fixture(scope="module")
def example() -> Config:
    return load_config(EXAMPLE)


def owning(config: Config, names_: Iterable[str], owner: str = PLATFORM) -> Config:
    """`config` plus one small function per name, owned by `owner`."""
    base = dataclasses.replace(config.function("nightly"), trigger=None, owners=(owner,))
    extra = {n: dataclasses.replace(base, name=n) for n in names_}
    return dataclasses.replace(config, functions={**config.functions, **extra})


def jobs(count: int, start: int = 0) -> list[str]:
    return [f"job{i:03d}" for i in range(start, start + count)]


def resolved(value: Any) -> Any:
    """A template value as IAM receives it: Fn::Sub done, pseudo parameters at their longest."""
    if isinstance(value, dict) and list(value) == ["Fn::Sub"]:
        text = re.sub(r"\$\{(AWS::[A-Za-z]+)\}", lambda m: LONGEST[m[1]], value["Fn::Sub"])
        return text.replace("${!", "${")
    if isinstance(value, dict):
        return {k: resolved(v) for k, v in value.items()}
    if isinstance(value, list):
        return [resolved(v) for v in value]
    return value


def iam_size(document: Any) -> int:
    return len(json.dumps(resolved(document), separators=(",", ":"), ensure_ascii=False))


def policies(config: Config, env: str = "prod") -> dict[str, dict[str, Any]]:
    """The rendered deployer policies' properties, by logical id."""
    out = {}
    for _, part in deployer_policy_sections(config, env, artifact_bucket=BUCKET):
        for logical_id, resource in part["Resources"].items():
            out[logical_id] = resource["Properties"]
    return out


def functions_in(document: dict[str, Any]) -> list[str]:
    """The functions a document names (by its Lambda statement's unqualified ARNs)."""
    [push] = [s for s in document["Statement"] if "lambda:UpdateFunctionCode" in s["Action"]]
    arns = [resolved(r) for r in push["Resource"]]
    return [a.rsplit(":function:shop-prod-", 1)[1] for a in arns if not a.endswith(":*")]


def atoms(documents: Iterable[dict[str, Any]], effect: str = "Allow") -> set[tuple[str, ...]]:
    """Every (action, resource, condition value) the documents grant: IAM ORs the values of one
    condition key, so each value grants on its own."""
    out: set[tuple[str, ...]] = set()
    for document in documents:
        for s in document["Statement"]:
            if s["Effect"] != effect:
                continue
            conditions: list[tuple[str, ...]] = [("",)]
            if "Condition" in s:
                [(operator, keys)] = s["Condition"].items()
                [(key, values)] = keys.items()
                conditions = [(operator, key, v) for v in values]
            for action in s["Action"]:
                for resource in s["Resource"]:
                    out.update((action, resource, *c) for c in conditions)
    return out


# --- a role owning 500 functions ------------------------------------------------------------------


@pytest.fixture(scope="module")
def five_hundred(example: Config) -> Config:
    return owning(example, jobs(500))


def platform_policies(config: Config) -> list[dict[str, Any]]:
    rendered = policies(config)
    ids = sorted(
        (i for i in rendered if i.startswith(names.owner_stem("role", "platform"))),
        key=lambda i: int(i.rsplit("DeployerPolicy", 1)[1]),
    )
    return [rendered[i] for i in ids]


def test_every_policy_fits_and_holds_as_many_functions_as_fit(
    example: Config, five_hundred: Config
) -> None:
    chunks = platform_policies(five_hundred)
    assert len(chunks) > 10  # more than IAM attaches: the limits check refuses it (below)
    held = [functions_in(c["PolicyDocument"]) for c in chunks]
    assert all(iam_size(c["PolicyDocument"]) <= 6144 for c in chunks)
    # greedy: each document but the last would not take the next function
    platform = Owner("role", "platform")
    for number, (chunk, after) in enumerate(itertools.pairwise(held), start=1):
        taking = [*chunk, after[0]]
        bigger = owner_document(
            five_hundred, "prod", platform, taking, first=number == 1, **AT_LONGEST
        )
        assert iam_size(bigger) > 6144
    # every function in exactly one document, in sorted order
    assert [f for chunk in held for f in chunk] == jobs(500)
    assert [p["ManagedPolicyName"] for p in chunks] == [
        f"shop-prod-role-platform-deployer-{n}" for n in range(1, len(chunks) + 1)
    ]


def test_the_policies_grant_exactly_what_the_functions_documents_grant(
    five_hundred: Config,
) -> None:
    where = {"region": REGION, "account": ACCOUNT}
    platform = Owner("role", "platform")
    packed = [
        owner_document(five_hundred, "prod", platform, p.functions, first=p.first, **where)
        for p in owner_policies(five_hundred, "prod")
        if p.owner == platform
    ]
    singles = [deployer_policy(five_hundred, "prod", f, **where) for f in jobs(500)]
    whoami = {
        (WHOAMI, f"arn:aws:iam::{ACCOUNT}:role/platform", ""),
        (WHOAMI, f"arn:aws:iam::{ACCOUNT}:role/*/platform", ""),
    }
    assert atoms(packed) == atoms(singles) | whoami
    # a Deny only takes away: the wildcard covers each function's, and denies nothing else
    denied = atoms(packed, "Deny")
    assert {(a, r) for a, r, _ in denied} == {
        ("lambda:DeleteFunction", f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:*:$LATEST")
    }
    for action, resource, _ in atoms(singles, "Deny"):
        assert any(a == action and fnmatch.fnmatchcase(resource, r) for a, r, _ in denied)


def test_no_wildcard_could_match_another_function(five_hundred: Config) -> None:
    """Every ARN naming a function, prefix or log group names one of the owner's exactly."""
    text = json.dumps([p["PolicyDocument"] for p in platform_policies(five_hundred)])
    for pattern in (r"function:shop-prod-[^:\"]*\*", r"/shop/prod/[^/\"]*\*", r"lambda/[^:\"]*\*"):
        assert not re.search(pattern, text), pattern


def test_the_packing_is_deterministic(example: Config, five_hundred: Config) -> None:
    again = owning(example, reversed(jobs(500)))  # the same functions, declared the other way
    assert json.dumps(policies(five_hundred)) == json.dumps(policies(again))


def test_a_function_added_last_changes_only_the_last_policy(
    example: Config, five_hundred: Config
) -> None:
    before = platform_policies(five_hundred)
    after = platform_policies(owning(example, jobs(501)))
    assert after[: len(before) - 1] == before[:-1]
    assert after[len(before) - 1 :] != before[-1:]


def test_a_function_added_among_others_leaves_the_policies_before_it(example: Config) -> None:
    config = owning(example, jobs(60))
    before = platform_policies(config)
    after = platform_policies(owning(config, ["job030a"]))
    [first_changed] = [i for i, (a, b) in enumerate(zip(before, after, strict=False)) if a != b][:1]
    assert "job030a" in functions_in(after[first_changed]["PolicyDocument"])
    assert after[:first_changed] == before[:first_changed]


# --- names ----------------------------------------------------------------------------------------


def test_long_and_alike_owner_names_give_valid_unique_stable_names(example: Config) -> None:
    owners = [
        "arn:aws:iam::1:role/" + "r" * 64,
        "arn:aws:iam::1:group/" + "g" * 128,
        "arn:aws:iam::1:role/ops-team",
        "arn:aws:iam::1:role/ops.team",  # the same words as ops-team
        "arn:aws:iam::1:user/ops-team",  # the same name, another kind
    ]
    config = example
    for i, owner in enumerate(owners):
        config = owning(config, [f"own{i}"], owner)
    rendered = policies(config)
    assert len(rendered) == 2 + len(owners)  # the example's two teams
    for logical_id, properties in rendered.items():
        assert re.fullmatch(r"[A-Za-z0-9]{1,200}", logical_id), logical_id
        assert re.fullmatch(r"[\w+=,.@-]{1,128}", properties["ManagedPolicyName"])
    assert len({p["ManagedPolicyName"] for p in rendered.values()}) == len(rendered)
    assert policies(config) == rendered


def test_a_function_without_owners_gets_no_policy(example: Config) -> None:
    texts = json.dumps(policies(example))
    assert "shop-prod-nightly" not in texts
    assert all(p.owner.attachable for p in owner_policies(example, "prod"))


# --- how many functions one policy holds (README, "For platform teams") ---------------------------


@pytest.mark.parametrize(("name_length", "first", "more"), [(3, 4, 8), (54, 2, 4)])
def test_functions_per_policy(example: Config, name_length: int, first: int, more: int) -> None:
    """With the app and environment `shop-prod`: the first policy, which also holds what names no
    function (the CodeDeploy application and configurations among it), takes 4 functions with
    short names and each further one 8; with names of Lambda's full 64 characters (`shop-prod-`
    and 54), 2 and 4."""
    functions = [f"f{i:02d}{'x' * name_length}"[:name_length] for i in range(first + 2 * more)]
    chunks = platform_policies(owning(example, functions))
    assert [len(functions_in(c["PolicyDocument"])) for c in chunks] == [first, more, more]
