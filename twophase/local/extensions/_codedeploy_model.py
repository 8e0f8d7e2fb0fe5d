"""A CodeDeploy deployment on the Lambda compute platform, as the CodeDeploy API shows it.

Not an extension itself (no `install`): `codedeploy_lambda_deployments` serves it and
`_codedeploy_runner` moves it along. Field names and values follow the CodeDeploy API reference
(DeploymentInfo, LambdaTarget, LambdaFunctionInfo, LifecycleEvent, RollbackInfo), so that the
botocore models serialise them as AWS does.
"""

from __future__ import annotations

import json
import random
import string
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import yaml

ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
EVENTS = ("BeforeAllowTraffic", "AllowTraffic", "AfterAllowTraffic")


DEPLOYMENTS_LOCK = threading.Lock()  # held to check a group's deployments and add one


def add_deployment(backend: Any, dep: LambdaDeployment) -> None:
    """Record `dep` (the caller holds DEPLOYMENTS_LOCK) in a new dict, so that a request reading
    the old one meanwhile (moto's ListDeployments iterates it) never sees it change size."""
    backend.deployments = {**backend.deployments, dep.deployment_id: dep}


def now() -> datetime:
    from moto.core.utils import utcnow

    return utcnow()


def new_deployment_id() -> str:
    """`d-` and nine capitals or digits, as AWS names deployments."""
    return "d-" + "".join(random.choices(string.ascii_uppercase + string.digits, k=9))


class InvalidAppSpec(Exception):
    """The AppSpec content does not describe one Lambda alias's shift."""


@dataclass(frozen=True)
class AppSpec:
    """The Lambda part of an AppSpec: one alias, its current and target version, the hooks."""

    function: str
    alias: str
    current_version: str
    target_version: str
    hooks: dict[str, str]

    @classmethod
    def parse(cls, content: str) -> AppSpec:
        try:
            document = yaml.safe_load(content)  # JSON is YAML too
        except yaml.YAMLError as exc:
            raise InvalidAppSpec(f"The AppSpec content is neither JSON nor YAML: {exc}") from exc
        resources = document.get("Resources") if isinstance(document, dict) else None
        one = resources[0] if isinstance(resources, list) and len(resources) == 1 else None
        resource = (
            next(iter(one.values()), None) if isinstance(one, dict) and len(one) == 1 else None
        )
        if not isinstance(resource, dict) or resource.get("Type") != "AWS::Lambda::Function":
            raise InvalidAppSpec("Resources must list exactly one AWS::Lambda::Function.")
        props = resource.get("Properties") or {}
        missing = [
            p for p in ("Name", "Alias", "CurrentVersion", "TargetVersion") if p not in props
        ]
        if missing:
            raise InvalidAppSpec(f"The resource's Properties lack {', '.join(missing)}.")
        hooks: dict[str, str] = {}
        raw_hooks = document.get("Hooks") or []
        for hook in raw_hooks if isinstance(raw_hooks, list) else [raw_hooks]:
            if not isinstance(hook, dict):
                raise InvalidAppSpec("Each entry of Hooks must name a lifecycle event's function.")
            hooks.update({str(k): str(v) for k, v in hook.items()})
        unknown = sorted(set(hooks) - {"BeforeAllowTraffic", "AfterAllowTraffic"})
        if unknown:
            raise InvalidAppSpec(f"Unknown hooks for a Lambda deployment: {', '.join(unknown)}.")
        return cls(
            str(props["Name"]),
            str(props["Alias"]),
            str(props["CurrentVersion"]),
            str(props["TargetVersion"]),
            hooks,
        )

    def reversed(self) -> str:
        """The AppSpec of the deployment that rolls this one back."""
        resource = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Name": self.function,
                "Alias": self.alias,
                "CurrentVersion": self.target_version,
                "TargetVersion": self.current_version,
            },
        }
        return json.dumps({"version": 0.0, "Resources": [{self.function: resource}]})


@dataclass
class LifecycleEvent:
    name: str
    status: str = "Pending"
    started: datetime | None = None
    ended: datetime | None = None
    diagnostics: dict[str, str] | None = None

    def begin(self) -> None:
        self.status, self.started = "InProgress", now()

    def end(self, status: str, diagnostics: dict[str, str] | None = None) -> None:
        self.status, self.ended, self.diagnostics = status, now(), diagnostics

    def shape(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"lifecycleEventName": self.name, "status": self.status}
        for key, value in (
            ("startTime", self.started),
            ("endTime", self.ended),
            ("diagnostics", self.diagnostics),
        ):
            if value is not None:
                shown[key] = value
        return shown


@dataclass
class LambdaTarget:
    """The one target of a Lambda deployment: the alias being shifted."""

    deployment_id: str
    spec: AppSpec
    alias_arn: str
    weight: float = 0.0  # percent of the alias's traffic on the target version
    status: str = "InProgress"
    updated: datetime = field(default_factory=now)
    events: list[LifecycleEvent] = field(
        default_factory=lambda: [LifecycleEvent(e) for e in EVENTS]
    )

    @property
    def target_id(self) -> str:
        return f"{self.spec.function}:{self.spec.alias}"

    def event(self, name: str) -> LifecycleEvent:
        return next(e for e in self.events if e.name == name)

    def shape(self) -> dict[str, Any]:
        return {
            "deploymentTargetType": "LambdaTarget",
            "lambdaTarget": {
                "deploymentId": self.deployment_id,
                "targetId": self.target_id,
                "targetArn": self.alias_arn,
                "status": self.status,
                "lastUpdatedAt": self.updated,
                "lifecycleEvents": [e.shape() for e in self.events],
                "lambdaFunctionInfo": {
                    "functionName": self.spec.function,
                    "functionAlias": self.spec.alias,
                    "currentVersion": self.spec.current_version,
                    "targetVersion": self.spec.target_version,
                    "targetVersionWeight": self.weight,
                },
            },
        }


@dataclass
class HookExecution:
    """One invocation of a hook function, waiting for PutLifecycleEventHookExecutionStatus."""

    event: str
    status: str | None = None


@dataclass
class StopRequest:
    rollback: bool | None  # StopDeployment's autoRollbackEnabled (None: the group decides)


@dataclass
class LambdaDeployment:
    """A deployment of an application whose compute platform is Lambda. The attribute names that
    moto's own ListDeployments reads are kept (application_name, status, create_time, …)."""

    account_id: str
    region: str
    application_name: str
    deployment_group_name: str
    deployment_config_name: str
    revision: dict[str, Any]
    content: str
    auto_rollback: dict[str, Any]
    alarms: dict[str, Any]
    host: str = ""  # where the hook functions reach the embedded AWS
    description: str | None = None
    creator: str = "user"
    deployment_id: str = field(default_factory=new_deployment_id)
    status: str = "Created"
    create_time: datetime = field(default_factory=now)
    start_time: datetime | None = None
    complete_time: datetime | None = None
    error: dict[str, str] | None = None
    rollback_info: dict[str, str] | None = None
    target: LambdaTarget | None = None
    hooks: dict[str, HookExecution] = field(default_factory=dict)
    stop: StopRequest | None = None
    alarms_overridden: bool = False  # CreateDeployment's overrideAlarmConfiguration
    cond: threading.Condition = field(default_factory=threading.Condition, repr=False)

    def rolled_back(self, alias_arn: str, refused: tuple[str, str] | None) -> LambdaDeployment:
        """The finished deployment that rolled this one back (or failed to: `refused`, the error
        code and message)."""
        assert self.target is not None
        content = self.target.spec.reversed()
        back = LambdaDeployment(
            self.account_id,
            self.region,
            self.application_name,
            self.deployment_group_name,
            self.deployment_config_name,
            {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}},
            content,
            self.auto_rollback,
            self.alarms,
            creator="codeDeployRollback",
            deployment_id=new_deployment_id(),
        )
        status = "Succeeded" if refused is None else "Failed"
        weight = 100.0 if refused is None else 0.0
        back.target = LambdaTarget(
            back.deployment_id, AppSpec.parse(content), alias_arn, weight, status
        )
        for event in back.target.events:
            event.begin()
            event.end(status if event.name == "AllowTraffic" else "Skipped")
        back.status, back.start_time, back.complete_time = status, now(), now()
        if refused is not None:
            back.error = {"code": refused[0], "message": refused[1]}
        back.rollback_info = {
            "rollbackTriggeringDeploymentId": self.deployment_id,
            "rollbackMessage": f"Deployment {back.deployment_id} is triggered to roll back "
            f"deployment {self.deployment_id}.",
        }
        return back

    def shape(self) -> dict[str, Any]:
        overview = dict.fromkeys(("Pending", "InProgress", "Succeeded", "Failed", "Skipped"), 0)
        overview["Ready"] = 0
        if self.target is not None:
            overview[self.target.status] += 1
        info: dict[str, Any] = {
            "applicationName": self.application_name,
            "deploymentGroupName": self.deployment_group_name,
            "deploymentConfigName": self.deployment_config_name,
            "deploymentId": self.deployment_id,
            "revision": self.revision,
            "status": self.status,
            "createTime": self.create_time,
            "deploymentOverview": overview,
            "creator": self.creator,
            "ignoreApplicationStopFailures": False,
            "updateOutdatedInstancesOnly": False,
            "instanceTerminationWaitTimeStarted": False,
            "deploymentStyle": {
                "deploymentType": "BLUE_GREEN",
                "deploymentOption": "WITH_TRAFFIC_CONTROL",
            },
            "deploymentStatusMessages": [],
            "computePlatform": "Lambda",
        }
        for key, value in (
            ("autoRollbackConfiguration", self.auto_rollback or None),
            ("overrideAlarmConfiguration", self.alarms if self.alarms_overridden else None),
            ("startTime", self.start_time),
            ("completeTime", self.complete_time),
            ("errorInformation", self.error),
            ("rollbackInfo", self.rollback_info),
            ("description", self.description),
        ):
            if value is not None:
                info[key] = value
        return info
