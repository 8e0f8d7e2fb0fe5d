"""CodeDeploy deploys Lambda aliases: the deployment runs server-side and reports as AWS reports.

AWS behaviour (CodeDeploy API reference: CreateDeployment, GetDeployment, BatchGetDeployments,
StopDeployment, PutLifecycleEventHookExecutionStatus, ListDeploymentTargets, GetDeploymentTarget,
BatchGetDeploymentTargets; user guide "Deployments on an AWS Lambda compute platform",
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-steps-lambda.html): a
deployment of an application whose compute platform is `Lambda` takes an AppSpec (revision type
`AppSpecContent` or `String`, JSON or YAML, or an `S3` object) naming one function, its alias,
`CurrentVersion` and `TargetVersion`, and optional `BeforeAllowTraffic` / `AfterAllowTraffic`
hook functions. CreateDeployment answers a `d-XXXXXXXXX` id at once (`Created`); the shift then
runs without the client (see `_codedeploy_runner`). A group with a deployment still active
refuses another: `DeploymentLimitExceededException` "The Deployment Group 'G' already has an
active Deployment 'd-…'". GetDeployment shows `status`, `deploymentOverview`, `errorInformation`,
`rollbackInfo`, `creator` and the times; the deployment's one target is the alias (`targetId`
`NAME:ALIAS`, `lambdaTarget.lambdaFunctionInfo` with `targetVersionWeight`, the percentage on the
target version, and the `BeforeAllowTraffic` / `AllowTraffic` / `AfterAllowTraffic` events).
StopDeployment on a finished deployment is `DeploymentAlreadyCompletedException`; a hook status
other than Succeeded or Failed is `InvalidLifecycleEventHookExecutionStatusException`, a second
one `LifecycleEventAlreadyCompletedException`. UpdateAlias by a client is not blocked meanwhile.
moto 5.2.5 records a deployment and never runs it.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from typing import Any

from twophase.local.extensions._cfn_common import patch
from twophase.local.extensions._codedeploy_model import (
    ACTIVE,
    DEPLOYMENTS_LOCK,
    LambdaDeployment,
    StopRequest,
    add_deployment,
)
from twophase.local.extensions._codedeploy_runner import start

STOP_WAIT = 5.0  # real seconds StopDeployment waits for the deployment to stop


def _error(code: str, message: str) -> Exception:
    from moto.codedeploy.exceptions import CodeDeployException

    return CodeDeployException(code, message)


def _result(value: dict[str, Any]) -> Any:
    from moto.core.responses import ActionResult

    return ActionResult(value)


def _s3_content(account_id: str, location: dict[str, Any]) -> str:
    from moto.s3.models import s3_backends

    try:
        found = s3_backends[account_id]["aws"].get_object(location["bucket"], location["key"])
    except Exception as exc:
        message = "The named revision does not exist with the IAM user or AWS account."
        raise _error("RevisionDoesNotExistException", message) from exc
    return bytes(found.value if found is not None else b"").decode("utf-8", errors="replace")


def revision_content(
    account_id: str, revision: dict[str, Any] | None
) -> tuple[str, dict[str, Any]]:
    """The AppSpec text of `revision`, and the revision as GetDeployment shows it."""
    if not revision:
        raise _error("RevisionRequiredException", "Revision must be specified.")
    kind = revision.get("revisionType")
    if kind == "S3":
        return _s3_content(account_id, revision.get("s3Location") or {}), revision
    key = {"AppSpecContent": "appSpecContent", "String": "string"}.get(str(kind))
    raw = revision.get(key or "") or {}
    content = raw.get("content")
    if key is None or not content:
        raise _error("InvalidRevisionException", "The revision has no AppSpec content.")
    digest = hashlib.sha256(content.encode()).hexdigest()
    if raw.get("sha256") and raw["sha256"] != digest:
        raise _error(
            "InvalidRevisionException", "The revision's sha256 does not match its content."
        )
    return content, {**revision, key: {"content": content, "sha256": digest}}


def _lambda_config(backend: Any, name: str) -> None:
    from twophase.local.extensions.codedeploy_deployment_configs import find

    if find(backend, name)["computePlatform"] != "Lambda":
        raise _error(
            "InvalidDeploymentConfigNameException",
            f"The deployment configuration {name} is not for the Lambda compute platform.",
        )


def _refuse_second(backend: Any, application: str, group: str) -> None:
    for other in backend.deployments.values():
        same = (other.application_name, other.deployment_group_name) == (application, group)
        if same and other.status in ACTIVE:
            raise _error(
                "DeploymentLimitExceededException",
                f"The Deployment Group '{group}' already has an active Deployment "
                f"'{other.deployment_id}'",
            )


def _new_deployment(self: Any, app: Any) -> LambdaDeployment:
    backend = self.codedeploy_backend
    name = self._get_param("deploymentGroupName")
    if not name:
        raise _error("DeploymentGroupNameRequiredException", "Deployment group name is required.")
    group = backend.get_deployment_group(app.application_name, name)
    content, revision = revision_content(self.current_account, self._get_param("revision"))
    config = self._get_param("deploymentConfigName") or str(group.deployment_config_name)
    _lambda_config(backend, config)
    rollback = self._get_param("autoRollbackConfiguration")
    alarms = self._get_param("overrideAlarmConfiguration")
    return LambdaDeployment(
        self.current_account,
        self.region,
        app.application_name,
        name,
        config,
        revision,
        content,
        rollback if rollback is not None else group.auto_rollback_configuration or {},
        alarms if alarms is not None else group.alarm_configuration or {},
        host=str(self.headers.get("Host", "")),
        description=self._get_param("description"),
        alarms_overridden=alarms is not None,
    )


def _create(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def create_deployment(self: Any) -> Any:
        backend = self.codedeploy_backend
        app = backend.get_application(self._get_param("applicationName"))
        if app.compute_platform != "Lambda":
            return original(self)
        dep = _new_deployment(self, app)
        with DEPLOYMENTS_LOCK:
            _refuse_second(backend, dep.application_name, dep.deployment_group_name)
            add_deployment(backend, dep)
        start(dep)
        return _result({"deploymentId": dep.deployment_id})

    return create_deployment


def _shown(original_shape: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    def shape(deployment: Any) -> dict[str, Any]:
        if isinstance(deployment, LambdaDeployment):
            with deployment.cond:
                return deployment.shape()
        return original_shape(deployment)

    return shape


def _lambda_deployment(self: Any) -> LambdaDeployment:
    deployment_id = self._get_param("deploymentId")
    if not deployment_id:
        raise _error(
            "DeploymentIdRequiredException", "At least one deployment ID must be specified."
        )
    found = self.codedeploy_backend.get_deployment(deployment_id)
    if not isinstance(found, LambdaDeployment):
        raise _error(
            "UnsupportedActionForDeploymentTypeException",
            "The embedded AWS runs deployments of the Lambda compute platform only.",
        )
    return found


def stop_deployment(self: Any) -> Any:
    dep = _lambda_deployment(self)
    rollback = self._get_param("autoRollbackEnabled")
    with dep.cond:
        if dep.status not in ACTIVE:
            raise _error(
                "DeploymentAlreadyCompletedException",
                f"The deployment {dep.deployment_id} has already completed.",
            )
        dep.stop = dep.stop or StopRequest(None if rollback is None else bool(rollback))
        dep.cond.notify_all()
        deadline = time.monotonic() + STOP_WAIT
        while dep.status in ACTIVE and time.monotonic() < deadline:
            dep.cond.wait(deadline - time.monotonic())
        if dep.status in ACTIVE:
            return _result({"status": "Pending", "statusMessage": "Stopping Pending."})
    return _result(
        {"status": "Succeeded", "statusMessage": f"Deployment {dep.deployment_id} stopped."}
    )


def put_lifecycle_event_hook_execution_status(self: Any) -> Any:
    dep = _lambda_deployment(self)
    execution_id = self._get_param("lifecycleEventHookExecutionId")
    status = self._get_param("status")
    with dep.cond:
        hook = dep.hooks.get(execution_id)
        if hook is None:
            raise _error(
                "InvalidLifecycleEventHookExecutionIdException",
                f"The lifecycle event hook execution {execution_id} is not part of "
                f"deployment {dep.deployment_id}.",
            )
        if status not in ("Succeeded", "Failed"):
            raise _error(
                "InvalidLifecycleEventHookExecutionStatusException",
                f"The status of a lifecycle event hook must be Succeeded or Failed, not {status}.",
            )
        assert dep.target is not None
        event = dep.target.event(hook.event)
        if hook.status is not None or event.status != "InProgress" or dep.status not in ACTIVE:
            raise _error(
                "LifecycleEventAlreadyCompletedException",
                "An attempt to return the status of an already completed lifecycle event occurred.",
            )
        hook.status = status
        dep.cond.notify_all()
    return _result({"lifecycleEventHookExecutionId": execution_id})


def _started_target(self: Any) -> tuple[LambdaDeployment, list[dict[str, Any]]]:
    dep = _lambda_deployment(self)
    with dep.cond:
        if dep.status in ("Created", "Queued"):
            raise _error(
                "DeploymentNotStartedException", "The specified deployment has not started."
            )
        return dep, [] if dep.target is None else [dep.target.shape()]


def list_deployment_targets(self: Any) -> Any:
    _, targets = _started_target(self)
    wanted = (self._get_param("targetFilters") or {}).get("TargetStatus")
    ids = [
        t["lambdaTarget"]["targetId"]
        for t in targets
        if not wanted or t["lambdaTarget"]["status"] in wanted
    ]
    return _result({"targetIds": ids})


def _targets(self: Any, ids: list[str]) -> list[dict[str, Any]]:
    if not ids:
        raise _error(
            "DeploymentTargetIdRequiredException", "A deployment target ID was not provided."
        )
    _, targets = _started_target(self)
    by_id = {t["lambdaTarget"]["targetId"]: t for t in targets}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise _error(
            "DeploymentTargetDoesNotExistException",
            f"The provided target ID {missing[0]} does not belong to the attempted deployment.",
        )
    return [by_id[i] for i in ids]


def get_deployment_target(self: Any) -> Any:
    (target,) = _targets(self, [self._get_param("targetId")] if self._get_param("targetId") else [])
    return _result({"deploymentTarget": target})


def batch_get_deployment_targets(self: Any) -> Any:
    return _result({"deploymentTargets": _targets(self, self._get_param("targetIds") or [])})


def install() -> None:
    from moto.codedeploy import responses
    from moto.codedeploy.responses import CodeDeployResponse

    patch(CodeDeployResponse, "create_deployment", _create)
    patch(responses, "_deployment_info", _shown)
    for handler in (
        stop_deployment,
        put_lifecycle_event_hook_execution_status,
        list_deployment_targets,
        get_deployment_target,
        batch_get_deployment_targets,
    ):
        setattr(CodeDeployResponse, handler.__name__, handler)
