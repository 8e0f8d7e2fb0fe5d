"""`twophase policy` and `twophase whoami` through the CLI against the embedded AWS."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.helpers import run_cli
from twophase import names
from twophase.config.load import load_config
from twophase.infra.deployer_policy import deployer_policy

LOCAL_ACCOUNT = "123456789012"  # the embedded AWS's account


def test_policy_prints_the_document_for_the_embedded_account(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "policy", "api")
    assert result.exit_code == 0, result.stderr
    printed = json.loads(result.stdout)
    expected = deployer_policy(
        load_config(app), "local", "api", region="us-east-1", account=LOCAL_ACCOUNT
    )
    assert printed == expected
    assert list(printed) == ["Version", "Statement"]
    assert f"{LOCAL_ACCOUNT}:function:shop-local-api" in result.stdout
    assert "${" not in result.stdout


def test_policy_offline_keeps_the_placeholders(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "-e", "prod", "policy", "worker", "--offline")
    assert result.exit_code == 0, result.stderr
    assert "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:shop-prod-worker" in (
        result.stdout
    )


def test_policy_template_prints_the_owners_resources_and_outputs(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "policy", "worker", "--template")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    policy = names.owner_policy_id("role", "fulfilment-team", 1)
    assert list(doc["Resources"]) == [policy]
    resource = doc["Resources"][policy]
    assert resource["Type"] == "AWS::IAM::ManagedPolicy"
    properties = resource["Properties"]
    assert properties["ManagedPolicyName"] == "shop-local-role-fulfilment-team-deployer-1"
    assert properties["Roles"] == ["fulfilment-team"]
    assert "function:shop-local-worker" in json.dumps(properties["PolicyDocument"])
    assert doc["Outputs"] == {
        names.owner_policy_output("role", "fulfilment-team", 1): {
            "Description": "Deployer policy 1 of role fulfilment-team",
            "Value": {"Ref": policy},
            "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{policy}Arn"}},
        }
    }


def test_policy_template_of_a_function_without_owners(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    result = run_cli(capsys, "policy", "nightly", "--template")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {"Resources": {}, "Outputs": {}}
    assert result.stderr.strip() == (
        "warning: nightly has no owner that takes a policy: phase one renders no deployer policy "
        "for it (`twophase policy nightly` prints its document)"
    )


def test_policy_json_envelope(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--output", "json", "policy", "api")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert (doc["version"], doc["command"], doc["status"]) == (1, "policy", "ok")
    assert doc["data"]["policy_name"] == "shop-local-api-deployer"
    assert doc["data"]["document"]["Version"] == "2012-10-17"


def test_policy_of_an_unknown_function(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "policy", "nope")
    assert result.exit_code == 2
    assert result.stderr.strip().splitlines() == [
        "error: unknown function 'nope' (use one of: api, nightly, worker "
        "(declared under `functions:`))"
    ]


def test_whoami_on_the_embedded_aws_with_its_root_keys(
    app: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The local keys are the account root (IAM users: see test_whoami_local)."""
    result = run_cli(capsys, "whoami")
    assert result.exit_code == 0, result.stderr
    assert f"caller   arn:aws:iam::{LOCAL_ACCOUNT}:root" in result.stdout
    assert f"account  {LOCAL_ACCOUNT} (us-east-1)" in result.stdout
    rows = [line.split("\t") for line in result.stdout.splitlines() if "\t" in line]
    assert rows[0] == ["function", "lambda function", "may push", "decided by"]
    assert [r[:3] for r in rows[1:]] == [
        ["api", "shop-local-api", "yes"],
        ["nightly", "shop-local-nightly", "yes"],
        ["worker", "shop-local-worker", "yes"],
    ]
    assert {r[3] for r in rows[1:]} == {"account root: allowed everything"}


def test_whoami_json(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    result = run_cli(capsys, "--output", "json", "whoami")
    assert result.exit_code == 0, result.stderr
    doc = json.loads(result.stdout)
    assert doc["command"] == "whoami" and doc["data"]["account"] == LOCAL_ACCOUNT
    assert [f["function"] for f in doc["data"]["functions"]] == ["api", "nightly", "worker"]
    assert {f["may_push"] for f in doc["data"]["functions"]} == {"yes"}
