"""A limit broken in twophase.yml stops `infra up` before anything changes remotely.

The rows of every limit are in tests/unit/test_infra_limits.py; this is the same check through the
real CLI against the embedded AWS, once.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli

WEB_TEAM = "arn:aws:iam::123456789012:role/web-team"  # owns the example's api already


def test_up_with_one_owner_of_11_functions_exits_2_and_changes_nothing(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    doc = yaml.safe_load(app.read_text())
    for i in range(10):
        doc["functions"][f"job{i:02d}"] = {
            "handler": "app.handler",
            "source": "examples/shop/services/api",
            "owners": [WEB_TEAM],
        }
    app.write_text(yaml.safe_dump(doc, sort_keys=False))

    result = run_cli(capsys, "infra", "up", "--yes")

    assert result.exit_code == 2, result.stderr
    [line] = [line for line in result.stderr.splitlines() if line.startswith("error: ")]
    assert line.startswith("error: owner role web-team: 11 functions in shop-local (api, job00,")
    assert "give some of these functions another owner, at most 10 per owner" in line
    clients = local_aws.clients()
    assert clients.client("cloudformation").describe_stacks()["Stacks"] == []
    assert clients.client("iam").list_policies(Scope="Local")["Policies"] == []
    assert clients.client("lambda").list_functions()["Functions"] == []
