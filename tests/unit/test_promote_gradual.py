"""Gradual promotions on CodeDeploy, against fakes of our own ports: the plan (configuration,
alarms, hooks, attach or conflict), the history recorded, and each outcome's exit status."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from tests.unit.promote_fakes import (
    ALARMED,
    APPLICATION,
    GROUP,
    FakeAlarms,
    FakeDeployments,
    Step,
    make_promote,
)
from tests.unit.test_push_plan import FakeLambda, fresh_lambda, make_rollback, make_scope, state
from twophase.aws.codedeploy import AppSpecTarget, CodeDeployMissing, DeploymentConfig
from twophase.aws.lambda_client import AliasState
from twophase.config.model import Function, Promotion
from twophase.errors import ConflictError, CredentialsError, ExitStatus, UsageError
from twophase.release.context import Scope
from twophase.release.promote import PromoteOptions, apply_promote, plan_promote
from twophase.release.promote_follow import (
    DeploymentFailed,
    Detached,
    Followed,
    FollowLost,
    RolledBack,
)
from twophase.release.promote_gradual import (
    NothingToStop,
    TooLateToStop,
    plan_stop,
    stop_promotion,
)
from twophase.release.promote_plan import ConfigMismatch, GradualPlan
from twophase.release.release_record import decode_history, encode_history
from twophase.release.rollback import RollbackOptions, plan_rollback
from twophase.reporter import RecordingReporter

PHYSICAL = "shop-dev-api"
SPEC = AppSpecTarget(PHYSICAL, "live", "1", "2")


def pushed(lam: FakeLambda | None = None, version: str = "2") -> FakeLambda:
    lam = lam or fresh_lambda()
    lam.versions[version] = state(version, f"sha-{version}")
    lam.aliases["next"] = AliasState("next", version, "a5", encode_history(["1"]))
    return lam


def gradual(tmp_path: Path, deployments: FakeDeployments, **options: object) -> GradualPlan:
    ctx = make_promote(tmp_path, deployments.lam, deployments)
    plan = plan_promote(ctx, PromoteOptions("api", **options))  # type: ignore[arg-type]
    assert isinstance(plan, GradualPlan)
    return plan


# --- the configuration -------------------------------------------------------------------------


def test_a_predefined_schedule_reads_no_configuration(tmp_path: Path) -> None:
    deployments = FakeDeployments(pushed())
    plan = gradual(tmp_path, deployments, canary=10, interval=300.0)
    assert (plan.config, plan.create_config) == (
        "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        False,
    )
    assert "GetDeploymentConfig" not in deployments.calls


def test_a_custom_schedule_creates_its_configuration_then_records_then_deploys(
    tmp_path: Path,
) -> None:
    lam = pushed()
    deployments = FakeDeployments(lam)
    ctx = make_promote(tmp_path, lam, deployments)
    plan = plan_promote(ctx, PromoteOptions("api", linear=20, interval=120.0))
    assert isinstance(plan, GradualPlan)
    assert (plan.config, plan.create_config) == ("shop-dev-linear-20pct-2min", True)
    assert plan.describe()[0] == (
        "create deployment configuration shop-dev-linear-20pct-2min (20% more every 2 minutes)"
    )

    result = apply_promote(ctx, plan)

    assert deployments.configs["shop-dev-linear-20pct-2min"] == DeploymentConfig(
        "shop-dev-linear-20pct-2min", "Lambda", "TimeBasedLinear", 20, 2
    )
    writes = [c for c in deployments.calls if c.startswith(("Create", "Stop"))]
    assert writes == ["CreateDeploymentConfig", "CreateDeployment"]
    # the history before the deployment: live stays on v1, v1 on top of its history
    assert lam.writes == ["UpdateAlias live 1 {}"]
    assert deployments.appspec == {
        "version": 0.0,
        "Resources": [
            {
                "api": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Name": PHYSICAL,
                        "Alias": "live",
                        "CurrentVersion": "1",
                        "TargetVersion": "2",
                    },
                }
            }
        ],
    }
    assert result.deployment is not None and result.deployment.status == "Succeeded"
    assert (result.version, result.previous_version, result.percents) == ("2", "1", (10, 100))
    assert lam.aliases["live"].function_version == "2"
    assert decode_history(lam.aliases["live"].description) == ["1"]

    # `alias rollback` after a CodeDeploy promotion goes back to what live served before
    back = plan_rollback(make_rollback(tmp_path, lam), RollbackOptions("api"))
    assert (back.from_version, back.to_version) == ("2", "1")


def test_a_custom_configuration_that_says_another_schedule_is_refused(tmp_path: Path) -> None:
    lam = pushed()
    deployments = FakeDeployments(lam)
    name = "shop-dev-canary-20pct-5min"
    deployments.configs[name] = DeploymentConfig(name, "Lambda", "TimeBasedLinear", 20, 5)
    with pytest.raises(ConfigMismatch) as refused:
        gradual(tmp_path, deployments, canary=20)
    assert str(refused.value).startswith(
        f"deployment configuration {name} says Lambda TimeBasedLinear 20% every 5 min, not "
        "TimeBasedCanary 20% every 5 min"
    )
    assert refused.value.exit_status == ExitStatus.CONFLICT
    assert lam.writes == [] and "CreateDeployment" not in deployments.calls


def test_a_configuration_made_meanwhile_is_checked_not_a_failure(tmp_path: Path) -> None:
    lam = pushed()
    deployments = FakeDeployments(lam)
    ctx = make_promote(tmp_path, lam, deployments)
    plan = plan_promote(ctx, PromoteOptions("api", canary=20))
    name = "shop-dev-canary-20pct-5min"
    deployments.configs[name] = DeploymentConfig(name, "Lambda", "TimeBasedCanary", 20, 5)
    assert apply_promote(ctx, plan).version == "2"


def test_a_deployment_whose_answer_was_lost_is_recognised_as_its_own(tmp_path: Path) -> None:
    lam = pushed()
    deployments = FakeDeployments(lam, lose_create_answer=True)
    ctx = make_promote(tmp_path, lam, deployments)
    result = apply_promote(ctx, plan_promote(ctx, PromoteOptions("api", canary=10)))
    (deployment_id,) = deployments.deployments
    assert result.deployment is not None and result.deployment.deployment_id == deployment_id
    assert result.deployment.status == "Succeeded"


# --- alarms and hooks ----------------------------------------------------------------------------


def test_a_misspelt_alarm_is_a_usage_error_before_anything_starts(tmp_path: Path) -> None:
    lam = pushed()
    deployments = FakeDeployments(lam)
    scope = _scope_with(tmp_path, Promotion(alarms=("api-latency", "api-p99")))
    ctx = make_promote(tmp_path, lam, deployments, scope=scope)
    with pytest.raises(UsageError) as refused:
        plan_promote(ctx, PromoteOptions("api", canary=10, alarms=("api-erors",)))
    assert str(refused.value).startswith(
        "no CloudWatch alarm named api-erors (--alarm), api-p99 (functions.api.promotion.alarms)"
    )
    assert lam.writes == [] and deployments.calls == ["ListDeployments"]


def test_alarm_only_goes_with_a_gradual_promotion(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="--alarm watches a gradual promotion"):
        plan_promote(make_promote(tmp_path, pushed()), PromoteOptions("api", alarms=("x",)))


def test_alarm_replaces_the_groups_for_this_deployment_with_them_all(tmp_path: Path) -> None:
    deployments = FakeDeployments(pushed())
    plan = gradual(tmp_path, deployments, canary=10, alarms=("api-latency",))
    assert plan.override == ("shop-dev-api-errors", "api-latency")
    without = gradual(tmp_path, FakeDeployments(pushed()), canary=10)
    assert (without.override, without.watched) == ((), ("shop-dev-api-errors",))


def test_more_alarms_than_codedeploy_watches_are_refused_before_any_is_read(
    tmp_path: Path,
) -> None:
    """A deployment watches at most 10 alarms (CodeDeploy API reference, AlarmConfiguration:
    "A maximum of 10 alarms can be added",
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_AlarmConfiguration.html);
    the group's errors alarm and nine --alarm make ten."""
    extra = tuple(f"api-check-{n}" for n in range(10))
    alarms = FakeAlarms({"shop-dev-api-errors": "OK"} | dict.fromkeys(extra, "OK"))
    ctx = make_promote(tmp_path, pushed(), alarms=alarms)
    with pytest.raises(UsageError) as refused:
        plan_promote(ctx, PromoteOptions("api", canary=10, alarms=extra))
    assert str(refused.value) == (
        "11 alarms for one deployment: CodeDeploy watches at most 10 (name fewer with --alarm)"
    )
    assert alarms.asked == []
    plan = plan_promote(ctx, PromoteOptions("api", canary=10, alarms=extra[:9]))
    assert isinstance(plan, GradualPlan) and len(plan.override) == 10


def test_the_appspec_names_the_hooks_by_their_physical_names(tmp_path: Path) -> None:
    lam = pushed()
    scope = _scope_with(tmp_path, Promotion(before_traffic="check", after_traffic="smoke"))
    ctx = make_promote(tmp_path, lam, scope=scope)
    plan = plan_promote(ctx, PromoteOptions("api", canary=10))
    assert isinstance(plan, GradualPlan)
    assert json.loads(plan.appspec())["Hooks"] == [
        {"BeforeAllowTraffic": "shop-dev-check"},
        {"AfterAllowTraffic": "shop-dev-smoke"},
    ]
    assert "BeforeAllowTraffic hook: shop-dev-check" in plan.describe()


def _scope_with(tmp_path: Path, promotion: Promotion) -> Scope:
    scope = make_scope(tmp_path)
    functions = {
        "api": replace(scope.config.functions["api"], promotion=promotion),
        "check": Function(name="check", handler="app.handler"),
        "smoke": Function(name="smoke", handler="app.handler"),
    }
    return Scope(replace(scope.config, functions=functions), scope.env)


# --- attach or conflict --------------------------------------------------------------------------


@pytest.mark.parametrize("options", [{}, {"canary": 10}, {"linear": 50, "interval": 60.0}])
def test_a_deployment_under_way_is_attached_to_whatever_the_options(
    tmp_path: Path, options: dict[str, object]
) -> None:
    lam = pushed()
    deployments = FakeDeployments(lam)
    started = deployments.start(SPEC)
    ctx = make_promote(tmp_path, lam, deployments)
    plan = plan_promote(ctx, PromoteOptions("api", **options))  # type: ignore[arg-type]
    assert isinstance(plan, GradualPlan) and plan.attach is not None
    assert plan.describe()[0].startswith(f"attach to deployment {started} under way")

    result = apply_promote(ctx, plan)

    assert "CreateDeployment" not in deployments.calls and lam.writes == []
    assert result.deployment is not None
    assert (result.deployment.deployment_id, result.deployment.attached) == (started, True)
    assert result.deployment.status == "Succeeded"


def test_a_deployment_to_another_version_is_a_conflict(tmp_path: Path) -> None:
    lam = pushed(pushed(), "3")
    deployments = FakeDeployments(lam)
    started = deployments.start(SPEC)
    with pytest.raises(ConflictError) as refused:
        plan_promote(make_promote(tmp_path, lam, deployments), PromoteOptions("api"))
    assert str(refused.value) == (
        f"deployment {started} is shifting live of {PHYSICAL} to v2, not live to v3 "
        "(follow it with `--version 2`, or stop it: `twophase alias promote FUNCTION --stop`)"
    )


def test_a_split_alias_without_a_deployment_cannot_go_to_codedeploy(tmp_path: Path) -> None:
    lam = pushed()
    lam.aliases["live"] = AliasState("live", "1", "a4", weights={"2": 0.1})
    with pytest.raises(ConflictError, match=r"is split .* and no deployment is under way"):
        plan_promote(make_promote(tmp_path, lam), PromoteOptions("api", canary=10))


def test_a_gradual_promotion_without_a_deployment_group_is_refused(tmp_path: Path) -> None:
    lam = pushed()
    deployments = FakeDeployments(lam, groups=set())
    with pytest.raises(CodeDeployMissing):
        plan_promote(make_promote(tmp_path, lam, deployments), PromoteOptions("api", canary=10))


# --- outcomes ------------------------------------------------------------------------------------


def test_a_healthy_deployment_shows_one_progress_line(tmp_path: Path) -> None:
    lam = pushed()
    ctx = make_promote(tmp_path, lam)
    apply_promote(ctx, plan_promote(ctx, PromoteOptions("api", canary=10)))
    assert isinstance(ctx.reporter, RecordingReporter)
    labels = [label for label, _, _ in ctx.reporter.progressed]
    assert labels[0].startswith("api: live → v2 (") and "left · alarms OK)" in labels[0]
    assert ctx.reporter.progressed[-1] == ("api: live → v2", 100, 100)
    assert set(ctx.reporter.ended) == set(labels[:-1])  # each label gave way to the next


@pytest.mark.parametrize(
    ("script", "error", "status", "says"),
    [
        (ALARMED, RolledBack, ExitStatus.UNHEALTHY, "alarm shop-dev-api-errors in ALARM"),
        (
            (
                Step(
                    "Failed",
                    0.0,
                    ("HEALTH_CONSTRAINTS", "too many failed"),
                    rolled_back=True,
                    hook_failed="BeforeAllowTraffic",
                ),
            ),
            RolledBack,
            ExitStatus.UNHEALTHY,
            "BeforeAllowTraffic hook failed: check said no",
        ),
        (
            (Step("Failed", 0.0, ("INVALID_LAMBDA_CONFIGURATION", "alias does not match")),),
            DeploymentFailed,
            ExitStatus.FAILED,
            "failed: INVALID_LAMBDA_CONFIGURATION: alias does not match",
        ),
    ],
)
def test_what_codedeploy_decided_is_the_exit_status_with_why(
    tmp_path: Path,
    script: tuple[Step, ...],
    error: type[Exception],
    status: ExitStatus,
    says: str,
) -> None:
    lam = pushed()
    deployments = FakeDeployments(lam, script)
    ctx = make_promote(tmp_path, lam, deployments)
    with pytest.raises(Followed) as ended:
        apply_promote(ctx, plan_promote(ctx, PromoteOptions("api", canary=10)))
    assert type(ended.value) is error and ended.value.exit_status == status
    assert says in str(ended.value) and "; live serves v1" in str(ended.value)
    report = ended.value.result.deployment
    assert report is not None and report.reason is not None and report.reason in says


def test_ctrl_c_detaches_and_says_how_to_attach_or_stop(tmp_path: Path) -> None:
    lam = pushed()
    deployments = FakeDeployments(lam)
    ctx = replace(make_promote(tmp_path, lam, deployments), reporter=_Interrupting())
    with pytest.raises(Detached) as detached:
        apply_promote(ctx, plan_promote(ctx, PromoteOptions("api", canary=10)))
    (deployment_id,) = deployments.deployments
    assert str(detached.value) == (
        f"detached from deployment {deployment_id}: the shift of live to v2 goes on in "
        "CodeDeploy (follow it again: `twophase alias promote api`; stop it: "
        "`twophase alias promote api --stop`)"
    )
    assert detached.value.exit_status == ExitStatus.INTERRUPTED
    assert detached.value.result.deployment is not None
    assert detached.value.result.deployment.status == "InProgress"
    assert "StopDeployment" not in deployments.calls


class _Interrupting(RecordingReporter):
    def progress(self, task: str, done: int, total: int | None, unit: str = "") -> None:
        raise KeyboardInterrupt


def test_credentials_expiring_mid_follow_leave_the_shift_running(tmp_path: Path) -> None:
    lam = pushed()
    reads = iter(range(100))

    def expire(call: str) -> Exception | None:
        if call == "GetDeployment" and next(reads) == 1:
            return CredentialsError("AWS credentials rejected: ExpiredToken")
        return None

    deployments = FakeDeployments(lam, fail_on=expire)
    ctx = make_promote(tmp_path, lam, deployments)
    with pytest.raises(FollowLost) as lost:
        apply_promote(ctx, plan_promote(ctx, PromoteOptions("api", canary=10)))
    assert "credentials rejected: ExpiredToken; the shift of live to v2 goes on" in str(lost.value)
    assert "follow it again (with fresh credentials" in str(lost.value)
    assert lost.value.exit_status == ExitStatus.USAGE


# --- stop ----------------------------------------------------------------------------------------


def test_stop_rolls_back_the_deployment_under_way(tmp_path: Path) -> None:
    lam = pushed()
    slow = (Step("InProgress", 10.0),) * 3 + (Step("Succeeded", 100.0),)
    deployments = FakeDeployments(lam, slow)
    started = deployments.start(SPEC)
    ctx = make_promote(tmp_path, lam, deployments)
    deployments.get_deployment(started)  # under way: live is split
    assert lam.aliases["live"].weights == {"2": 0.1}

    stop = plan_stop(ctx, "api")
    assert stop.describe() == [f"stop deployment {started} and roll live of {PHYSICAL} back to v1"]
    result = stop_promotion(ctx, stop)

    assert result.deployment is not None and result.deployment.rolled_back
    assert result.deployment.reason == "stopped on request"
    assert (lam.aliases["live"].function_version, lam.aliases["live"].weights) == ("1", {})


def test_stop_with_nothing_under_way_or_too_late_says_so(tmp_path: Path) -> None:
    lam = pushed()
    deployments = FakeDeployments(lam)
    ctx = make_promote(tmp_path, lam, deployments)
    with pytest.raises(NothingToStop) as nothing:
        plan_stop(ctx, "api")
    assert nothing.value.exit_status == ExitStatus.CONFLICT

    started = deployments.start(SPEC, (Step("InProgress", 10.0), Step("Succeeded", 100.0)))
    stop = plan_stop(ctx, "api")
    deployments.get_deployment(started)  # it succeeds before StopDeployment arrives
    with pytest.raises(TooLateToStop, match="succeeded before it could stop: live serves v2"):
        stop_promotion(ctx, stop)


def test_the_group_is_the_functions_own(tmp_path: Path) -> None:
    deployments = FakeDeployments(pushed())
    plan = gradual(tmp_path, deployments, canary=10)
    assert (plan.group.application, plan.group.name) == (APPLICATION, GROUP)


def test_the_alarms_watched_are_read_while_following(tmp_path: Path) -> None:
    lam = pushed()
    alarms = FakeAlarms()
    ctx = make_promote(tmp_path, lam, alarms=alarms)
    result = apply_promote(ctx, plan_promote(ctx, PromoteOptions("api", canary=10)))
    assert result.deployment is not None
    assert result.deployment.alarms == (("shop-dev-api-errors", "OK"),)
    assert alarms.asked[1:] == [["shop-dev-api-errors"]] * (len(alarms.asked) - 1)
