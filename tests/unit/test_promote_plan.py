"""Promotion at once and rollback plans against the in-memory Lambda fake, rollback beside
CodeDeploy included (a gradual promotion's plans are in test_promote_gradual)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from tests.unit.promote_fakes import ALARMED, FakeDeployments, make_promote
from tests.unit.test_push_plan import FakeLambda, fresh_lambda, make_rollback, state
from twophase.aws.codedeploy import AppSpecTarget
from twophase.aws.lambda_client import AliasState
from twophase.errors import ConflictError, ExitStatus, UsageError
from twophase.release.promote import (
    Complete,
    PromoteOptions,
    PromotePlan,
    apply_promote,
    plan_promote,
)
from twophase.release.promote_follow import RolledBack
from twophase.release.release_record import decode_history, encode_history
from twophase.release.rollback import (
    RollbackDeps,
    RollbackOptions,
    apply_rollback,
    plan_rollback,
)


def pushed(lam: FakeLambda, version: str = "2") -> FakeLambda:
    lam.versions[version] = state(version, f"sha-{version}")
    lam.aliases["next"] = AliasState("next", version, "a5", encode_history(["1"]))
    return lam


def test_default_promotion_moves_live_to_next_at_once(tmp_path: Path) -> None:
    lam = pushed(fresh_lambda())
    ctx = make_promote(tmp_path, lam)
    plan = plan_promote(ctx, PromoteOptions("api"))
    assert isinstance(plan, PromotePlan) and plan.steps == (Complete("live", "1", "2"),)
    result = apply_promote(ctx, plan)
    assert (result.version, result.previous_version, result.percents) == ("2", "1", (100,))
    assert lam.writes == ["UpdateAlias live 2 {}"]
    assert decode_history(lam.aliases["live"].description) == ["1"]


def test_the_last_alias_has_nothing_to_promote_to(tmp_path: Path) -> None:
    ctx = make_promote(tmp_path, fresh_lambda())
    with pytest.raises(UsageError, match="no alias after 'live'"):
        plan_promote(ctx, PromoteOptions("api", from_alias="live"))


def test_at_once_is_one_compare_and_set_update_and_no_codedeploy_write(tmp_path: Path) -> None:
    lam = pushed(fresh_lambda())
    deployments = FakeDeployments(lam)
    ctx = make_promote(tmp_path, lam, deployments)
    plan = plan_promote(ctx, PromoteOptions("api"))
    assert isinstance(plan, PromotePlan) and plan.revision_id == "a1"
    apply_promote(ctx, plan)
    assert lam.writes == ["UpdateAlias live 2 {}"]
    assert deployments.calls == ["ListDeployments"]  # only: is a deployment under way?


def test_at_once_without_a_deployment_group_still_promotes(tmp_path: Path) -> None:
    lam = pushed(fresh_lambda())
    deployments = FakeDeployments(lam, groups=set())  # phase one made none (an older stack)
    ctx = make_promote(tmp_path, lam, deployments)
    apply_promote(ctx, plan_promote(ctx, PromoteOptions("api")))
    assert lam.aliases["live"].function_version == "2"


def test_a_split_alias_towards_another_version_is_a_conflict(tmp_path: Path) -> None:
    lam = pushed(pushed(fresh_lambda()), "3")
    lam.aliases["live"] = AliasState("live", "1", "a4", weights={"2": 0.1})
    with pytest.raises(ConflictError, match="mid-shift to v2, not v3"):
        plan_promote(make_promote(tmp_path, lam), PromoteOptions("api"))


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


def test_promote_and_rollback_refuse_latest_and_name_the_versions_that_exist(
    tmp_path: Path,
) -> None:
    """An alias may point at a published version only (Lambda API reference, UpdateAlias:
    FunctionVersion is a version number or `$LATEST`; `$LATEST` runs whatever is uploaded
    next). A version that does not exist is named with those that do, for either command."""
    lam = pushed(fresh_lambda(), "3")
    promote = make_promote(tmp_path, lam)
    with pytest.raises(UsageError, match=r"--version \$LATEST: .*unpromoted"):
        plan_promote(promote, PromoteOptions("api", version="$LATEST"))
    with pytest.raises(UsageError, match=r"--to \$LATEST: .*unpromoted"):
        plan_rollback(make_rollback(tmp_path, lam), RollbackOptions("api", to_version="$LATEST"))

    missing = "shop-dev-api has no version 9; its published versions are 1, 3 "
    with pytest.raises(UsageError, match=f"--version 9: {missing}"):
        plan_promote(promote, PromoteOptions("api", version="9"))
    with pytest.raises(UsageError, match=f"--to 9: {missing}"):
        plan_rollback(make_rollback(tmp_path, lam), RollbackOptions("api", to_version="9"))
    assert lam.writes == []


# --- rollback and CodeDeploy ---------------------------------------------------------------------


def _rolling_back(tmp_path: Path, lam: FakeLambda, deployments: FakeDeployments) -> RollbackDeps:
    return replace(make_rollback(tmp_path, lam), deployments=deployments)


def test_a_rollback_after_codedeploy_rolled_back_passes_over_what_live_serves_again(
    tmp_path: Path,
) -> None:
    """The promotion recorded v2 on top of live's history before it started; CodeDeploy then
    rolled it back, so live serves v2 again: a rollback goes to what served before v2."""
    lam = pushed(pushed(fresh_lambda()), "3")
    lam.aliases["live"] = AliasState("live", "2", "a7", encode_history(["1"]))
    ctx = make_promote(tmp_path, lam, FakeDeployments(lam, ALARMED))
    with pytest.raises(RolledBack):
        apply_promote(ctx, plan_promote(ctx, PromoteOptions("api", canary=10)))
    assert lam.aliases["live"].function_version == "2"
    assert decode_history(lam.aliases["live"].description) == ["2", "1"]

    plan = plan_rollback(make_rollback(tmp_path, lam), RollbackOptions("api"))

    assert (plan.from_version, plan.to_version, plan.history) == ("2", "1", ())


def test_a_rollback_of_the_alias_a_promotion_is_shifting_is_refused(tmp_path: Path) -> None:
    lam = pushed(fresh_lambda())
    deployments = FakeDeployments(lam)
    started = deployments.start(AppSpecTarget("shop-dev-api", "live", "1", "2"))
    with pytest.raises(ConflictError) as refused:
        plan_rollback(_rolling_back(tmp_path, lam, deployments), RollbackOptions("api"))
    assert str(refused.value) == (
        f"a gradual promotion of api is under way in CodeDeploy ({started}): its next step "
        "would undo a rollback (stop it and roll it back: `twophase alias promote api --stop`)"
    )
    assert refused.value.exit_status == ExitStatus.CONFLICT and lam.writes == []


def test_a_promotion_of_another_alias_lets_a_rollback_through(tmp_path: Path) -> None:
    lam = pushed(fresh_lambda())
    deployments = FakeDeployments(lam)
    deployments.start(AppSpecTarget("shop-dev-api", "live", "1", "2"))
    ctx = _rolling_back(tmp_path, lam, deployments)
    plan = plan_rollback(ctx, RollbackOptions("api", alias="next"))
    assert (plan.alias, plan.from_version, plan.to_version) == ("next", "2", "1")
    apply_rollback(ctx, plan)
    assert lam.aliases["next"].function_version == "1"


def test_a_rollback_reads_the_alias_the_versions_and_the_deployments_at_once(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each read waits until the other two have started: read one after another, they would
    never all start, and the barrier breaks."""
    lam = pushed(fresh_lambda())
    deployments = FakeDeployments(lam)
    barrier = threading.Barrier(3, timeout=10)
    for owner, read in [
        (lam, "get_alias"),
        (lam, "list_versions"),
        (deployments, "active_deployments"),
    ]:
        monkeypatch.setattr(owner, read, _after(barrier, getattr(owner, read)))
    ctx = _rolling_back(tmp_path, lam, deployments)
    plan = plan_rollback(ctx, RollbackOptions("api", alias="next"))
    assert (plan.from_version, plan.to_version) == ("2", "1")


def _after(barrier: threading.Barrier, read: Callable[..., Any]) -> Callable[..., Any]:
    def waiting(*args: Any, **kwargs: Any) -> Any:
        barrier.wait()
        return read(*args, **kwargs)

    return waiting
