"""The preflight reads every page of the change set.

AWS behaviour (CloudFormation API reference, DescribeChangeSet: at most 100 changes a page, the
rest behind `NextToken`): a change that would delete a function holding pushed code may sit on a
later page; the preflight must see it there and refuse, and `infra plan` must list every change.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli

NEW_FUNCTIONS = 10  # each an HTTP function of 13 resources: over 100 changes


def test_a_dangerous_change_on_a_later_page_is_refused(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    assert run_cli(capsys, "push", "nightly").exit_code == 0

    doc = yaml.safe_load(app.read_text())
    nightly = doc["functions"].pop("nightly")
    for n in range(NEW_FUNCTIONS):
        doc["functions"][f"extra{n:02d}"] = {
            "handler": "app.handler",
            "source": "examples/shop/services/api",
            "trigger": {"http": {"routes": ["GET /a", "GET /b"]}},
        }
    doc["functions"]["zzznightly"] = nightly  # a rename: the old one is removed
    app.write_text(yaml.safe_dump(doc, sort_keys=False))

    cfn = local_aws.clients().client("cloudformation")
    before = cfn.describe_stacks(StackName="shop-local")["Stacks"][0]["StackStatus"]
    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 4, up.stderr
    assert "refusing to deploy: Remove NightlyFunction" in up.stderr
    assert "--allow-delete nightly" in up.stderr
    after = cfn.describe_stacks(StackName="shop-local")["Stacks"][0]["StackStatus"]
    assert after == before
    assert cfn.list_change_sets(StackName="shop-local")["Summaries"] == []

    # The refused row really was beyond the first page, and the plan lists every change.
    plan = run_cli(capsys, "--output", "json", "infra", "plan")
    changes = json.loads(plan.stdout)["data"]["changes"]
    assert len(changes) > 100
    # The template is over CloudFormation's 51,200-byte TemplateBody limit: it goes through S3.
    s3 = local_aws.clients().client("s3")
    s3.create_bucket(Bucket="probe-templates")
    s3.put_object(Bucket="probe-templates", Key="probe.json", Body=_rendered(capsys).encode())
    cs = cfn.create_change_set(
        StackName="shop-local",
        ChangeSetName="probe",
        UsePreviousTemplate=False,
        TemplateURL=f"{local_aws.endpoint_url}/probe-templates/probe.json",
        Capabilities=["CAPABILITY_IAM", "CAPABILITY_NAMED_IAM", "CAPABILITY_AUTO_EXPAND"],
        Parameters=[{"ParameterKey": "Stage", "ParameterValue": "local"}],
    )
    first = cfn.describe_change_set(ChangeSetName=cs["Id"], StackName="shop-local")
    first_ids = {c["ResourceChange"]["LogicalResourceId"] for c in first["Changes"]}
    assert first.get("NextToken")
    assert "NightlyFunction" not in first_ids


def _rendered(capsys: pytest.CaptureFixture[str]) -> str:
    out = run_cli(capsys, "infra", "render")
    assert out.exit_code == 0, out.stderr
    return out.stdout
