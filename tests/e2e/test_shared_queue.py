"""A dummy never eats real messages: a mapping on a shared-template queue stays disabled.

A queue of the shared template may already be filled by other producers. A dummy consumer raises,
so SQS would retry each message and move it to the dead-letter queue (or drop it at the end of its
retention) before any code was pushed (Lambda developer guide, "Using Lambda with Amazon SQS":
failed batches return to the queue and count towards maxReceiveCount). Phase one keeps such a
mapping disabled (`Enabled: false`, AWS::Lambda::EventSourceMapping) until the alias it calls
serves pushed code, and enables it on the first `infra up` after that.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import run_cli

FN = "shop-local-intake"


def add_shared_queue_consumer(app: Path) -> None:
    template = app.parent / "infra" / "cloudformation" / "shared.yaml"
    text = template.read_text().replace(
        "Resources:\n", "Resources:\n  IncomingQueue:\n    Type: AWS::SQS::Queue\n", 1
    )
    template.write_text(text)
    doc = yaml.safe_load(app.read_text())
    doc["functions"]["intake"] = {
        "runtime": "nodejs22.x",
        "handler": "index.handler",
        "source": "examples/shop/services/worker",
        "trigger": {"queue": {"queue": "IncomingQueue", "batch_size": 5}},
    }
    app.write_text(yaml.safe_dump(doc, sort_keys=False))


def mapping_enabled(local_aws: LocalAwsHandle) -> bool:
    lam = local_aws.clients().client("lambda")
    mappings = [
        m
        for m in lam.list_event_source_mappings()["EventSourceMappings"]
        if f":function:{FN}:" in m["FunctionArn"]
    ]
    assert len(mappings) == 1
    return bool(mappings[0]["State"] in ("Enabled", "Enabling"))


def test_the_mapping_waits_for_pushed_code_and_is_enabled_after_it(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    add_shared_queue_consumer(app)
    first = run_cli(capsys, "infra", "up", "--yes")
    assert first.exit_code == 0, first.stderr
    assert "intake: its queue mapping stays disabled until live serves pushed code" in first.stderr
    assert not mapping_enabled(local_aws)

    assert run_cli(capsys, "push", "intake").exit_code == 0
    again = run_cli(capsys, "infra", "up", "--yes")  # next serves code, live still the dummy
    assert again.exit_code == 0, again.stderr
    assert not mapping_enabled(local_aws)

    assert run_cli(capsys, "alias", "promote", "intake").exit_code == 0
    enabled = run_cli(capsys, "infra", "up", "--yes")
    assert enabled.exit_code == 0, enabled.stderr
    assert "IntakeEventSourceMapping" in enabled.stderr
    assert mapping_enabled(local_aws)
    assert "stays disabled" not in enabled.stderr


def test_a_generated_queue_mapping_is_enabled_from_the_start(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    """Its own queue has no other producers: the dummy's failures go to its dead-letter queue."""
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    lam = local_aws.clients().client("lambda")
    mappings = lam.list_event_source_mappings()["EventSourceMappings"]
    states = [m["State"] for m in mappings if ":function:shop-local-worker:" in m["FunctionArn"]]
    assert states == ["Enabled"]
