"""Promote, rollback, releases and status against the embedded AWS, and the phase-two allowlist."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from tests.e2e import test_phase_two_core as core_e2e
from tests.e2e.test_phase_two_core import PHYSICAL, World, make_artifact
from twophase.build.detzip import Entry, build_zip
from twophase.errors import ConflictError, ExitStatus, NotFoundError, UsageError
from twophase.release.context import Scope
from twophase.release.promote import PromoteOptions, PromotePlan, apply_promote, plan_promote
from twophase.release.push_apply import apply_push
from twophase.release.push_plan import plan_push
from twophase.release.releases import AliasPointer, list_releases
from twophase.release.rollback import (
    NothingToRollBackTo,
    RollbackOptions,
    apply_rollback,
    plan_rollback,
)
from twophase.release.status import StatusOptions, status

world = core_e2e.world  # the shared fixtures
shared_session = core_e2e.shared_session


def alias_of(world: World, name: str) -> dict[str, Any]:
    result: dict[str, Any] = world.lam().get_alias(FunctionName=PHYSICAL, Name=name)
    return result


def push_code(world: World, body: str) -> str:
    artifact = make_artifact(world.tmp, body)
    return apply_push(world.ctx.push(), plan_push(world.ctx.push(), "api", artifact)).version


def test_promote_then_rollback_returns_live_to_what_it_served(world: World) -> None:
    assert push_code(world, "def handler(e, c):\n    return 2\n") == "2"

    result = apply_promote(
        world.ctx.promote(), plan_promote(world.ctx.promote(), PromoteOptions("api"))
    )
    assert (result.alias, result.version, result.previous_version) == ("live", "2", "1")
    assert alias_of(world, "live")["FunctionVersion"] == "2"

    again = apply_promote(
        world.ctx.promote(), plan_promote(world.ctx.promote(), PromoteOptions("api"))
    )
    assert again.unchanged

    assert push_code(world, "def handler(e, c):\n    return 3\n") == "3"
    apply_promote(world.ctx.promote(), plan_promote(world.ctx.promote(), PromoteOptions("api")))
    plan = plan_rollback(world.ctx.rollback(), RollbackOptions("api"))
    assert (plan.alias, plan.from_version, plan.to_version) == ("live", "3", "2")
    apply_rollback(world.ctx.rollback(), plan)
    assert alias_of(world, "live")["FunctionVersion"] == "2"
    assert alias_of(world, "next")["FunctionVersion"] == "3"


def test_rolling_back_twice_never_puts_the_dummy_back_on_live(world: World) -> None:
    push_code(world, "def handler(e, c):\n    return 2\n")
    apply_promote(world.ctx.promote(), plan_promote(world.ctx.promote(), PromoteOptions("api")))
    live = alias_of(world, "live")

    with pytest.raises(NothingToRollBackTo) as refused:
        plan_rollback(world.ctx.rollback(), RollbackOptions("api"))

    assert str(refused.value) == (
        "live of shop-local-api: nothing to roll back to but v1, the dummy (no code pushed) "
        "(pass --to 1 to serve the dummy anyway)"
    )
    assert refused.value.exit_status == ExitStatus.CONFLICT
    assert alias_of(world, "live")["RevisionId"] == live["RevisionId"]  # nothing moved
    plan = plan_rollback(
        world.ctx.rollback(), RollbackOptions("api", to_version="1")
    )  # asked for: fine
    apply_rollback(world.ctx.rollback(), plan)
    assert alias_of(world, "live")["FunctionVersion"] == "1"


def test_rollback_passes_over_the_dummy_in_the_history(world: World) -> None:
    push_code(world, "def handler(e, c):\n    return 2\n")
    push_code(world, "def handler(e, c):\n    return 3\n")
    apply_promote(
        world.ctx.promote(), plan_promote(world.ctx.promote(), PromoteOptions("api", version="2"))
    )
    apply_rollback(
        world.ctx.rollback(),
        plan_rollback(world.ctx.rollback(), RollbackOptions("api", to_version="1")),
    )
    apply_promote(
        world.ctx.promote(), plan_promote(world.ctx.promote(), PromoteOptions("api", version="3"))
    )

    # live served 1, 2, 1 (asked for), 3: rolling back passes over the dummy to 2.
    plan = plan_rollback(world.ctx.rollback(), RollbackOptions("api"))
    assert (plan.from_version, plan.to_version) == ("3", "2")
    assert plan.reason == "what live served before (passing over the dummy)"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (
            RollbackOptions("api", to_version="99"),
            "--to 99: shop-local-api has no version 99",
        ),
        (
            RollbackOptions("api", alias="production"),
            "--alias 'production': not an alias of the chain next, live",
        ),
        (
            RollbackOptions("api", to_version="$LATEST"),
            "--to $LATEST: an alias must point at a published version, not $LATEST",
        ),
        (PromoteOptions("api", to_alias="production"), "--to 'production': not an alias"),
        (PromoteOptions("api", version="99"), "--version 99: shop-local-api has no version 99"),
        (PromoteOptions("api", version="$LATEST"), "--version $LATEST: an alias must point at"),
        (PromoteOptions("api", version="next"), "--version 'next' is not a version number"),
    ],
)
def test_an_unknown_alias_or_version_is_a_usage_error_saying_so(
    world: World, options: RollbackOptions | PromoteOptions, message: str
) -> None:
    push_code(world, "def handler(e, c):\n    return 2\n")
    with pytest.raises(UsageError) as refused:
        if isinstance(options, RollbackOptions):
            plan_rollback(world.ctx.rollback(), options)
        else:
            plan_promote(world.ctx.promote(), options)
    assert str(refused.value).startswith(message), str(refused.value)
    assert "infra up" not in str(refused.value)
    assert refused.value.exit_status == ExitStatus.USAGE


def test_rollback_follows_history_not_version_numbers(world: World) -> None:
    push_code(world, "def handler(e, c):\n    return 2\n")
    push_code(world, "def handler(e, c):\n    return 3\n")
    apply_promote(
        world.ctx.promote(), plan_promote(world.ctx.promote(), PromoteOptions("api", version="3"))
    )
    apply_promote(
        world.ctx.promote(), plan_promote(world.ctx.promote(), PromoteOptions("api", version="2"))
    )
    assert alias_of(world, "live")["FunctionVersion"] == "2"

    # live served 1, then 3, then 2: rolling back goes to 3 (not to 1, the lower number), then
    # to the dummy only when asked.
    first = plan_rollback(world.ctx.rollback(), RollbackOptions("api"))
    apply_rollback(world.ctx.rollback(), first)
    assert first.to_version == "3"
    with pytest.raises(NothingToRollBackTo):
        plan_rollback(world.ctx.rollback(), RollbackOptions("api"))
    second = plan_rollback(world.ctx.rollback(), RollbackOptions("api", to_version="1"))
    assert second.to_version == "1"


def test_rollback_without_history_uses_the_release_record(world: World) -> None:
    push_code(world, "def handler(e, c):\n    return 2\n")
    push_code(world, "def handler(e, c):\n    return 3\n")
    lam = world.lam()
    lam.update_alias(FunctionName=PHYSICAL, Name="next", Description="set by hand")

    plan = plan_rollback(world.ctx.rollback(), RollbackOptions("api", alias="next"))
    assert plan.to_version == "2" and "release record" in plan.reason


def test_rollback_with_no_history_at_all_asks_for_a_version(world: World) -> None:
    with pytest.raises(NotFoundError, match="no recorded history"):
        plan_rollback(world.ctx.rollback(), RollbackOptions("api"))


def test_a_split_alias_is_completed_at_once_refused_on_codedeploy_or_undone(
    world: World,
) -> None:
    push_code(world, "def handler(e, c):\n    return 2\n")
    lam = world.lam()
    live = alias_of(world, "live")
    # As an in-process shift of an older twophase, interrupted at 50%, left it.
    lam.update_alias(
        FunctionName=PHYSICAL,
        Name="live",
        FunctionVersion="1",
        RevisionId=live["RevisionId"],
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.5}},
    )
    at_once = plan_promote(world.ctx.promote(), PromoteOptions("api"))
    assert isinstance(at_once, PromotePlan)
    assert [s.describe() for s in at_once.steps] == ["point live at v2 (was v1)"]
    with pytest.raises(ConflictError, match="CodeDeploy shifts an alias from one version"):
        plan_promote(world.ctx.promote(), PromoteOptions("api", linear=25))

    # Undoing this shift would leave live on the dummy: only when asked by name.
    with pytest.raises(NothingToRollBackTo, match="undoing the shift to v2 would serve v1"):
        plan_rollback(world.ctx.rollback(), RollbackOptions("api"))
    undo = plan_rollback(world.ctx.rollback(), RollbackOptions("api", to_version="1"))
    assert (undo.from_version, undo.to_version) == ("2", "1")
    apply_rollback(world.ctx.rollback(), undo)
    assert not (alias_of(world, "live").get("RoutingConfig") or {}).get("AdditionalVersionWeights")


def test_a_shift_to_another_version_is_refused(world: World) -> None:
    push_code(world, "def handler(e, c):\n    return 2\n")
    push_code(world, "def handler(e, c):\n    return 3\n")
    lam = world.lam()
    lam.update_alias(
        FunctionName=PHYSICAL,
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )
    with pytest.raises(ConflictError, match="mid-shift to v2, not v3"):
        plan_promote(world.ctx.promote(), PromoteOptions("api"))


def test_promote_from_a_stale_read_is_a_conflict(world: World) -> None:
    push_code(world, "def handler(e, c):\n    return 2\n")
    plan = plan_promote(world.ctx.promote(), PromoteOptions("api"))
    world.lam().update_alias(
        FunctionName=PHYSICAL, Name="live", FunctionVersion="1", Description="x"
    )
    with pytest.raises(ConflictError):
        apply_promote(world.ctx.promote(), plan)


def test_releases_lists_versions_newest_first_with_aliases(world: World) -> None:
    push_code(world, "def handler(e, c):\n    return 2\n")
    push_code(world, "def handler(e, c):\n    return 3\n")
    apply_promote(
        world.ctx.promote(), plan_promote(world.ctx.promote(), PromoteOptions("api", version="2"))
    )

    result = list_releases(world.ctx.releases(), "api")

    assert [r.version for r in result.releases] == ["3", "2", "1"]
    v3, v2, v1 = result.releases
    assert v3.aliases == (AliasPointer("next", 1.0),)
    assert v2.aliases == (AliasPointer("live", 1.0),)
    assert v3.previous == "2" and v2.previous == "1"
    assert v3.by is not None and v3.at == "2026-01-02T03:04:05Z"
    assert v1.by is None and v1.aliases == ()
    assert (v3.dummy, v2.dummy, v1.dummy) == (False, False, True)


def test_status_tells_dummy_from_real_code(world: World) -> None:
    config = world.ctx.scope.config
    functions = {**config.functions, "worker": config.functions["api"]}
    world.ctx.scope = Scope(replace(config, functions=functions), "local")
    before = status(world.ctx.status(), StatusOptions(), {"api": world.dummy_sha})
    api, worker = before.functions
    assert (api.code, api.unpublished, api.last_release) == ("dummy", False, None)
    assert [(a.alias, a.version, a.dummy) for a in api.aliases] == [
        ("next", "1", True),
        ("live", "1", True),
    ]
    assert worker.code == "missing"

    push_code(world, "def handler(e, c):\n    return 2\n")
    unpublished = build_zip([Entry("app.py", b"x = 1\n")])
    world.lam().update_function_code(FunctionName=PHYSICAL, ZipFile=unpublished)
    (after,) = status(
        world.ctx.status(), StatusOptions(functions=("api",)), {"api": world.dummy_sha}
    ).functions
    assert after.code == "dummy" and after.unpublished  # live, the serving alias, is the dummy
    assert after.last_release is not None and after.last_release.version == "2"
    assert [(a.alias, a.version, a.dummy) for a in after.aliases] == [
        ("next", "2", False),
        ("live", "1", True),
    ]
