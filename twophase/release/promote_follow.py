"""Following a CodeDeploy deployment to its end, and what its end means.

The deployment is read every poll (GetDeployment; its one target's weight and lifecycle events;
the watched alarms' states): on a terminal as one progress line (the share on the new version,
time left, alarm states), elsewhere as a line per change. The outcome is CodeDeploy's: succeeded,
or failed or stopped, rolled back or not, with why in words. Ctrl-C detaches and an error while
reading (credentials that expired mid-shift) leaves the deployment running: both say so and how
to follow it again. Each of these ends carries the promotion's result, for `--output json`.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from twophase.aws.codedeploy import Deployment, TrafficTarget
from twophase.errors import AwsError, ExitStatus, HealthCheckError, TwophaseError
from twophase.release.promote import DeploymentReport, PromoteDeps, PromoteResult
from twophase.release.promote_plan import HOOK_EVENTS, GradualPlan
from twophase.release.shift import FULL, format_seconds
from twophase.reporter import Reporter


class Followed(TwophaseError):
    """A gradual promotion that ended (or was left) with a result to show."""

    def __init__(self, message: str, *, result: PromoteResult, hint: str | None = None) -> None:
        super().__init__(message, hint=hint)
        self.result = result


class RolledBack(Followed, HealthCheckError):
    """CodeDeploy stopped the deployment and rolled the alias back (exit 5)."""


class DeploymentFailed(Followed, AwsError):
    """The deployment failed or stopped without a rollback."""


class Detached(Followed):
    """Ctrl-C while following: the shift goes on in CodeDeploy."""

    exit_status = ExitStatus.INTERRUPTED


class FollowLost(Followed):
    """Following failed (credentials expired, AWS unreachable): the shift goes on."""


# --- following -----------------------------------------------------------------------------------


@dataclass
class Seen:
    """What following a deployment has seen so far."""

    deployment: Deployment
    started: float = field(default_factory=time.monotonic)
    target: TrafficTarget | None = None
    target_id: str | None = None
    states: dict[str, str] = field(default_factory=dict)
    percents: list[int] = field(default_factory=list)

    @property
    def percent(self) -> float:
        return self.target.weight if self.target is not None else 0.0


def follow(
    deps: PromoteDeps,
    plan: GradualPlan,
    deployment_id: str,
    started: float,
    *,
    stopping: bool = False,
) -> Seen:
    """Read the deployment until it is over (and the deployment rolling it back, if any),
    showing its progress. Ctrl-C detaches; an error while reading leaves it running (or
    stopping, once `--stop` asked)."""
    line = _Line(deps.reporter, f"{plan.base.function}: {plan.base.alias} → v{plan.base.version}")
    placeholder = Deployment(deployment_id, "Created", plan.config, "user", None)
    seen = Seen(plan.attach or placeholder, started)
    try:
        while True:
            seen.deployment = deps.deployments.get_deployment(deployment_id)
            _look(deps, plan, seen)
            if not seen.deployment.active:
                break
            line.show(min(int(seen.percent), FULL - 1), _status(deps, plan, seen))
            deps.sleep(deps.poll_seconds)
        _await_rollback(deps, seen.deployment)
    except KeyboardInterrupt:
        line.drop()
        raise _detached(deps, plan, seen, stopping) from None
    except TwophaseError as exc:
        line.drop()
        raise _lost(deps, plan, seen, exc, stopping) from exc
    line.finish(seen.deployment.status == "Succeeded")
    return seen


def _look(deps: PromoteDeps, plan: GradualPlan, seen: Seen) -> None:
    """The target's weight and events, and the alarms' states (three reads at most)."""
    deployment = seen.deployment
    if seen.target_id is None and deployment.status not in ("Created", "Queued"):
        ids = deps.deployments.target_ids(deployment.deployment_id)
        seen.target_id = ids[0] if ids else None
    if seen.target_id is not None:
        seen.target = (
            deps.deployments.get_target(deployment.deployment_id, seen.target_id) or seen.target
        )
    if plan.watched:
        seen.states = deps.alarms.states(plan.watched)
    percent = int(seen.percent)
    if percent and seen.percents[-1:] != [percent]:
        seen.percents.append(percent)
        b = plan.base
        deps.reporter.info(f"{b.function}: v{b.version} has {percent}% of {b.alias}")


def _await_rollback(deps: PromoteDeps, deployment: Deployment) -> None:
    """A deployment rolled back by another one: that one moves the alias back; wait for it."""
    if deployment.rollback_deployment_id is None:
        return
    while deps.deployments.get_deployment(deployment.rollback_deployment_id).active:
        deps.sleep(deps.poll_seconds)


def _status(deps: PromoteDeps, plan: GradualPlan, seen: Seen) -> str:
    """What the progress line says besides the percentage: the phase, time left, alarms."""
    firing = sorted(n for n, s in seen.states.items() if s == "ALARM")
    alarms = "alarms OK" if plan.watched else ""
    if firing:
        alarms = f"alarm {', '.join(firing)} in ALARM"
    parts = [_phase(deps, plan, seen), alarms]
    return " · ".join(p for p in parts if p)


def _phase(deps: PromoteDeps, plan: GradualPlan, seen: Seen) -> str:
    target = seen.target
    for event in HOOK_EVENTS:
        found = target.event(event) if target is not None else None
        if found is not None and found.status == "InProgress":
            return f"{event} hook running"
    left = _seconds_left(deps, plan, seen)
    return f"{format_seconds(left)} left" if left is not None else "starting"


def _seconds_left(deps: PromoteDeps, plan: GradualPlan, seen: Seen) -> float | None:
    if seen.deployment.status == "Succeeded":
        return 0.0
    if plan.schedule is None or seen.target is None:
        return None
    allow = seen.target.event("AllowTraffic")
    return plan.schedule.seconds_left(allow.started if allow else None, deps.now())


class _Line:
    """The one progress line of a deployment: its label carries time left and alarm states,
    so a new label replaces the last one."""

    def __init__(self, reporter: Reporter, task: str) -> None:
        self._reporter, self._task = reporter, task
        self._label: str | None = None

    def show(self, percent: int, status: str) -> None:
        label = f"{self._task} ({status})" if status else self._task
        if self._label is not None and label != self._label:
            self._reporter.end(self._label)
        self._label = label
        self._reporter.progress(label, percent, FULL, "%")

    def drop(self) -> None:
        if self._label is not None:
            self._reporter.end(self._label)
            self._label = None

    def finish(self, succeeded: bool) -> None:
        self.drop()
        if succeeded:
            self._reporter.progress(self._task, FULL, FULL, "%")


# --- outcomes ------------------------------------------------------------------------------------


def result_of(deps: PromoteDeps, plan: GradualPlan, seen: Seen) -> PromoteResult:
    b = plan.base
    return PromoteResult(
        function=b.function,
        alias=b.alias,
        version=b.version,
        previous_version=b.previous,
        percents=tuple(seen.percents),
        seconds=time.monotonic() - seen.started,
        deployment=_report(deps, plan, seen),
    )


def _report(deps: PromoteDeps, plan: GradualPlan, seen: Seen) -> DeploymentReport:
    deployment = seen.deployment
    return DeploymentReport(
        deployment_id=deployment.deployment_id,
        config=plan.config,
        schedule=plan.schedule.describe() if plan.schedule else "",
        status=deployment.status,
        attached=plan.attach is not None,
        percent=seen.percent,
        seconds_left=_seconds_left(deps, plan, seen),
        alarms=tuple((name, seen.states.get(name)) for name in plan.watched),
        reason=reason(deployment, seen.target),
        rolled_back=deployment.rollback_deployment_id is not None,
        rollback_deployment_id=deployment.rollback_deployment_id,
    )


def reason(deployment: Deployment, target: TrafficTarget | None) -> str | None:
    """Why a deployment failed or stopped, in words (None when it did not)."""
    code, message = deployment.error_code, deployment.error_message
    if not code:
        return None
    if code == "ALARM_ACTIVE":
        fired = re.findall(r"<([^>]+)>", message)
        return f"alarm {', '.join(fired)} in ALARM" if fired else "an alarm went into ALARM"
    if code == "MANUAL_STOP":
        return "stopped on request"
    failed = [e for e in (target.events if target else ()) if e.status == "Failed"]
    hook = next((e for e in failed if e.name in HOOK_EVENTS), None)
    if hook is not None:
        return f"{hook.name} hook failed" + (f": {hook.message}" if hook.message else "")
    return f"{code}: {message}" if message else code


def ended(deps: PromoteDeps, plan: GradualPlan, seen: Seen, result: PromoteResult) -> Followed:
    """The error a deployment that did not succeed ends the command with."""
    b, deployment = plan.base, seen.deployment
    serving = _serving(deps, plan)
    why = reason(deployment, seen.target) or deployment.status.lower()
    if deployment.rollback_deployment_id is not None:
        return RolledBack(
            f"CodeDeploy rolled v{b.version} of {b.physical} back ({deployment.deployment_id}): "
            f"{why}; {b.alias} serves {serving}",
            hint="see `twophase logs FUNCTION`; fix, push and promote again",
            result=result,
        )
    return DeploymentFailed(
        f"deployment {deployment.deployment_id} of {b.alias} of {b.physical} "
        f"{deployment.status.lower()}: {why}; {b.alias} serves {serving}",
        hint="`twophase alias rollback FUNCTION` undoes a split alias",
        result=result,
    )


def _serving(deps: PromoteDeps, plan: GradualPlan) -> str:
    """What the alias serves now, read again: `v1`, or `v1 90%, v2 10%`."""
    state = deps.lambda_.get_alias(plan.base.physical, plan.base.alias)
    if not state.weights:
        return f"v{state.function_version}"
    primary = 1.0 - sum(state.weights.values())
    shares = [f"v{v} {w:.0%}" for v, w in sorted(state.weights.items())]
    return ", ".join([f"v{state.function_version} {primary:.0%}", *shares])


def _going_on(plan: GradualPlan, stopping: bool) -> str:
    b = plan.base
    if stopping:
        return f"its stop and the rollback of {b.alias} to v{b.previous} go on in CodeDeploy"
    return f"the shift of {b.alias} to v{b.version} goes on in CodeDeploy"


def _detached(deps: PromoteDeps, plan: GradualPlan, seen: Seen, stopping: bool) -> Detached:
    b, deployment_id = plan.base, seen.deployment.deployment_id
    return Detached(
        f"detached from deployment {deployment_id}: {_going_on(plan, stopping)}",
        hint=f"follow it again: `twophase alias promote {b.function}`; stop it: "
        f"`twophase alias promote {b.function} --stop`",
        result=result_of(deps, plan, seen),
    )


def _lost(
    deps: PromoteDeps, plan: GradualPlan, seen: Seen, cause: TwophaseError, stopping: bool
) -> FollowLost:
    b, deployment_id = plan.base, seen.deployment.deployment_id
    lost = FollowLost(
        f"stopped following deployment {deployment_id}: {cause.message}; "
        f"{_going_on(plan, stopping)}",
        hint=f"follow it again (with fresh credentials if they expired): "
        f"`twophase alias promote {b.function}`",
        result=result_of(deps, plan, seen),
    )
    lost.exit_status = cause.exit_status
    return lost
