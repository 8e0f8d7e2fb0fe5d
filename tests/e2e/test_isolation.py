"""Isolation under enforced IAM (README, "For platform teams").

An owner's deployer policy pushes its functions and nothing else — not another function, not their
configuration, not the stack. It prunes their old versions (DeleteFunction on qualified ARNs) and
cannot delete a function itself.

The example app is deployed with enforcement off; alice (of web-team, api's owner) and bob (of
fulfilment-team, worker's owner) get access keys and only their team's generated deployer policy;
then, with enforcement on, each runs the matrix through the CLI (and direct Lambda calls): every
phase-two command on their own function (a gradual promotion on CodeDeploy too), and what they
must not do. Every case is counted: the test fails on any escape, and on any refusal that is not
one clear line.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import copy_example_app, run_cli
from twophase import names
from twophase.aws.session import Clients, Target
from twophase.local.extensions import iam_enforcement
from twophase.local.extensions._time_scale import set_time_scale

OWNERS = {"alice": "api", "bob": "worker"}
TEAMS = {"api": "web-team", "worker": "fulfilment-team"}  # the example app's owners
ERROR_LINE = re.compile(r"^error: .+$")


@dataclass(frozen=True)
class Person:
    name: str
    function: str
    other: str
    access_key: str
    secret_key: str


@dataclass
class Outcome:
    case: str
    allowed: bool
    detail: str


@pytest.fixture
def deployed(
    tmp_path: Path,
    local_aws: LocalAwsHandle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[dict[str, Person]]:
    copy_example_app(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWOPHASE_ENV", "local")
    rendered = run_cli(capsys, "infra", "render", "--offline")
    assert names.owner_policy_id("role", "web-team", 1) in rendered.stdout
    admin = local_aws.clients()
    iam = admin.client("iam")
    lam = admin.client("lambda")
    for role in TEAMS.values():  # the platform team's roles the example names as owners
        iam.create_role(RoleName=role, AssumeRolePolicyDocument=_trust())
    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 0, up.stderr
    outputs = _outputs(admin, "shop-local")
    for function in OWNERS.values():  # v2: a release no alias needs, for the prune cases
        name = f"shop-local-{function}"
        lam.update_function_code(FunctionName=name, ZipFile=_release_zip())
        lam.get_waiter("function_updated_v2").wait(FunctionName=name)
        assert lam.publish_version(FunctionName=name)["Version"] == "2"
    people = {}
    for name, function in OWNERS.items():
        iam.create_user(UserName=name)
        policy_arn = outputs[names.owner_policy_output("role", TEAMS[function], 1)]
        iam.attach_user_policy(UserName=name, PolicyArn=policy_arn)
        key = iam.create_access_key(UserName=name)["AccessKey"]
        other = next(f for f in OWNERS.values() if f != function)
        people[name] = Person(name, function, other, key["AccessKeyId"], key["SecretAccessKey"])
    iam_enforcement.enable(True)
    set_time_scale(600)  # a canary's minute lasts 0.1 s
    try:
        yield people
    finally:
        set_time_scale(None)
        iam_enforcement.enable(False)


def _release_zip() -> bytes:
    """Code other than phase one's dummy (a version holding the dummy's code is never pruned)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("app.py", "def handler(event, context):\n    return {'released': True}\n")
    return buffer.getvalue()


def _trust() -> str:
    return (
        '{"Version":"2012-10-17","Statement":[{"Effect":"Allow",'
        '"Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}]}'
    )


def _outputs(clients: Clients, stack: str) -> dict[str, str]:
    described = clients.client("cloudformation").describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def _as(person: Person, monkeypatch: pytest.MonkeyPatch, local_aws: LocalAwsHandle) -> Clients:
    monkeypatch.setenv("TWOPHASE_LOCAL_ACCESS_KEY", person.access_key)
    monkeypatch.setenv("TWOPHASE_LOCAL_SECRET_KEY", person.secret_key)
    return Clients(
        Target(
            region="us-east-1",
            endpoint_url=local_aws.endpoint_url,
            local=True,
            access_key=person.access_key,
            secret_key=person.secret_key,
        )
    )


def _cli_case(capsys: pytest.CaptureFixture[str], case: str, *args: str) -> Outcome:
    result = run_cli(capsys, *args)
    if result.exit_code == 0:
        return Outcome(case, True, result.stdout)
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and ERROR_LINE.match(errors[0]), (case, result.stderr)
    assert "Traceback" not in result.stderr and "<?xml" not in result.stderr, (case, result.stderr)
    return Outcome(case, False, errors[0])


def _direct_case(case: str, call: Callable[[], Any]) -> Outcome:
    try:
        call()
    except ClientError as exc:
        code = exc.response["Error"]["Code"]
        assert code == "AccessDeniedException", (case, code)
        return Outcome(case, False, str(exc.response["Error"]["Message"]))
    return Outcome(case, True, "")


def _matrix(
    person: Person,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
    local_aws: LocalAwsHandle,
) -> list[Outcome]:
    lam = _as(person, monkeypatch, local_aws).client("lambda")
    own = f"shop-local-{person.function}"
    other = f"shop-local-{person.other}"
    who = person.name
    return [
        _cli_case(capsys, f"{who} push {person.function}", "push", person.function),
        _cli_case(capsys, f"{who} push {person.other}", "push", person.other),
        _cli_case(
            capsys, f"{who} prune {person.function}", "prune", person.function, "--keep", "0"
        ),
        _cli_case(capsys, f"{who} prune {person.other}", "prune", person.other, "--keep", "0"),
        _cli_case(capsys, f"{who} status {person.function}", "status", person.function),
        _cli_case(capsys, f"{who} status {person.other}", "status", person.other),
        _cli_case(capsys, f"{who} releases {person.function}", "releases", person.function),
        _cli_case(  # `next`: the code just pushed (`live` still runs phase one's dummy)
            capsys, f"{who} invoke {person.function}", "invoke", person.function, "--alias", "next"
        ),
        _cli_case(
            capsys, f"{who} invoke {person.other}", "invoke", person.other, "--alias", "next"
        ),
        _cli_case(capsys, f"{who} logs {person.function}", "logs", person.function),
        _cli_case(  # `live` to what `next` serves, then back to phase one's version
            capsys, f"{who} alias promote {person.function}", "alias", "promote", person.function
        ),
        _cli_case(
            capsys,
            f"{who} alias rollback {person.function}",
            *("alias", "rollback", person.function, "--to", "1"),
        ),
        _cli_case(  # on CodeDeploy, through the function's own deployment group
            capsys,
            f"{who} alias promote --canary {person.function}",
            *("alias", "promote", person.function, "--canary", "10", "--interval", "1m"),
        ),
        _cli_case(
            capsys,
            f"{who} alias promote --canary {person.other}",
            *("alias", "promote", person.other, "--canary", "10", "--interval", "1m"),
        ),
        _cli_case(  # `live` back to phase one's version once more
            capsys,
            f"{who} alias rollback again {person.function}",
            *("alias", "rollback", person.function, "--to", "1"),
        ),
        _cli_case(capsys, f"{who} logs {person.other}", "logs", person.other),
        _cli_case(capsys, f"{who} whoami", "whoami"),
        _cli_case(capsys, f"{who} alias promote {person.other}", "alias", "promote", person.other),
        _cli_case(capsys, f"{who} infra up", "infra", "up", "--yes"),
        _cli_case(capsys, f"{who} infra down", "infra", "down", "--yes"),
        _direct_case(
            f"{who} UpdateFunctionConfiguration {own}",
            lambda: lam.update_function_configuration(FunctionName=own, MemorySize=2048),
        ),
        _direct_case(f"{who} DeleteFunction {own}", lambda: lam.delete_function(FunctionName=own)),
        _direct_case(
            f"{who} DeleteFunction {other}:1",
            lambda: lam.delete_function(FunctionName=other, Qualifier="1"),
        ),
        _direct_case(
            f"{who} AddPermission {own}",
            lambda: lam.add_permission(
                FunctionName=own,
                StatementId="escape",
                Action="lambda:InvokeFunction",
                Principal="s3.amazonaws.com",
            ),
        ),
    ]


def _snapshot(clients: Clients) -> dict[str, Any]:
    """What the matrix must not change, except the one push each person is allowed."""
    lam = clients.client("lambda")
    state: dict[str, Any] = {}
    for function in ("api", "worker", "nightly"):
        name = f"shop-local-{function}"
        config = lam.get_function_configuration(FunctionName=name)
        versions = lam.list_versions_by_function(FunctionName=name)["Versions"]
        state[name] = {
            "versions": sorted(v["Version"] for v in versions if v["Version"] != "$LATEST"),
            "memory": config["MemorySize"],
            "policy": _permissions(lam, name),
            "aliases": {
                a["Name"]: a["FunctionVersion"]
                for a in lam.list_aliases(FunctionName=name)["Aliases"]
            },
        }
    stack = clients.client("cloudformation").describe_stacks(StackName="shop-local")["Stacks"][0]
    state["stack"] = stack["StackStatus"]
    return state


def _permissions(lam: Any, name: str) -> str:
    try:
        return str(lam.get_policy(FunctionName=name)["Policy"])
    except ClientError:
        return ""


def test_each_owner_pushes_only_their_function(
    deployed: dict[str, Person],
    local_aws: LocalAwsHandle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    admin = local_aws.clients()
    before = _snapshot(admin)
    outcomes = [
        o for person in deployed.values() for o in _matrix(person, capsys, monkeypatch, local_aws)
    ]
    allowed = sorted(o.case for o in outcomes if o.allowed)
    denied = [o for o in outcomes if not o.allowed]
    own = ["push", "prune", "status", "releases", "invoke", "logs", "alias promote"]
    own += ["alias rollback", "alias promote --canary", "alias rollback again"]
    assert allowed == sorted(
        [f"{who} {verb} {function}" for who, function in OWNERS.items() for verb in own]
        + [f"{who} whoami" for who in OWNERS]
    )
    assert len(denied) == 26, [(o.case, o.detail) for o in denied]
    status_denied = {o.case: o.detail for o in denied if " status " in o.case}
    assert status_denied == {  # the row says why; the command fails
        "alice status worker": "error: 1 of 1 functions not read",
        "bob status api": "error: 1 of 1 functions not read",
    }
    own_logs = {o.case: o.detail for o in outcomes if " logs " in o.case and o.allowed}
    assert all("START RequestId" in detail for detail in own_logs.values()), own_logs
    pruned = {o.case: o.detail for o in outcomes if "prune" in o.case and o.allowed}
    assert all(
        detail.split()[:3] == [f, "deleted", "v2"]
        for f, detail in zip(
            ("api", "worker"), (pruned["alice prune api"], pruned["bob prune worker"]), strict=True
        )
    ), pruned

    after = _snapshot(admin)
    for function in ("api", "worker"):  # the allowed pushes moved `next`, the prunes deleted v2
        name = f"shop-local-{function}"
        assert after[name]["aliases"]["next"] != before[name]["aliases"]["next"]
        after[name]["aliases"]["next"] = before[name]["aliases"]["next"]
        assert (before[name]["versions"], after[name]["versions"]) == (["1", "2"], ["1", "3"])
        after[name]["versions"] = before[name]["versions"]
    assert after == before


def test_a_refused_push_names_the_function_the_action_and_the_policy(
    deployed: dict[str, Person],
    local_aws: LocalAwsHandle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    alice = deployed["alice"]
    _as(alice, monkeypatch, local_aws)
    outcome = _cli_case(capsys, "alice push worker", "push", "worker")
    assert not outcome.allowed
    assert "shop-local-worker" in outcome.detail
    assert re.search(r"\blambda:[A-Z][A-Za-z]+\b", outcome.detail), outcome.detail
    assert "deployer policies of its owners" in outcome.detail
    assert "role/fulfilment-team" in outcome.detail and "twophase policy worker" in outcome.detail
