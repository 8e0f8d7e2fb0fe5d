"""A release is code and configuration: push ships what phase one changed on `$LATEST`.

On AWS a published version freezes `$LATEST`'s code *and* configuration (Lambda developer guide,
"Lambda function versions"), so a configuration change made by `infra up` reaches an alias only
when a version is published from `$LATEST` and the alias moves to it. These tests run plans
against the in-memory Lambda of test_push_plan.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.test_push_plan import (
    FN,
    FakeLambda,
    artifact,
    fresh_lambda,
    make_ctx,
)
from twophase.aws.lambda_client import AliasState
from twophase.cli.push import summary
from twophase.errors import UsageError
from twophase.release.push_apply import apply_push
from twophase.release.push_plan import MoveAlias, Publish, Unchanged, WaitActive, plan_push
from twophase.release.release_record import encode_history
from twophase.reporter import RecordingReporter

SECRET = "s3cr3t-value-never-printed"


def pushed(tmp_path: Path) -> tuple[FakeLambda, Path]:
    """A function whose `next` serves a pushed release, recorded with its configuration."""
    lam = fresh_lambda()
    lam.update_configuration(
        memory=256, timeout=10, environment={"TOKEN": "a"}, handler="app.handler"
    )
    ctx = make_ctx(tmp_path, lam)
    apply_push(ctx, plan_push(ctx, "api", artifact(tmp_path)))
    lam.reads.clear()
    lam.writes.clear()
    return lam, tmp_path


@pytest.mark.parametrize(
    ("edit", "names"),
    [
        ({"memory": 768}, ("memory",)),
        ({"timeout": 30}, ("timeout",)),
        ({"environment": {"TOKEN": SECRET}}, ("environment",)),
        ({"memory": 1024, "environment": {"TOKEN": SECRET}}, ("environment", "memory")),
        ({"runtime": "python3.13"}, ("runtime",)),
        ({"layers": ["arn:aws:lambda:eu-west-1:1:layer:x:1"]}, ("layers",)),
        ({"role": "arn:aws:iam::1:role/other"}, ("role",)),
    ],
)
def test_a_configuration_change_alone_publishes_and_moves_the_alias(
    tmp_path: Path, edit: dict[str, object], names: tuple[str, ...]
) -> None:
    lam, _ = pushed(tmp_path)
    lam.update_configuration(**edit)
    ctx = make_ctx(tmp_path, lam)
    plan = plan_push(ctx, "api", artifact(tmp_path))

    assert plan.steps[0] == Publish(FN, artifact(tmp_path).code_sha256, names)
    assert isinstance(plan.steps[1], MoveAlias)
    assert (plan.code_changed, plan.settings_changed) == (False, names)
    # $LATEST and the alias, then the served version to name the settings
    assert sorted(lam.reads) == [
        "GetAlias next",
        "GetFunctionConfiguration $LATEST",
        "GetFunctionConfiguration 2",
    ]

    result = apply_push(ctx, plan)
    assert not any(w.startswith("UpdateFunctionCode") for w in lam.writes)
    served = lam.versions[lam.aliases["next"].function_version]
    assert {k: served.settings.get(k) for k in edit} == edit
    line = summary(result)
    assert line == f"api  v3 → next  (configuration: {', '.join(names)}; code unchanged)"
    assert SECRET not in line and all(SECRET not in d for d in plan.describe())


def test_after_a_configuration_release_the_next_push_is_unchanged_in_two_calls(
    tmp_path: Path,
) -> None:
    lam, _ = pushed(tmp_path)
    lam.update_configuration(memory=768)
    ctx = make_ctx(tmp_path, lam)
    apply_push(ctx, plan_push(ctx, "api", artifact(tmp_path)))
    lam.reads.clear()

    again = plan_push(ctx, "api", artifact(tmp_path))
    assert isinstance(again.steps[0], Unchanged)
    assert sorted(lam.reads) == ["GetAlias next", "GetFunctionConfiguration $LATEST"]


def test_an_unchanged_push_with_a_recorded_configuration_costs_two_calls(tmp_path: Path) -> None:
    lam, _ = pushed(tmp_path)
    plan = plan_push(make_ctx(tmp_path, lam), "api", artifact(tmp_path))
    assert isinstance(plan.steps[0], Unchanged)
    assert sorted(lam.reads) == ["GetAlias next", "GetFunctionConfiguration $LATEST"]


def test_code_and_configuration_changing_together_say_both(tmp_path: Path) -> None:
    lam, _ = pushed(tmp_path)
    lam.update_configuration(timeout=60)
    ctx = make_ctx(tmp_path, lam)
    new = artifact(tmp_path, body=b"def handler(e, c):\n    return 2\n")
    result = apply_push(ctx, plan_push(ctx, "api", new))
    assert result.code_changed and result.settings_changed == ("timeout",)
    assert summary(result).endswith("; configuration: timeout)")


def test_a_record_from_before_configuration_was_recorded_reads_the_served_version(
    tmp_path: Path,
) -> None:
    lam, _ = pushed(tmp_path)
    alias = lam.aliases["next"]
    served = lam.versions[alias.function_version]
    old = json.dumps({"tp": 1, "v": alias.function_version, "s": served.code_sha256, "h": ["1"]})
    lam.aliases["next"] = replace(alias, description=old)
    plan = plan_push(make_ctx(tmp_path, lam), "api", artifact(tmp_path))
    assert isinstance(plan.steps[0], Unchanged)
    assert len(lam.reads) == 3


def test_an_alias_moved_by_hand_to_older_configuration_is_noticed(tmp_path: Path) -> None:
    """Someone moved `next` to v2 (same code, older configuration) without a record."""
    lam, _ = pushed(tmp_path)
    lam.update_configuration(memory=2048)
    ctx = make_ctx(tmp_path, lam)
    apply_push(ctx, plan_push(ctx, "api", artifact(tmp_path)))  # v3, memory 2048
    lam.aliases["next"] = AliasState("next", "2", "hand", encode_history(["1"]))
    plan = plan_push(ctx, "api", artifact(tmp_path))
    assert plan.settings_changed == ("memory",)
    result = apply_push(ctx, plan)
    assert result.version == "3"  # Lambda publishes nothing new and returns v3


def test_an_inactive_function_is_updated_without_waiting(tmp_path: Path) -> None:
    """Lambda takes updates on an Inactive function (idle for weeks); only Pending refuses them
    (Lambda developer guide, "Lambda function states")."""
    lam, _ = pushed(tmp_path)
    lam.latest = replace(lam.latest, state="Inactive")
    ctx = make_ctx(tmp_path, lam)
    new = artifact(tmp_path, body=b"def handler(e, c):\n    return 4\n")
    plan = plan_push(ctx, "api", new)
    assert not any(isinstance(s, WaitActive) for s in plan.steps)


def test_a_pending_function_is_waited_for_before_the_update(tmp_path: Path) -> None:
    lam, _ = pushed(tmp_path)
    lam.latest = replace(lam.latest, state="Pending")
    ctx = make_ctx(tmp_path, lam)
    new = artifact(tmp_path, body=b"def handler(e, c):\n    return 3\n")
    plan = plan_push(ctx, "api", new)
    assert plan.steps[0] == WaitActive(FN, "Pending")
    apply_push(ctx, plan)
    assert "wait Active $LATEST" in lam.reads
    assert lam.writes[0].startswith("UpdateFunctionCode")


def test_a_handler_the_deployed_function_lacks_is_refused_before_any_write(
    tmp_path: Path,
) -> None:
    """twophase.yml says app.handler, but the deployed function still runs main.handler: an
    artifact without main.py would fail with ImportModuleError, so push refuses (exit 2)."""
    lam, _ = pushed(tmp_path)
    lam.update_configuration(handler="main.handler")
    new = artifact(tmp_path, entries={"app.py": False})
    with pytest.raises(UsageError, match=r"cannot run as the function is deployed.*main\.py"):
        plan_push(make_ctx(tmp_path, lam), "api", new)
    assert lam.writes == []


def test_a_setting_not_deployed_yet_is_one_warning_and_the_push_goes_on(tmp_path: Path) -> None:
    lam, _ = pushed(tmp_path)
    lam.update_configuration(handler="main.handler", memory=1024)
    ctx = make_ctx(tmp_path, lam)
    new = artifact(tmp_path, entries={"app.py": False, "main.py": False})
    apply_push(ctx, plan_push(ctx, "api", new))
    reporter = ctx.reporter
    assert isinstance(reporter, RecordingReporter)
    assert reporter.warnings == [
        "api: twophase.yml changes handler, memory, which the deployed function does not have "
        "yet: run `twophase infra up -e dev` for that to take effect"
    ]
