"""Prune plans and their application against the in-memory Lambda fake; `retention` after a push.

What is never deleted: a version an alias routes to (weights included), the one `alias rollback`
would return to, the dummy, the last N releases. A version an alias comes to reference between the
read and the delete (Lambda's 409) is skipped with a note, never a failure.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.test_push_plan import (
    DUMMY,
    FakeLambda,
    artifact,
    fresh_lambda,
    make_ctx,
    make_scope,
    state,
)
from twophase.aws.lambda_client import AliasState
from twophase.build.detzip import code_sha256 as sha_of
from twophase.errors import ExitStatus, UsageError
from twophase.release.context import Scope
from twophase.release.dummy_versions import DUMMY_VERSION_DESCRIPTION
from twophase.release.prune import (
    DeleteVersion,
    KeepReason,
    Kept,
    PruneDeps,
    PruneOptions,
    apply_prune,
    choose,
    plan_prune,
    prune,
    prune_after_push,
)
from twophase.release.push import PushOptions, push
from twophase.release.push_plan import PushDeps
from twophase.release.release_record import ReleaseRecord, encode_history
from twophase.reporter import RecordingReporter


def with_versions(lam: FakeLambda, count: int) -> FakeLambda:
    """Versions 2..count published (v1 is the dummy); next on the newest, live on v2."""
    lam.versions["1"] = replace(lam.versions["1"], description=DUMMY_VERSION_DESCRIPTION)
    for n in range(2, count + 1):
        lam.versions[str(n)] = state(str(n), f"sha-{n}")
    lam.aliases["next"] = AliasState("next", str(count), "a1", encode_history([str(count - 1)]))
    lam.aliases["live"] = AliasState("live", "2", "a1", encode_history(["1"]))
    return lam


def ctx_for(tmp_path: Path, lam: FakeLambda, *, recorded: bool = True) -> PruneDeps:
    """A prune's dependencies, on fakes; phase one's record names the dummy when `recorded`."""
    dummies = {"api": sha_of(DUMMY)} if recorded else {}
    return PruneDeps(make_scope(tmp_path), lam, RecordingReporter(), dummies=lambda: dummies)


def reasons(kept: tuple[Kept, ...]) -> dict[str, KeepReason]:
    return {k.version: k.reason for k in kept}


def test_keeps_served_rollback_targets_the_dummy_and_the_last_releases(tmp_path: Path) -> None:
    lam = with_versions(fresh_lambda(), 12)
    plan = plan_prune(ctx_for(tmp_path, lam), "api", keep=3)
    assert reasons(plan.kept) == {
        "12": KeepReason.SERVED,  # next
        "11": KeepReason.ROLLBACK,  # what next rolls back to (also a recent one)
        "10": KeepReason.RECENT,
        "2": KeepReason.SERVED,  # live
        "1": KeepReason.DUMMY,
    }
    assert [s.version for s in plan.steps] == ["3", "4", "5", "6", "7", "8", "9"]  # oldest first
    assert plan.steps[0] == DeleteVersion("shop-dev-api", "3", "sha-3")
    assert plan.steps[0].describe() == "delete v3 of shop-dev-api (code sha sha-3)"
    assert lam.writes == []  # planning reads only


def test_a_weighted_version_is_served(tmp_path: Path) -> None:
    lam = with_versions(fresh_lambda(), 6)
    lam.aliases["live"] = AliasState("live", "2", "a1", "", {"4": 0.1})
    kept, deleted = choose(lam.list_versions("x"), list(lam.aliases.values()), 0, sha_of(DUMMY))
    assert reasons(kept)["4"] is KeepReason.SERVED
    assert [v.version for v in deleted] == ["3"]


def test_the_dummy_is_known_by_its_description_without_the_recorded_sha(tmp_path: Path) -> None:
    lam = with_versions(fresh_lambda(), 4)
    kept, deleted = choose(lam.list_versions("x"), list(lam.aliases.values()), 0, None)
    assert reasons(kept)["1"] is KeepReason.DUMMY
    assert [v.version for v in deleted] == []  # 2 live, 3 next's rollback, 4 next


def test_the_dummy_is_not_a_release_it_does_not_count_in_keep(tmp_path: Path) -> None:
    lam = with_versions(fresh_lambda(), 5)
    lam.aliases = {"next": AliasState("next", "1", "a1"), "live": AliasState("live", "1", "a1")}
    kept, deleted = choose(lam.list_versions("x"), list(lam.aliases.values()), 2, sha_of(DUMMY))
    assert reasons(kept) == {"5": KeepReason.RECENT, "4": KeepReason.RECENT, "1": KeepReason.DUMMY}
    assert [v.version for v in deleted] == ["2", "3"]


def test_without_history_the_release_record_names_the_rollback_target(tmp_path: Path) -> None:
    lam = with_versions(fresh_lambda(), 6)
    record = ReleaseRecord(artifact="ab", by=None, at="t", previous="3").encode()
    lam.versions["6"] = state("6", "sha-6", description=record)
    lam.aliases["next"] = AliasState("next", "6", "a1", "set by hand")
    kept, _ = choose(lam.list_versions("x"), list(lam.aliases.values()), 0, sha_of(DUMMY))
    assert reasons(kept)["3"] is KeepReason.ROLLBACK


def test_apply_deletes_and_skips_what_an_alias_took_meanwhile(tmp_path: Path) -> None:
    lam = with_versions(fresh_lambda(), 6)
    ctx = ctx_for(tmp_path, lam)
    plan = plan_prune(ctx, "api", keep=0)
    assert [s.version for s in plan.steps] == ["3", "4"]
    lam.aliases["live"] = AliasState("live", "3", "a2")  # promoted between read and delete
    del lam.versions["4"]  # and somebody else pruned v4

    result = apply_prune(ctx, plan)

    assert result.deleted == ()
    assert [(s.version, s.note) for s in result.skipped] == [
        ("3", "an alias routes to it now: kept"),
        ("4", "already deleted"),
    ]
    assert lam.writes == ["DeleteFunction 3", "DeleteFunction 4"]


def test_dry_run_plans_and_deletes_nothing(tmp_path: Path) -> None:
    lam = with_versions(fresh_lambda(), 8)
    report = prune(ctx_for(tmp_path, lam), PruneOptions(functions=("api",), keep=1, dry_run=True))
    (outcome,) = report.outcomes
    assert outcome.plan is not None and outcome.result is None
    assert outcome.plan.describe()[0] == "delete v3 of shop-dev-api (code sha sha-3)"
    assert lam.writes == [] and "3" in lam.versions


def test_nothing_to_delete_says_so(tmp_path: Path) -> None:
    plan = plan_prune(ctx_for(tmp_path, fresh_lambda()), "api")
    assert plan.steps == () and plan.describe() == [
        "shop-dev-api: nothing to delete (1 versions kept)"
    ]


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (PruneOptions(), "no function given"),
        (PruneOptions(functions=("api",), all=True), "name functions or pass --all, not both"),
        (PruneOptions(functions=("nope",)), "unknown function 'nope'"),
        (PruneOptions(all=True, keep=-1), "--keep -1"),
    ],
)
def test_bad_options_are_usage_errors(tmp_path: Path, options: PruneOptions, message: str) -> None:
    with pytest.raises(UsageError, match=message) as refused:
        prune(ctx_for(tmp_path, fresh_lambda()), options)
    assert refused.value.exit_status == ExitStatus.USAGE


def test_retention_after_a_push_deletes_beyond_the_last_n(tmp_path: Path) -> None:
    lam = with_versions(fresh_lambda(), 6)
    lam.aliases["next"] = AliasState("next", "6", "a1")
    ctx = _with_retention(make_ctx(tmp_path, lam), 2)

    report = push(ctx, PushOptions(functions=("api",)), lambda _: artifact(tmp_path))

    (outcome,) = report.outcomes
    assert outcome.result is not None and outcome.result.version == "7"
    assert outcome.pruned == ("3", "4", "5")  # kept: 7 next, 6 next's rollback and recent, 2, 1
    assert sorted(lam.versions, key=int) == ["1", "2", "6", "7"]


def test_retention_failing_is_a_warning_and_the_push_succeeds(tmp_path: Path) -> None:
    lam = with_versions(fresh_lambda(), 6)
    lam.aliases["next"] = AliasState("next", "6", "a1")
    ctx = _with_retention(make_ctx(tmp_path, lam), 2)

    def denied(function: str, version: str) -> None:
        from twophase.errors import AccessDeniedError

        raise AccessDeniedError("not allowed to call lambda:DeleteFunction")

    lam.delete_version = denied  # type: ignore[method-assign]
    report = push(ctx, PushOptions(functions=("api",)), lambda _: artifact(tmp_path))

    assert report.ok and report.outcomes[0].pruned == ()
    assert isinstance(ctx.reporter, RecordingReporter)
    assert ctx.reporter.warnings == [
        "api: pushed, but deleting versions older than the last 2 failed: not allowed to call "
        "lambda:DeleteFunction"
    ]


def test_retention_makes_no_call_while_too_few_versions_exist(tmp_path: Path) -> None:
    lam = fresh_lambda()
    ctx = ctx_for(tmp_path, lam)
    lam.reads.clear()
    assert prune_after_push(ctx, "api", "5", keep=10) is None
    assert lam.reads == [] and lam.writes == []


def test_retention_never_deletes_the_dummy_known_by_its_description(tmp_path: Path) -> None:
    lam = with_versions(fresh_lambda(), 6)
    lam.aliases = {"next": AliasState("next", "6", "a1"), "live": AliasState("live", "6", "a1")}
    ctx = ctx_for(tmp_path, lam, recorded=False)  # the push does not read the template
    pruned = prune_after_push(ctx, "api", "6", keep=1)
    assert pruned is not None and pruned.deleted == ("2", "3", "4", "5")
    assert sorted(lam.versions, key=int) == ["1", "6"]


def _with_retention(ctx: PushDeps, keep: int) -> PushDeps:
    config = ctx.scope.config
    api = replace(config.functions["api"], retention=keep)
    return replace(ctx, scope=Scope(replace(config, functions={"api": api}), ctx.scope.env))
