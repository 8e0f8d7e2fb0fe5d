"""The thin CodeDeploy client: Lambda deployments, their one target, time-based configurations.

This is the only place that speaks CodeDeploy's camelCase. No boto3 stubs are installed for
CodeDeploy, so the boto3 client and its answers are `Any` here and nowhere else: each answer
becomes a small frozen dataclass before it leaves this module. Errors go through the shared
translation, except CodeDeploy's own codes that are answers rather than failures (a missing
group or configuration, a deployment already active or already over): those are the types below.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from twophase.aws.errors import DEPLOYER_DENIED_HINT, translate
from twophase.errors import ConflictError, NotFoundError, PreconditionError

# Every status of a deployment that is not final (API reference, DeploymentInfo.status).
ACTIVE = ("Created", "Queued", "InProgress", "Baking", "Ready")
INFRA_HINT = "run `twophase infra up -e ENV`: it creates the function's deployment group"
_MISSING = {
    "ApplicationDoesNotExistException",
    "DeploymentGroupDoesNotExistException",
    "DeploymentDoesNotExistException",
    "DeploymentConfigDoesNotExistException",
}


class CodeDeployMissing(NotFoundError):
    """An application, deployment group, deployment or configuration that does not exist."""


class DeploymentAlreadyActive(ConflictError):
    """The group has a deployment under way: CodeDeploy runs one at a time per group."""


class DeploymentAlreadyOver(PreconditionError):
    """StopDeployment on a deployment that has already ended."""


class ConfigAlreadyExists(ConflictError):
    """CreateDeploymentConfig of a name somebody created meanwhile."""


# --- typed views of CodeDeploy's answers ---------------------------------------------------------


@dataclass(frozen=True)
class AppSpecTarget:
    """What a Lambda deployment's AppSpec shifts: one alias from a version to another."""

    function: str
    alias: str
    current_version: str
    target_version: str

    @classmethod
    def parse(cls, content: str) -> AppSpecTarget | None:
        """From AppSpec content (JSON, or YAML when another tool wrote it); None if unreadable."""
        document = _document(content)
        resources = document.get("Resources") if isinstance(document, dict) else None
        first = resources[0] if isinstance(resources, list) and resources else None
        resource = next(iter(first.values()), None) if isinstance(first, dict) else None
        props = resource.get("Properties") if isinstance(resource, dict) else None
        if not isinstance(props, dict):
            return None
        keys = ("Name", "Alias", "CurrentVersion", "TargetVersion")
        if not all(k in props for k in keys):
            return None
        return cls(*(str(props[k]) for k in keys))


def _document(content: str) -> Any:
    try:
        return json.loads(content)
    except ValueError:
        import yaml

        try:
            return yaml.safe_load(content)
        except yaml.YAMLError:
            return None


@dataclass(frozen=True)
class Deployment:
    deployment_id: str
    status: str
    config: str
    creator: str  # "user", or "codeDeployRollback" for a deployment that rolls another back
    target: AppSpecTarget | None
    error_code: str = ""
    error_message: str = ""
    rollback_deployment_id: str | None = None  # the deployment that rolled this one back
    override_alarms: tuple[str, ...] = ()  # the alarms it watches instead of the group's
    description: str = ""
    create_time: datetime | None = None
    complete_time: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status in ACTIVE

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> Deployment:
        error = info.get("errorInformation") or {}
        rollback = info.get("rollbackInfo") or {}
        return cls(
            deployment_id=str(info["deploymentId"]),
            status=str(info.get("status", "")),
            config=str(info.get("deploymentConfigName", "")),
            creator=str(info.get("creator", "")),
            target=AppSpecTarget.parse(_content(info.get("revision") or {})),
            error_code=str(error.get("code", "")),
            error_message=" ".join(str(error.get("message", "")).split()),
            rollback_deployment_id=rollback.get("rollbackDeploymentId") or None,
            override_alarms=_override(info.get("overrideAlarmConfiguration") or {}),
            description=str(info.get("description") or ""),
            create_time=info.get("createTime"),
            complete_time=info.get("completeTime"),
        )


def _override(config: dict[str, Any]) -> tuple[str, ...]:
    if not config.get("enabled"):
        return ()
    return tuple(str(a.get("name", "")) for a in config.get("alarms") or [])


def _content(revision: dict[str, Any]) -> str:
    raw = revision.get("appSpecContent") or revision.get("string") or {}
    return str(raw.get("content") or "")


@dataclass(frozen=True)
class LifecycleEvent:
    name: str  # BeforeAllowTraffic, AllowTraffic, AfterAllowTraffic
    status: str  # Pending, InProgress, Succeeded, Failed, Skipped, Unknown
    started: datetime | None = None
    message: str = ""  # the diagnostics of a failed hook


@dataclass(frozen=True)
class TrafficTarget:
    """The deployment's one target: the alias, and the share its new version has."""

    status: str
    weight: float  # percent of the alias's traffic on the target version
    events: tuple[LifecycleEvent, ...] = ()

    def event(self, name: str) -> LifecycleEvent | None:
        return next((e for e in self.events if e.name == name), None)

    @classmethod
    def from_target(cls, target: dict[str, Any]) -> TrafficTarget:
        lam = target.get("lambdaTarget") or {}
        info = lam.get("lambdaFunctionInfo") or {}
        events = tuple(
            LifecycleEvent(
                name=str(e.get("lifecycleEventName", "")),
                status=str(e.get("status", "")),
                started=e.get("startTime"),
                message=str((e.get("diagnostics") or {}).get("message") or ""),
            )
            for e in lam.get("lifecycleEvents") or []
        )
        weight = float(info.get("targetVersionWeight") or 0.0)
        return cls(str(lam.get("status", "")), weight, events)


@dataclass(frozen=True)
class DeploymentConfig:
    """A deployment configuration: its platform and its time-based routing."""

    name: str
    platform: str
    routing_type: str  # TimeBasedCanary, TimeBasedLinear, AllAtOnce
    percent: int = 0
    minutes: int = 0

    def describe(self) -> str:
        if self.routing_type == "AllAtOnce" or not self.percent:
            return f"{self.platform} {self.routing_type}"
        return f"{self.platform} {self.routing_type} {self.percent}% every {self.minutes} min"

    @classmethod
    def from_info(cls, info: dict[str, Any]) -> DeploymentConfig:
        routing = info.get("trafficRoutingConfig") or {}
        kind = str(routing.get("type", ""))
        spec = routing.get("timeBasedCanary") or routing.get("timeBasedLinear") or {}
        prefix = "canary" if kind == "TimeBasedCanary" else "linear"
        return cls(
            name=str(info.get("deploymentConfigName", "")),
            platform=str(info.get("computePlatform", "")),
            routing_type=kind,
            percent=int(spec.get(f"{prefix}Percentage") or 0),
            minutes=int(spec.get(f"{prefix}Interval") or 0),
        )


# --- the client ----------------------------------------------------------------------------------


class CodeDeployClient:
    """CodeDeploy calls twophase makes, each translated and typed. Takes a boto3 `codedeploy`
    client (untyped: see the module's docstring)."""

    def __init__(self, client: Any) -> None:
        self._client = client

    def active_deployments(self, application: str, group: str) -> list[str]:
        """The ids of the group's deployments that have not ended (at most one, as CodeDeploy
        runs one at a time per group)."""
        where = f"deployment group {group} of {application}"
        with _call("codedeploy:ListDeployments", where):
            pages = self._client.get_paginator("list_deployments").paginate(
                applicationName=application,
                deploymentGroupName=group,
                includeOnlyStatuses=list(ACTIVE),
            )
            return [str(d) for page in pages for d in page.get("deployments", [])]

    def get_deployment(self, deployment_id: str) -> Deployment:
        with _call("codedeploy:GetDeployment", f"deployment {deployment_id}"):
            info = self._client.get_deployment(deploymentId=deployment_id)["deploymentInfo"]
        return Deployment.from_info(info)

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
        """Start a deployment of `appspec` (AppSpec content, JSON) with `config`; its id.
        `alarms` replaces the group's alarms for this deployment (AWS then also requires
        `codedeploy:UpdateDeploymentGroup`)."""
        kwargs: dict[str, Any] = {
            "applicationName": application,
            "deploymentGroupName": group,
            "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": appspec}},
            "deploymentConfigName": config,
            "description": description,
        }
        denied = DEPLOYER_DENIED_HINT
        if alarms:
            kwargs["overrideAlarmConfiguration"] = {
                "enabled": True,
                "ignorePollAlarmFailure": False,
                "alarms": [{"name": name} for name in alarms],
            }
            denied = (
                "--alarm makes CodeDeploy watch more alarms than the group's, which AWS allows "
                "only with codedeploy:UpdateDeploymentGroup; list the alarm under the function's "
                "`promotion: alarms:` in twophase.yml instead"
            )
        with _call("codedeploy:CreateDeployment", f"deployment group {group}", denied):
            return str(self._client.create_deployment(**kwargs)["deploymentId"])

    def stop_deployment(self, deployment_id: str, *, rollback: bool = True) -> None:
        """Ask CodeDeploy to stop the deployment (and roll it back); it ends on its own time."""
        with _call("codedeploy:StopDeployment", f"deployment {deployment_id}"):
            self._client.stop_deployment(deploymentId=deployment_id, autoRollbackEnabled=rollback)

    def target_ids(self, deployment_id: str) -> list[str]:
        """The deployment's targets (a Lambda deployment has one: `FUNCTION:ALIAS`); none
        before it started."""
        action = "codedeploy:ListDeploymentTargets"
        try:
            with _call(action, f"deployment {deployment_id}"):
                pages = self._client.get_paginator("list_deployment_targets").paginate(
                    deploymentId=deployment_id
                )
                return [str(t) for page in pages for t in page.get("targetIds", [])]
        except _NotStarted:
            return []

    def get_target(self, deployment_id: str, target_id: str) -> TrafficTarget | None:
        """The target's weight and lifecycle events (None before the deployment started)."""
        action = "codedeploy:GetDeploymentTarget"
        try:
            with _call(action, f"target {target_id} of deployment {deployment_id}"):
                found = self._client.get_deployment_target(
                    deploymentId=deployment_id, targetId=target_id
                )["deploymentTarget"]
        except _NotStarted:
            return None
        return TrafficTarget.from_target(found)

    def get_config(self, name: str) -> DeploymentConfig | None:
        """The deployment configuration called `name`, or None when there is none."""
        try:
            with _call("codedeploy:GetDeploymentConfig", f"deployment configuration {name}"):
                info = self._client.get_deployment_config(deploymentConfigName=name)
        except CodeDeployMissing:
            return None
        return DeploymentConfig.from_info(info["deploymentConfigInfo"])

    def create_config(self, name: str, routing_type: str, percent: int, minutes: int) -> None:
        """A Lambda configuration shifting `percent` each `minutes` (canary or linear)."""
        key, prefix = (
            ("timeBasedCanary", "canary")
            if routing_type == "TimeBasedCanary"
            else ("timeBasedLinear", "linear")
        )
        routing = {
            "type": routing_type,
            key: {f"{prefix}Percentage": percent, f"{prefix}Interval": minutes},
        }
        with _call("codedeploy:CreateDeploymentConfig", f"deployment configuration {name}"):
            self._client.create_deployment_config(
                deploymentConfigName=name, computePlatform="Lambda", trafficRoutingConfig=routing
            )


class _NotStarted(Exception):
    """DeploymentNotStartedException: the deployment has no target yet."""


@contextmanager
def _call(action: str, resource: str, denied_hint: str = DEPLOYER_DENIED_HINT) -> Iterator[None]:
    """CodeDeploy's answers that are not failures become their types; the rest is translated."""
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        yield
    except ClientError as exc:
        err = exc.response.get("Error", {})
        code = str(err.get("Code", ""))
        message = " ".join(str(err.get("Message", "")).split())
        known = _known(code, message, action, resource)
        if known is not None:
            raise known from exc
        raise translate(
            exc, action, resource, not_found_hint=INFRA_HINT, denied_hint=denied_hint
        ) from exc
    except BotoCoreError as exc:
        raise translate(exc, action, resource) from exc


def _known(code: str, message: str, action: str, resource: str) -> Exception | None:
    if code in _MISSING:
        return CodeDeployMissing(f"{resource} not found ({action}): {message}", hint=INFRA_HINT)
    if code == "DeploymentLimitExceededException":
        return DeploymentAlreadyActive(
            f"{resource} already has a deployment under way: {message}",
            hint="run `twophase alias promote FUNCTION` again to follow it",
        )
    if code == "DeploymentAlreadyCompletedException":
        return DeploymentAlreadyOver(f"{resource} has already ended ({action})")
    if code == "DeploymentConfigAlreadyExistsException":
        return ConfigAlreadyExists(f"{resource} already exists ({action})")
    if code == "DeploymentNotStartedException":
        return _NotStarted(message)
    return None
