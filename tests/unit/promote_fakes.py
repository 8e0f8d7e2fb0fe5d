"""In-memory fakes of what a promotion uses besides Lambda: CodeDeploy and CloudWatch alarms.

`FakeDeployments` plays a deployment from a script: each GetDeployment moves it one step on
(status, weight on the new version, and how it ended), the way CodeDeploy moves it server-side;
its alias moves in the Lambda fake as CodeDeploy would move it.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.unit.test_push_plan import FakeLambda, make_scope
from twophase.aws.codedeploy import (
    AppSpecTarget,
    CodeDeployMissing,
    ConfigAlreadyExists,
    Deployment,
    DeploymentAlreadyActive,
    DeploymentAlreadyOver,
    DeploymentConfig,
    LifecycleEvent,
    TrafficTarget,
)
from twophase.aws.lambda_client import AliasState
from twophase.release.context import Scope
from twophase.release.promote import PromoteDeps
from twophase.reporter import RecordingReporter

START = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)
APPLICATION, GROUP = "shop-dev", "shop-dev-api"


@dataclass(frozen=True)
class Step:
    """One moment of a deployment as GetDeployment shows it."""

    status: str
    weight: float = 0.0
    error: tuple[str, str] = ("", "")  # (code, message)
    rolled_back: bool = False
    hook_failed: str | None = None  # a lifecycle event whose hook failed


HEALTHY = (Step("InProgress", 10.0), Step("InProgress", 10.0), Step("Succeeded", 100.0))
ALARMED = (
    Step("InProgress", 10.0),
    Step(
        "Stopped",
        10.0,
        ("ALARM_ACTIVE", "… Activated alarms: <shop-dev-api-errors>"),
        rolled_back=True,
    ),
)


@dataclass
class FakeDeployment:
    deployment_id: str
    config: str
    spec: AppSpecTarget
    script: tuple[Step, ...]
    override: tuple[str, ...] = ()
    at: int = -1  # the step last shown
    stopped: bool = False

    @property
    def step(self) -> Step:
        return self.script[max(self.at, 0)]


@dataclass
class FakeDeployments:
    """One function's deployment group; `groups` lists those that exist."""

    lam: FakeLambda
    script: tuple[Step, ...] = HEALTHY
    groups: set[str] = field(default_factory=lambda: {GROUP})
    configs: dict[str, DeploymentConfig] = field(default_factory=dict)
    deployments: dict[str, FakeDeployment] = field(default_factory=dict)
    calls: list[str] = field(default_factory=list)
    fail_on: Callable[[str], Exception | None] = lambda _: None  # an error for a call, by name
    lose_create_answer: bool = False  # CreateDeployment creates, then its answer is lost

    def _call(self, name: str) -> None:
        self.calls.append(name)
        error = self.fail_on(name)
        if error is not None:
            raise error

    def start(self, spec: AppSpecTarget, script: tuple[Step, ...] | None = None) -> str:
        """A deployment somebody started (an earlier run): it is under way."""
        deployment_id = f"d-{len(self.deployments) + 1:09d}"
        config = "CodeDeployDefault.LambdaCanary10Percent5Minutes"
        self.deployments[deployment_id] = FakeDeployment(
            deployment_id, config, spec, script or self.script
        )
        return deployment_id

    def active_deployments(self, application: str, group: str) -> list[str]:
        self._call("ListDeployments")
        if group not in self.groups:
            raise CodeDeployMissing(f"deployment group {group} not found")
        return [d for d, dep in self.deployments.items() if self._shown(dep).active]

    def get_deployment(self, deployment_id: str) -> Deployment:
        self._call("GetDeployment")
        dep = self.deployments[deployment_id]
        if dep.at < len(dep.script) - 1:
            dep.at += 1
            self._move_alias(dep)
        return self._shown(dep)

    def _shown(self, dep: FakeDeployment) -> Deployment:
        step = dep.step if dep.at >= 0 else Step("Created")
        return Deployment(
            deployment_id=dep.deployment_id,
            status=step.status,
            config=dep.config,
            creator="user",
            target=dep.spec,
            error_code=step.error[0],
            error_message=step.error[1],
            rollback_deployment_id=self._rollback(dep) if step.rolled_back else None,
            override_alarms=dep.override,
        )

    def _rollback(self, dep: FakeDeployment) -> str:
        """The deployment that rolled `dep` back (CodeDeploy starts one), over already."""
        rollback_id = f"{dep.deployment_id}r"
        if rollback_id not in self.deployments:
            back = AppSpecTarget(dep.spec.function, dep.spec.alias, dep.spec.target_version, "")
            done = (Step("Succeeded", 100.0),)
            self.deployments[rollback_id] = FakeDeployment(
                rollback_id, dep.config, back, done, at=0
            )
        return rollback_id

    def _move_alias(self, dep: FakeDeployment) -> None:
        """Where CodeDeploy leaves the alias at this step (its Description untouched)."""
        step, spec = dep.step, dep.spec
        current = self.lam.aliases[spec.alias]
        weights: dict[str, float]
        if step.rolled_back or (step.status == "Stopped" and not step.weight):
            version, weights = spec.current_version, {}
        elif step.weight >= 100:
            version, weights = spec.target_version, {}
        else:
            version, weights = spec.current_version, {spec.target_version: step.weight / 100}
        self.lam.aliases[spec.alias] = AliasState(
            spec.alias, version, current.revision_id + "'", current.description, weights
        )

    def create_deployment(
        self,
        application: str,
        group: str,
        *,
        appspec: str,
        config: str,
        description: str,
        alarms: Sequence[str] = (),
    ) -> str:
        self._call("CreateDeployment")
        if group not in self.groups:
            raise CodeDeployMissing(f"deployment group {group} not found")
        if any(self._shown(d).active for d in self.deployments.values()):
            raise DeploymentAlreadyActive("already has a deployment under way")
        spec = AppSpecTarget.parse(appspec)
        assert spec is not None, appspec
        self.appspec = json.loads(appspec)
        deployment_id = self.start(spec)
        self.deployments[deployment_id].config = config
        self.deployments[deployment_id].override = tuple(alarms)
        if self.lose_create_answer:  # botocore's retry meets the deployment the first one made
            self.lose_create_answer = False
            raise DeploymentAlreadyActive(f"already has an active deployment {deployment_id}")
        return deployment_id

    def stop_deployment(self, deployment_id: str, *, rollback: bool = True) -> None:
        self._call("StopDeployment")
        dep = self.deployments[deployment_id]
        if not self._shown(dep).active:
            raise DeploymentAlreadyOver(f"deployment {deployment_id} has already ended")
        stopped = Step("Stopped", dep.step.weight, ("MANUAL_STOP", "stopped"), rolled_back=rollback)
        dep.script = (*dep.script[: dep.at + 1], stopped)

    def target_ids(self, deployment_id: str) -> list[str]:
        self._call("ListDeploymentTargets")
        spec = self.deployments[deployment_id].spec
        return [f"{spec.function}:{spec.alias}"]

    def get_target(self, deployment_id: str, target_id: str) -> TrafficTarget | None:
        self._call("GetDeploymentTarget")
        step = self.deployments[deployment_id].step
        events = [LifecycleEvent("AllowTraffic", "InProgress", START)]
        if step.hook_failed:
            events.append(LifecycleEvent(step.hook_failed, "Failed", START, "check said no"))
        return TrafficTarget("InProgress", step.weight, tuple(events))

    def get_config(self, name: str) -> DeploymentConfig | None:
        self._call("GetDeploymentConfig")
        return self.configs.get(name)

    def create_config(self, name: str, routing_type: str, percent: int, minutes: int) -> None:
        self._call("CreateDeploymentConfig")
        if name in self.configs:
            raise ConfigAlreadyExists(f"{name} already exists")
        self.configs[name] = DeploymentConfig(name, "Lambda", routing_type, percent, minutes)


@dataclass
class FakeAlarms:
    """Alarms by name and state; the names asked are kept."""

    existing: dict[str, str] = field(
        default_factory=lambda: {"shop-dev-api-errors": "OK", "api-latency": "OK"}
    )
    asked: list[list[str]] = field(default_factory=list)

    def states(self, names: Sequence[str]) -> dict[str, str]:
        self.asked.append(list(names))
        return {n: self.existing[n] for n in names if n in self.existing}


class Clock:
    """Time that moves a minute each time it is read."""

    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        self.now += timedelta(minutes=1)
        return self.now


def make_promote(
    tmp_path: Path,
    lam: FakeLambda,
    deployments: FakeDeployments | None = None,
    alarms: FakeAlarms | None = None,
    *,
    scope: Scope | None = None,
) -> PromoteDeps:
    """A promotion's dependencies, on fakes: following never waits."""
    return PromoteDeps(
        scope or make_scope(tmp_path),
        lam,
        deployments or FakeDeployments(lam),
        alarms or FakeAlarms(),
        RecordingReporter(),
        sleep=lambda _: None,
        now=Clock(),
    )
