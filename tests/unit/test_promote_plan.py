"""Promotion and rollback plans against the in-memory Lambda fake; health checks through a fake."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit.test_push_plan import (
    FakeHealth,
    FakeLambda,
    fresh_lambda,
    make_promote,
    make_rollback,
    state,
)
from twophase.aws.lambda_client import AliasState
from twophase.errors import HealthCheckError, UsageError
from twophase.release.promote import Complete, PromoteOptions, Shift, apply_promote, plan_promote
from twophase.release.release_record import decode_history, encode_history
from twophase.release.rollback import RollbackOptions, apply_rollback, plan_rollback
from twophase.reporter import RecordingReporter


def pushed(lam: FakeLambda, version: str = "2") -> FakeLambda:
    lam.versions[version] = state(version, f"sha-{version}")
    lam.aliases["next"] = AliasState("next", version, "a5", encode_history(["1"]))
    return lam


def test_default_promotion_moves_live_to_next_at_once(tmp_path: Path) -> None:
    lam = pushed(fresh_lambda())
    ctx = make_promote(tmp_path, lam)
    plan = plan_promote(ctx, PromoteOptions("api"))
    assert plan.steps == (Complete("live", "1", "2"),)
    result = apply_promote(ctx, plan)
    assert (result.version, result.previous_version, result.percents) == ("2", "1", (100,))
    assert lam.writes == ["UpdateAlias live 2 {}"]
    assert decode_history(lam.aliases["live"].description) == ["1"]


def test_the_last_alias_has_nothing_to_promote_to(tmp_path: Path) -> None:
    ctx = make_promote(tmp_path, fresh_lambda())
    with pytest.raises(UsageError, match="no alias after 'live'"):
        plan_promote(ctx, PromoteOptions("api", from_alias="live"))


def test_a_canary_shifts_checks_then_completes(tmp_path: Path) -> None:
    lam = pushed(fresh_lambda())
    sleeps: list[float] = []
    ctx = make_promote(tmp_path, lam, sleep=sleeps.append)
    plan = plan_promote(ctx, PromoteOptions("api", canary=10, interval=300))
    assert plan.steps == (Shift("live", "1", "2", 10, 300), Complete("live", "1", "2"))
    apply_promote(ctx, plan)
    assert lam.writes == ["UpdateAlias live 1 {'2': 0.1}", "UpdateAlias live 2 {}"]
    assert sleeps == [300]
    assert isinstance(ctx.reporter, RecordingReporter)
    assert ctx.reporter.progressed == [("api: live → v2", 10, 100), ("api: live → v2", 100, 100)]


def test_a_firing_alarm_rolls_back(tmp_path: Path) -> None:
    lam = pushed(fresh_lambda())
    ctx = make_promote(tmp_path, lam, health=FakeHealth(firing=["api-5xx"]))
    plan = plan_promote(ctx, PromoteOptions("api", linear=50, alarms=("api-5xx",)))
    with pytest.raises(HealthCheckError, match="alarm api-5xx firing"):
        apply_promote(ctx, plan)
    assert lam.writes == ["UpdateAlias live 1 {'2': 0.5}", "UpdateAlias live 1 {}"]
    assert lam.aliases["live"].function_version == "1" and not lam.aliases["live"].weights
    assert isinstance(ctx.reporter, RecordingReporter)
    assert ctx.reporter.progressed == [("api: live → v2", 50, 100)]
    assert ctx.reporter.ended == ["api: live → v2"]  # its bar does not outlive the error


def test_promoting_what_the_alias_already_serves_does_nothing(tmp_path: Path) -> None:
    lam = pushed(fresh_lambda())
    lam.aliases["live"] = AliasState("live", "2", "a9")
    ctx = make_promote(tmp_path, lam)
    result = apply_promote(ctx, plan_promote(ctx, PromoteOptions("api")))
    assert result.unchanged and lam.writes == []


def test_rollback_pops_the_alias_history(tmp_path: Path) -> None:
    lam = pushed(pushed(fresh_lambda(), "2"), "3")
    lam.aliases["live"] = AliasState("live", "3", "a7", encode_history(["2", "1"]))
    ctx = make_rollback(tmp_path, lam)
    plan = plan_rollback(ctx, RollbackOptions("api"))
    assert (plan.from_version, plan.to_version, plan.history) == ("3", "2", ("1",))
    assert plan.describe() == [
        "move live of shop-dev-api from v3 back to v2 (what live served before)"
    ]
    apply_rollback(ctx, plan)
    assert lam.aliases["live"].function_version == "2"
    assert decode_history(lam.aliases["live"].description) == ["1"]


def test_rollback_to_an_explicit_version_keeps_history(tmp_path: Path) -> None:
    lam = pushed(fresh_lambda(), "3")
    lam.aliases["live"] = AliasState("live", "3", "a7", encode_history(["2"]))
    plan = plan_rollback(make_rollback(tmp_path, lam), RollbackOptions("api", to_version="1"))
    assert (plan.to_version, plan.history) == ("1", ("3", "2"))


def test_rollback_to_what_is_served_is_refused(tmp_path: Path) -> None:
    lam = fresh_lambda()
    with pytest.raises(UsageError, match="already serves v1"):
        plan_rollback(make_rollback(tmp_path, lam), RollbackOptions("api", to_version="1"))
