"""An app split into nested stacks, end to end on the embedded AWS: every phase-one promise holds.

A real app needs about 45 functions before it outgrows one stack; here the stack budgets are
lowered (`twophase.infra.render.nesting.FLAT` and `CHILD`, the only thing changed) so that the
example app plus a few functions, all owned by one team role, spans the root and at least two
nested stacks: the mechanism is the same, the test is fast. `bench/scale.py` deploys 500 real-size
functions.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import edit_config, run_cli
from twophase.infra.render import nesting

TEAM = "arn:aws:iam::123456789012:role/team"
EXTRA = ("alpha", "bravo", "charlie", "delta")


@pytest.fixture
def nested_app(app: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example app plus four functions, one team owning all, with small stack budgets."""
    monkeypatch.setattr(nesting, "FLAT", nesting.Budget(12, 12, 50, 800_000))
    monkeypatch.setattr(nesting, "CHILD", nesting.Budget(14, 10, 50, 600_000))
    doc = yaml.safe_load(app.read_text())
    for name, fn in doc["functions"].items():
        fn["owners"] = [TEAM]
        doc["functions"][name] = fn
    for name in EXTRA:
        doc["functions"][name] = {
            "handler": "report.handler",
            "source": "examples/shop/services/nightly",
            "owners": [TEAM],
        }
    app.write_text(yaml.safe_dump(doc, sort_keys=False))
    return app


def children(local_aws: LocalAwsHandle) -> dict[str, str]:
    cfn = local_aws.clients().client("cloudformation")
    resources = cfn.list_stack_resources(StackName="shop-local")["StackResourceSummaries"]
    return {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in resources
        if r["ResourceType"] == "AWS::CloudFormation::Stack"
    }


def served(local_aws: LocalAwsHandle, function: str) -> dict[str, Any]:
    lam = local_aws.clients().client("lambda")
    name = f"shop-local-{function}"
    out: dict[str, Any] = {}
    for alias in ("next", "live"):
        config = lam.get_function_configuration(FunctionName=name, Qualifier=alias)
        out[alias] = (config["Version"], config["CodeSha256"])
    out["versions"] = sorted(
        v["Version"] for v in lam.list_versions_by_function(FunctionName=name)["Versions"]
    )
    return out


def test_a_nested_app_deploys_pushes_and_keeps_pushed_code_across_infra_up(
    nested_app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 0, up.stderr
    stacks = children(local_aws)
    assert len(stacks) >= 2, stacks
    # Every stack's outputs are reported: the functions' own live in the nested stacks.
    assert "DeltaFunctionArn" in up.stdout and "ArtifactBucket" in up.stdout
    cfn = local_aws.clients().client("cloudformation")
    nested = {
        logical: [
            r["LogicalResourceId"]
            for r in cfn.list_stack_resources(StackName=stack_id)["StackResourceSummaries"]
        ]
        for logical, stack_id in stacks.items()
    }
    holder = next(c for c, ids in nested.items() if "DeltaFunction" in ids)

    for function in ("api", "delta"):
        assert run_cli(capsys, "push", function).exit_code == 0
        assert run_cli(capsys, "alias", "promote", function).exit_code == 0
    before = {f: served(local_aws, f) for f in ("api", "delta")}

    edit_config(nested_app, functions__delta__memory=1024)
    plan = run_cli(capsys, "--output", "json", "infra", "plan")
    assert plan.exit_code == 0, plan.stderr
    rows = json.loads(plan.stdout)["data"]["changes"]
    assert [(r["action"], r["logical_id"]) for r in rows] == [("Modify", "DeltaFunction")]

    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 0, up.stderr
    assert children(local_aws) == stacks  # the same nested stacks, updated in place
    lam = local_aws.clients().client("lambda")
    assert lam.get_function_configuration(FunctionName="shop-local-delta")["MemorySize"] == 1024
    assert {f: served(local_aws, f) for f in ("api", "delta")} == before  # nothing reverted
    assert any(r["LogicalResourceId"] == "DeltaFunction" for r in _resources(cfn, stacks[holder]))

    status = run_cli(capsys, "--output", "json", "status")
    assert status.exit_code == 0, status.stderr


def _resources(cfn: Any, stack: str) -> list[dict[str, Any]]:
    return list(cfn.list_stack_resources(StackName=stack)["StackResourceSummaries"])


def test_adding_and_reordering_functions_moves_none_and_removing_pushed_code_is_refused(
    nested_app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    assert run_cli(capsys, "push", "charlie").exit_code == 0

    doc = yaml.safe_load(nested_app.read_text())
    functions = dict(reversed(list(doc["functions"].items())))
    functions["aardvark"] = dict(functions["alpha"])
    doc["functions"] = functions
    nested_app.write_text(yaml.safe_dump(doc, sort_keys=False))
    plan = run_cli(capsys, "--output", "json", "infra", "plan")
    assert plan.exit_code == 0, plan.stderr
    rows = json.loads(plan.stdout)["data"]["changes"]
    # The new function's resources, and the team's deployer policies taking it in: nothing moves.
    assert {r["action"] for r in rows if r["resource_type"] != "AWS::IAM::ManagedPolicy"} == {"Add"}
    assert {r["logical_id"] for r in rows if r["action"] == "Add"} >= {"AardvarkFunction"}
    assert not [r for r in rows if r["replacement"]]

    del doc["functions"]["charlie"]
    nested_app.write_text(yaml.safe_dump(doc, sort_keys=False))
    refused = run_cli(capsys, "infra", "up", "--yes")
    assert refused.exit_code != 0
    assert "charlie, which holds pushed code" in refused.stderr
    lam = local_aws.clients().client("lambda")
    assert lam.get_function(FunctionName="shop-local-charlie")  # still there
