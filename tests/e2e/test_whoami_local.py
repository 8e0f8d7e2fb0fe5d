"""`whoami` answers on the embedded AWS with IAM enforced: an IAM user's answers are what its
policies allow, simulated as they are enforced (the root keys: test_isolation_commands). An owner
holding only its deployer policies may ask: they let it simulate itself."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli
from twophase.config.load import load_config
from twophase.infra.deployer_policy import deployer_policy
from twophase.local.extensions.iam_enforcement import enable

ACCOUNT = "123456789012"


def _rows(stdout: str) -> list[list[str]]:
    return [line.split("\t") for line in stdout.splitlines() if "\t" in line][1:]


ALICE = f"arn:aws:iam::{ACCOUNT}:user/alice"


@pytest.fixture
def alice(
    app: Path,
    local_aws: LocalAwsHandle,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> Iterator[str]:
    """alice owns api and holds nothing but her deployer policies, as `twophase policy --owner`
    prints them; IAM is enforced."""
    doc = yaml.safe_load(app.read_text())
    doc["functions"]["api"]["owners"] = [ALICE]
    app.write_text(yaml.safe_dump(doc, sort_keys=False))
    printed = run_cli(capsys, "policy", "--owner", ALICE)
    assert printed.exit_code == 0, printed.stderr
    iam = local_aws.clients().client("iam")
    iam.create_user(UserName="alice")
    for name, document in json.loads(printed.stdout).items():
        iam.put_user_policy(UserName="alice", PolicyName=name, PolicyDocument=json.dumps(document))
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    monkeypatch.setenv("TWOPHASE_LOCAL_ACCESS_KEY", key["AccessKeyId"])
    monkeypatch.setenv("TWOPHASE_LOCAL_SECRET_KEY", key["SecretAccessKey"])
    enable(True)
    try:
        yield iam.get_user(UserName="alice")["User"]["Arn"]
    finally:
        enable(False)


def test_with_iam_enforced_a_deployer_may_push_its_function_only(
    alice: str, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "whoami", "--output", "json")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["data"]["caller"] == alice
    verdicts = {f["function"]: (f["may_push"], f["how"]) for f in doc["data"]["functions"]}
    assert verdicts == {
        "api": ("yes", "iam:SimulatePrincipalPolicy"),
        "nightly": ("no", "iam:SimulatePrincipalPolicy"),
        "worker": ("no", "iam:SimulatePrincipalPolicy"),
    }


def test_a_caller_who_may_not_simulate_gets_a_labelled_unknown(
    alice: str, app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    """One function's document (`twophase policy api`) names no principal: it grants no
    simulation, which an owner's documents grant on the owner only."""
    enable(False)
    iam = local_aws.clients().client("iam")
    for name in iam.list_user_policies(UserName="alice")["PolicyNames"]:
        iam.delete_user_policy(UserName="alice", PolicyName=name)
    policy = deployer_policy(load_config(app), "local", "api", region="us-east-1", account=ACCOUNT)
    iam.put_user_policy(UserName="alice", PolicyName="api", PolicyDocument=json.dumps(policy))
    enable(True)
    result = run_cli(capsys, "whoami")
    assert result.exit_code == 0, result.stderr
    assert {tuple(r[2:]) for r in _rows(result.stdout)} == {
        ("unknown", "best effort: not allowed to call iam:SimulatePrincipalPolicy")
    }
