"""A gradual promotion runs on CodeDeploy: start it (or attach to it), follow it, stop it.

CodeDeploy shifts the alias server-side, watches the alarms during the whole shift and rolls back
by itself: twophase starts the deployment and follows it (`promote_follow`), so the shift never
depends on the CLI. Ctrl-C detaches (the shift goes on; `alias promote FN` attaches again,
`alias promote FN --stop` stops it with a rollback and waits for it).

The alias's history. CodeDeploy moves the alias with UpdateAlias calls that leave its
Description alone, so twophase records the promotion before the deployment starts: one
UpdateAlias guarded by the RevisionId the plan read, keeping the alias where it is, with the
version it serves pushed on top of its history (the history an immediate promotion records).
The history then holds whatever the outcome: after success `alias rollback` goes back to that
version; after CodeDeploy rolled back, the alias serves it again and a rollback passes over it.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass

from twophase.aws.codedeploy import (
    AppSpecTarget,
    ConfigAlreadyExists,
    DeploymentAlreadyActive,
    DeploymentAlreadyOver,
)
from twophase.errors import PreconditionError
from twophase.release.promote import PromoteDeps, PromotePlan, PromoteResult
from twophase.release.promote_follow import ended, follow, result_of
from twophase.release.promote_plan import (
    GradualPlan,
    Group,
    attach_plan,
    check_config,
    unreadable_appspec,
)
from twophase.release.release_record import encode_history


class NothingToStop(PreconditionError):
    """`--stop` with no deployment of the function's group under way."""


class TooLateToStop(PreconditionError):
    """The deployment succeeded before it could be stopped."""


@dataclass(frozen=True)
class StopPlan:
    """`alias promote FN --stop`: the deployment under way, to stop with a rollback."""

    plan: GradualPlan

    def describe(self) -> list[str]:
        b, deployment = self.plan.base, self.plan.attach
        assert deployment is not None
        return [
            f"stop deployment {deployment.deployment_id} and roll {b.alias} of {b.physical} back "
            f"to v{b.previous}"
        ]


# --- starting ------------------------------------------------------------------------------------


def run_gradual(deps: PromoteDeps, plan: GradualPlan) -> PromoteResult:
    """Start the planned deployment (or take the one under way) and follow it to its end."""
    started = time.monotonic()
    if plan.attach is not None:
        deployment_id = plan.attach.deployment_id
        deps.reporter.info(f"{plan.base.function}: attached to deployment {deployment_id}")
    else:
        deployment_id = _start(deps, plan)
        deps.reporter.info(f"{plan.base.function}: deployment {deployment_id} started")
    seen = follow(deps, plan, deployment_id, started)
    result = result_of(deps, plan, seen)
    if seen.deployment.status == "Succeeded":
        return result
    raise ended(deps, plan, seen, result)


def _start(deps: PromoteDeps, plan: GradualPlan) -> str:
    b = plan.base
    if plan.create_config:
        _create_config(deps, plan)
    deps.lambda_.update_alias(  # the history first: CodeDeploy leaves the Description alone
        b.physical,
        b.alias,
        version=b.previous,
        revision_id=b.revision_id,
        weights={},
        description=encode_history(list(b.history)),
    )
    try:
        return deps.deployments.create_deployment(
            plan.group.application,
            plan.group.name,
            appspec=plan.appspec(),
            config=plan.config,
            description=f"twophase: {b.alias} of {b.physical} v{b.previous} → v{b.version}",
            alarms=plan.override,
        )
    except DeploymentAlreadyActive:
        mine = _own_deployment(deps, plan)
        if mine is None:
            raise
        return mine


def _own_deployment(deps: PromoteDeps, plan: GradualPlan) -> str | None:
    """The deployment under way, when it shifts exactly what this one would: this one, whose
    answer was lost (botocore's retry then met it), or its twin started meanwhile; either way,
    the one to follow. None: another, which is the conflict."""
    b = plan.base
    active = plan.group.active(deps.deployments, required=True)
    wanted = AppSpecTarget(b.physical, b.alias, b.previous, b.version)
    return active.deployment_id if active is not None and active.target == wanted else None


def _create_config(deps: PromoteDeps, plan: GradualPlan) -> None:
    """Create the schedule-named configuration; one somebody created meanwhile is checked."""
    wanted = plan.schedule
    assert wanted is not None
    deps.reporter.info(f"creating deployment configuration {plan.config} ({wanted.describe()})")
    try:
        deps.deployments.create_config(
            plan.config, wanted.routing_type, wanted.percent, wanted.minutes
        )
    except ConfigAlreadyExists:
        found = deps.deployments.get_config(plan.config)
        if found is not None:
            check_config(found, wanted)


# --- stopping ------------------------------------------------------------------------------------


def plan_stop(deps: PromoteDeps, function: str) -> StopPlan:
    """The deployment of the function's group under way (refused when there is none)."""
    deps.scope.check_function(function)
    physical = deps.scope.physical_name(function)
    group = Group.of(deps.scope, function)
    active = group.active(deps.deployments, required=True)
    if active is None:
        raise NothingToStop(
            f"no deployment of {physical} is under way (group {group.name})",
            hint="`twophase alias rollback FUNCTION` moves an alias back to what it served before",
        )
    target = active.target
    if target is None:
        raise unreadable_appspec(active, physical)
    base = PromotePlan(
        function=function,
        physical=physical,
        alias=target.alias,
        version=target.target_version,
        previous=target.current_version,
        revision_id="",
        history=(),
        steps=(),
    )
    return StopPlan(attach_plan(deps, base, group, active))


def stop_promotion(deps: PromoteDeps, stop: StopPlan) -> PromoteResult:
    """Stop the deployment with a rollback and wait until CodeDeploy says it is over."""
    started = time.monotonic()
    plan, deployment = stop.plan, stop.plan.attach
    assert deployment is not None
    deps.reporter.info(f"{plan.base.function}: {stop.describe()[0]}")
    with contextlib.suppress(DeploymentAlreadyOver):  # it ended meanwhile: its outcome says how
        deps.deployments.stop_deployment(deployment.deployment_id, rollback=True)
    seen = follow(deps, plan, deployment.deployment_id, started, stopping=True)
    result = result_of(deps, plan, seen)
    if seen.deployment.rollback_deployment_id is not None:
        return result
    if seen.deployment.status == "Succeeded":
        b = plan.base
        raise TooLateToStop(
            f"deployment {deployment.deployment_id} succeeded before it could stop: {b.alias} "
            f"serves v{b.version}",
            hint=f"`twophase alias rollback {b.function}` moves {b.alias} back to v{b.previous}",
        )
    raise ended(deps, plan, seen, result)
