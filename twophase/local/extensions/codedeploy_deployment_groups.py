"""CodeDeploy deployment groups keep their alarms and rollback settings, and can change or go.

AWS behaviour (CodeDeploy API reference: CreateDeploymentGroup, GetDeploymentGroup,
BatchGetDeploymentGroups, UpdateDeploymentGroup, DeleteDeploymentGroup, DeleteApplication,
https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentGroup.html): a
group of a Lambda application deploys with `CodeDeployDefault.LambdaAllAtOnce` unless it names
another configuration (which must exist: `DeploymentConfigDoesNotExistException`), and its style
is `BLUE_GREEN` / `WITH_TRAFFIC_CONTROL`. Its `alarmConfiguration` (`enabled`, up to 10 `alarms`;
enabled with none is `InvalidAlarmConfigException`, more is `AlarmsLimitExceededException`) and
`autoRollbackConfiguration` are returned as given, with `lastAttemptedDeployment` and
`lastSuccessfulDeployment`. UpdateDeploymentGroup changes what it names (a new name too);
DeleteDeploymentGroup and DeleteApplication (which deletes the application's groups) answer
`hooksNotCleanedUp` / nothing. moto 5.2.5 drops the alarm configuration, defaults every group to
`CodeDeployDefault.OneAtATime`, and has no update or delete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twophase.local.extensions._cfn_common import patch
from twophase.local.extensions.codedeploy_deployment_configs import find

LAMBDA_DEFAULT_CONFIG = "CodeDeployDefault.LambdaAllAtOnce"
LAMBDA_STYLE = {"deploymentType": "BLUE_GREEN", "deploymentOption": "WITH_TRAFFIC_CONTROL"}
MAX_ALARMS = 10
_BACKEND = "_twophase_backend"
_UPDATABLE = {  # UpdateDeploymentGroup's parameters → moto's DeploymentGroup attributes
    "serviceRoleArn": "service_role_arn",
    "alarmConfiguration": "alarm_configuration",
    "autoRollbackConfiguration": "auto_rollback_configuration",
    "deploymentStyle": "deployment_style",
    "triggerConfigurations": "trigger_configurations",
    "blueGreenDeploymentConfiguration": "blue_green_deployment_configuration",
    "loadBalancerInfo": "load_balancer_info",
}


def _error(code: str, message: str) -> Exception:
    from moto.codedeploy.exceptions import CodeDeployException

    return CodeDeployException(code, message)


def check_alarms(config: dict[str, Any] | None) -> None:
    alarms = (config or {}).get("alarms") or []
    if (config or {}).get("enabled") and not alarms:
        raise _error(
            "InvalidAlarmConfigException",
            "The alarm configuration is enabled, but the alarm list is empty.",
        )
    if len(alarms) > MAX_ALARMS:
        raise _error(
            "AlarmsLimitExceededException",
            f"The maximum number of alarms for a deployment group ({MAX_ALARMS}) was exceeded.",
        )


def _last(backend: Any, group: Any, succeeded: bool) -> dict[str, Any]:
    mine = [
        d
        for d in backend.deployments.values()
        if (d.application_name, d.deployment_group_name)
        == (group.application.application_name, group.deployment_group_name)
        and (d.status == "Succeeded" or not succeeded)
    ]
    if not mine:
        return {}
    last = max(mine, key=lambda d: d.create_time)
    shown = {
        "deploymentId": last.deployment_id,
        "status": last.status,
        "createTime": last.create_time,
    }
    if getattr(last, "complete_time", None) is not None:
        shown["endTime"] = last.complete_time
    return shown


def _group_info(original: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    def info(group: Any) -> dict[str, Any]:
        shown = original(group)
        shown["alarmConfiguration"] = group.alarm_configuration or {}
        backend = group.__dict__.get(_BACKEND)
        if backend is not None:
            shown["lastAttemptedDeployment"] = _last(backend, group, succeeded=False)
            shown["lastSuccessfulDeployment"] = _last(backend, group, succeeded=True)
        return shown

    return info


def adopt(backend: Any, group: Any, config: str | None, style: dict[str, Any] | None) -> None:
    """Settle a group moto just created: the defaults of a Lambda group, its backend."""
    group.__dict__[_BACKEND] = backend
    if group.application.compute_platform == "Lambda":
        group.deployment_config_name = config or LAMBDA_DEFAULT_CONFIG
        group.deployment_style = style or dict(LAMBDA_STYLE)


def _create(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    def create_deployment_group(self: Any) -> Any:
        backend = self.codedeploy_backend
        app = backend.get_application(self._get_param("applicationName"))
        config = self._get_param("deploymentConfigName")
        if config:
            find(backend, config)
        check_alarms(self._get_param("alarmConfiguration"))
        result = original(self)
        group = backend.deployment_groups[app.application_name][
            self._get_param("deploymentGroupName")
        ]
        adopt(backend, group, config, self._get_param("deploymentStyle"))
        return result

    return create_deployment_group


def update_deployment_group(self: Any) -> Any:
    from moto.core.responses import ActionResult

    backend = self.codedeploy_backend
    app_name = self._get_param("applicationName")
    group = backend.get_deployment_group(app_name, self._get_param("currentDeploymentGroupName"))
    config = self._get_param("deploymentConfigName")
    if config:
        find(backend, config)
        group.deployment_config_name = config
    if self._get_param("alarmConfiguration") is not None:
        check_alarms(self._get_param("alarmConfiguration"))
    for param, attribute in _UPDATABLE.items():
        if self._get_param(param) is not None:
            setattr(group, attribute, self._get_param(param))
    new_name = self._get_param("newDeploymentGroupName")
    groups = backend.deployment_groups[app_name]
    if new_name and new_name != group.deployment_group_name:
        if new_name in groups:
            raise _error(
                "DeploymentGroupAlreadyExistsException",
                f"Deployment group {new_name} already exists.",
            )
        del groups[group.deployment_group_name]
        group.deployment_group_name = new_name
        groups[new_name] = group
    return ActionResult({"hooksNotCleanedUp": []})


def remove_group(backend: Any, application: str, name: str) -> None:
    """Delete the group `name` of `application`, if there is one."""
    backend.deployment_groups.get(application, {}).pop(name, None)


def remove_application(backend: Any, name: str) -> None:
    """Delete the application `name` and its groups, if there is one."""
    backend.applications.pop(name, None)
    backend.deployment_groups.pop(name, None)


def delete_deployment_group(self: Any) -> Any:
    from moto.core.responses import ActionResult

    remove_group(
        self.codedeploy_backend,
        self._get_param("applicationName"),
        self._get_param("deploymentGroupName"),
    )
    return ActionResult({"hooksNotCleanedUp": []})


def delete_application(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    remove_application(self.codedeploy_backend, self._get_param("applicationName"))
    return EmptyResult()


def batch_get_deployment_groups(self: Any) -> Any:
    from moto.codedeploy import responses
    from moto.core.responses import ActionResult

    backend = self.codedeploy_backend
    app_name = self._get_param("applicationName")
    backend.get_application(app_name)
    found, missing = [], []
    for name in self._get_param("deploymentGroupNames") or []:
        group = backend.deployment_groups.get(app_name, {}).get(name)
        if group is None:
            missing.append(name)
        else:
            found.append(responses._deployment_group_info(group))
    result: dict[str, Any] = {"deploymentGroupsInfo": found}
    if missing:
        result["errorMessage"] = f"Deployment groups not found: {', '.join(missing)}"
    return ActionResult(result)


def install() -> None:
    from moto.codedeploy import responses
    from moto.codedeploy.responses import CodeDeployResponse

    patch(CodeDeployResponse, "create_deployment_group", _create)
    patch(responses, "_deployment_group_info", _group_info)
    for handler in (
        update_deployment_group,
        delete_deployment_group,
        delete_application,
        batch_get_deployment_groups,
    ):
        setattr(CodeDeployResponse, handler.__name__, handler)
