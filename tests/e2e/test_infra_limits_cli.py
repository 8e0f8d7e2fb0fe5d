"""A limit broken in twophase.yml stops `infra up` before anything changes remotely.

The rows of every limit are in tests/unit/test_infra_limits.py; this is the same check through the
real CLI against the embedded AWS, once.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli

WEB_TEAM = "arn:aws:iam::123456789012:role/web-team"  # owns the example's api already


def test_up_with_an_owner_past_10_deployer_policies_exits_2_and_changes_nothing(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    """Each of an owner's deployer policies holds as many of its functions as fit (at most 10
    with these names): 120 more functions need more than IAM's 10 policies per role."""
    doc = yaml.safe_load(app.read_text())
    for i in range(120):
        doc["functions"][f"job{i:03d}"] = {
            "handler": "app.handler",
            "source": "examples/shop/services/api",
            "owners": [WEB_TEAM],
        }
    app.write_text(yaml.safe_dump(doc, sort_keys=False))

    result = run_cli(capsys, "infra", "up", "--yes")

    assert result.exit_code == 2, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert re.match(
        r"error: owner role web-team: its 121 functions in shop-local \(api, job000, .*\) need "
        r"1[1-9] deployer policies",
        line,
    ), line
    assert "give some of these functions another owner" in line
    clients = local_aws.clients()
    assert clients.client("cloudformation").describe_stacks()["Stacks"] == []
    assert clients.client("iam").list_policies(Scope="Local")["Policies"] == []
    assert clients.client("lambda").list_functions()["Functions"] == []
