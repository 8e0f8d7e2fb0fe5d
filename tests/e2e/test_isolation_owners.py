"""Owners that take no attachment (Identity Center roles) and owners of another account, through
the CLI against the embedded AWS (README, "For platform teams")."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli
from twophase import names
from twophase.config.load import load_config
from twophase.infra.deployer_documents import owner_document
from twophase.infra.owners import Owner

SSO_NAME = "AWSReservedSSO_Dev_abc123"
SSO_ROLE = f"arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/{SSO_NAME}"


def _owners(app: Path, function: str, owners: list[str]) -> None:
    doc = yaml.safe_load(app.read_text())
    doc["functions"][function]["owners"] = owners
    app.write_text(yaml.safe_dump(doc, sort_keys=False))


@pytest.mark.parametrize("owner", [SSO_ROLE, "AWSReservedSSO_Dev_abc123"])
def test_an_identity_center_owner_deploys_and_gets_its_document(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str], owner: str
) -> None:
    _owners(app, "api", [owner])

    up = run_cli(capsys, "infra", "up", "--yes")

    assert up.exit_code == 0, up.stderr
    notes = [line for line in up.stderr.splitlines() if "AWSReservedSSO_Dev_abc123" in line]
    assert notes == [
        "warning: owner AWSReservedSSO_Dev_abc123 is an IAM Identity Center role, which takes no "
        "attachment: add the deployer policy of api to its permission set "
        "(`twophase policy --owner AWSReservedSSO_Dev_abc123 -e local` prints it)"
    ]
    outputs = local_aws.clients().client("cloudformation").describe_stacks(StackName="shop-local")
    keys = {o["OutputKey"] for o in outputs["Stacks"][0]["Outputs"]}
    assert names.owner_policy_output("role", SSO_NAME, 1) not in keys  # nothing rendered for it
    assert names.owner_policy_output("role", "fulfilment-team", 1) in keys

    printed = run_cli(capsys, "policy", "--owner", owner)
    assert printed.exit_code == 0, printed.stderr
    policies = json.loads(printed.stdout)
    assert list(policies) == [f"shop-local-role-{SSO_NAME}-deployer-1"]
    expected = owner_document(
        load_config(app),
        "local",
        Owner("role", SSO_NAME, attachable=False),
        ["api"],
        region="us-east-1",
        account="123456789012",
    )
    assert policies[f"shop-local-role-{SSO_NAME}-deployer-1"] == expected
    assert "arn:aws:lambda:us-east-1:123456789012:function:shop-local-api" in printed.stdout
    assert f"arn:aws:iam::123456789012:role/*/{SSO_NAME}" in printed.stdout  # whoami on itself


def test_an_owner_of_another_account_is_refused_before_any_change(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    foreign = "arn:aws:iam::999988887777:role/web-team"
    _owners(app, "api", [foreign])
    offline = run_cli(capsys, "infra", "render", "--offline")  # the account is not known there
    assert offline.exit_code == 0, offline.stderr

    for command in (("infra", "plan"), ("infra", "up", "--yes")):
        result = run_cli(capsys, *command)
        assert result.exit_code == 2, result.stderr
        [line] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
        assert line.startswith(f"error: functions.api.owners: {foreign} is in account 999988887777")
        assert "that trusts" in line and "assume it" in line
    clients = local_aws.clients()
    assert clients.client("cloudformation").describe_stacks()["Stacks"] == []
    assert clients.client("s3").list_buckets()["Buckets"] == []
