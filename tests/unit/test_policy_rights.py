"""`whoami`'s verdicts: per function, may the caller push it (simulated, or labelled unknown)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.stub import Stubber

from twophase.aws.iam import PolicySimulator, SimulationUnavailable
from twophase.config.load import load_config
from twophase.config.model import Config
from twophase.release.access import PUSH_ACTIONS, push_checks, push_rights, simulation_principal

if TYPE_CHECKING:
    from mypy_boto3_iam.client import IAMClient

ROOT = Path(__file__).resolve().parents[2]
WHERE = {"partition": "aws", "region": "eu-west-1", "account": "111122223333"}
ALICE = "arn:aws:iam::111122223333:user/alice"


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "twophase.yml.example")


def test_push_checks_name_the_function_and_the_alias_push_moves(config: Config) -> None:
    actions, resources = push_checks(config, "dev", "api", **WHERE)
    arn = "arn:aws:lambda:eu-west-1:111122223333:function:shop-dev-api"
    assert actions == PUSH_ACTIONS
    assert resources == (arn, f"{arn}:next")


def test_simulated_verdicts(config: Config) -> None:
    asked: list[tuple[tuple[str, ...], tuple[str, ...]]] = []

    def simulate(actions: tuple[str, ...], resources: tuple[str, ...]) -> bool:
        asked.append((actions, resources))
        return resources[0].endswith(":function:shop-dev-api")

    rights = push_rights(config, "dev", ALICE, simulate, **WHERE)
    assert [(r.function, r.physical, r.may_push) for r in rights] == [
        ("api", "shop-dev-api", "yes"),
        ("nightly", "shop-dev-nightly", "no"),
        ("worker", "shop-dev-worker", "no"),
    ]
    assert {r.how for r in rights} == {"iam:SimulatePrincipalPolicy"}
    assert len(asked) == 3


def test_unavailable_simulation_is_labelled_best_effort(config: Config) -> None:
    calls = 0

    def simulate(actions: tuple[str, ...], resources: tuple[str, ...]) -> bool:
        nonlocal calls
        calls += 1
        raise SimulationUnavailable("not allowed to call iam:SimulatePrincipalPolicy")

    rights = push_rights(config, "dev", ALICE, simulate, **WHERE)
    assert {r.may_push for r in rights} == {"unknown"}
    assert rights[0].how == "best effort: not allowed to call iam:SimulatePrincipalPolicy"
    assert calls == 1  # asked once, not once per function


def test_no_simulator(config: Config) -> None:
    rights = push_rights(config, "dev", ALICE, None, **WHERE)
    assert {r.may_push for r in rights} == {"unknown"}
    assert rights[0].how.startswith("best effort: ")


def test_account_root_may_push_everything(config: Config) -> None:
    rights = push_rights(config, "dev", "arn:aws:iam::111122223333:root", None, **WHERE)
    assert {r.may_push for r in rights} == {"yes"}


def test_simulation_principal() -> None:
    assert simulation_principal(ALICE) == ALICE
    assert (
        simulation_principal("arn:aws:sts::111122223333:assumed-role/ci/build-42")
        == "arn:aws:iam::111122223333:role/ci"
    )


def _iam() -> tuple[IAMClient, Stubber]:
    client = boto3.client(
        "iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="y"
    )
    return client, Stubber(client)


EXPECTED_PARAMS = {
    "PolicySourceArn": ALICE,
    "ActionNames": ["lambda:UpdateFunctionCode"],
    "ResourceArns": ["arn:f", "arn:f:next"],
}


def _result(action: str, resource: str, decision: str) -> dict[str, object]:
    return {
        "EvalActionName": action,
        "EvalDecision": decision,
        "ResourceSpecificResults": [
            {"EvalResourceName": resource, "EvalResourceDecision": decision}
        ],
    }


@pytest.mark.parametrize(
    ("decisions", "allowed"),
    [(["allowed", "allowed"], True), (["allowed", "implicitDeny"], False)],
)
def test_simulator_needs_every_resource_allowed(decisions: list[str], allowed: bool) -> None:
    client, stub = _iam()
    results = [
        _result("lambda:UpdateFunctionCode", r, d)
        for r, d in zip(["arn:f", "arn:f:next"], decisions, strict=True)
    ]
    stub.add_response(
        "simulate_principal_policy",
        {"EvaluationResults": results, "IsTruncated": False},
        EXPECTED_PARAMS,
    )
    with stub:
        sim = PolicySimulator(client, ALICE)
        assert sim.allowed(("lambda:UpdateFunctionCode",), ("arn:f", "arn:f:next")) is allowed


@pytest.mark.parametrize(
    ("code", "status", "reason"),
    [
        ("AccessDenied", 403, "not allowed to call iam:SimulatePrincipalPolicy"),
        ("NotImplemented", 501, "the endpoint cannot simulate IAM policies"),
        ("NoSuchEntity", 404, "iam:SimulatePrincipalPolicy failed: NoSuchEntity: gone"),
    ],
)
def test_simulator_unavailable(code: str, status: int, reason: str) -> None:
    client, stub = _iam()
    stub.add_client_error(
        "simulate_principal_policy",
        service_error_code=code,
        service_message="gone",
        http_status_code=status,
    )
    with stub, pytest.raises(SimulationUnavailable) as caught:
        PolicySimulator(client, ALICE).allowed(("lambda:UpdateFunctionCode",), ("arn:f",))
    assert str(caught.value) == reason
