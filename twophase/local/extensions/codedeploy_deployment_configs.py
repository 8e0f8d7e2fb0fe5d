"""CodeDeploy's deployment configurations: the predefined ones and time-based traffic routing.

AWS behaviour (CodeDeploy user guide, "Working with deployment configurations",
https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html; API
reference CreateDeploymentConfig, GetDeploymentConfig, ListDeploymentConfigs,
DeleteDeploymentConfig): every account has the predefined `CodeDeployDefault.*` configurations,
among them for Lambda `LambdaAllAtOnce`, `LambdaCanary10Percent5Minutes` (10, 15, 30 minutes) and
`LambdaLinear10PercentEvery1Minute` (2, 3, 10 minutes). A custom configuration names a compute
platform and, for Lambda and ECS, a `trafficRoutingConfig`: `TimeBasedCanary` (`canaryPercentage`
first, the rest after `canaryInterval` minutes), `TimeBasedLinear` (`linearPercentage` more every
`linearInterval` minutes) or `AllAtOnce`. A name is unique per account and region
(`DeploymentConfigAlreadyExistsException`), an unknown one is
`DeploymentConfigDoesNotExistException`, a predefined one cannot be deleted
(`InvalidOperationException`) nor one a deployment group uses (`DeploymentConfigInUseException`).
moto 5.2.5 has none of these operations.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

_STORE = "_twophase_deployment_configs"
PREFIX = "CodeDeployDefault."
_EPOCH = datetime(2017, 11, 28)  # when Lambda's predefined configurations appeared


def _error(code: str, message: str) -> Exception:
    from moto.codedeploy.exceptions import CodeDeployException

    error = CodeDeployException(code, message)
    error.code = 400
    return error


def _predefined(name: str) -> dict[str, Any]:
    info: dict[str, Any] = {
        "deploymentConfigName": PREFIX + name,
        "deploymentConfigId": str(uuid.uuid5(uuid.NAMESPACE_URL, PREFIX + name)),
        "createTime": _EPOCH,
    }
    platform = "Lambda" if name.startswith("Lambda") else "ECS" if name.startswith("ECS") else None
    if platform is None:
        hosts = {"OneAtATime": ("HOST_COUNT", 1), "HalfAtATime": ("FLEET_PERCENT", 50)}
        kind, value = hosts.get(name, ("FLEET_PERCENT", 0))
        info.update(computePlatform="Server", minimumHealthyHosts={"type": kind, "value": value})
        return info
    minutes = re.search(r"(\d+)Minute", name)
    interval = int(minutes.group(1)) if minutes else 0
    if "Canary" in name:
        routing = {
            "type": "TimeBasedCanary",
            "timeBasedCanary": {"canaryPercentage": 10, "canaryInterval": interval},
        }
    elif "Linear" in name:
        routing = {
            "type": "TimeBasedLinear",
            "timeBasedLinear": {"linearPercentage": 10, "linearInterval": interval},
        }
    else:
        routing = {"type": "AllAtOnce"}
    info.update(computePlatform=platform, trafficRoutingConfig=routing)
    return info


PREDEFINED: dict[str, dict[str, Any]] = {
    info["deploymentConfigName"]: info
    for info in map(
        _predefined,
        (
            "OneAtATime",
            "HalfAtATime",
            "AllAtOnce",
            "LambdaAllAtOnce",
            "LambdaCanary10Percent5Minutes",
            "LambdaCanary10Percent10Minutes",
            "LambdaCanary10Percent15Minutes",
            "LambdaCanary10Percent30Minutes",
            "LambdaLinear10PercentEvery1Minute",
            "LambdaLinear10PercentEvery2Minutes",
            "LambdaLinear10PercentEvery3Minutes",
            "LambdaLinear10PercentEvery10Minutes",
            "ECSAllAtOnce",
            "ECSCanary10Percent5Minutes",
            "ECSCanary10Percent15Minutes",
            "ECSLinear10PercentEvery1Minutes",
            "ECSLinear10PercentEvery3Minutes",
        ),
    )
}


def custom_configs(backend: Any) -> dict[str, dict[str, Any]]:
    store: dict[str, dict[str, Any]] = backend.__dict__.setdefault(_STORE, {})
    return store


def find(backend: Any, name: str) -> dict[str, Any]:
    """The configuration called `name`, or DeploymentConfigDoesNotExistException."""
    found = PREDEFINED.get(name) or custom_configs(backend).get(name)
    if found is None:
        raise _error(
            "DeploymentConfigDoesNotExistException",
            f"No deployment configuration found for name: {name}",
        )
    return found


def traffic_steps(config: dict[str, Any]) -> list[tuple[int, int]]:
    """The shift as (percent of traffic on the new version, minutes to wait after) steps."""
    routing = config.get("trafficRoutingConfig") or {"type": "AllAtOnce"}
    if routing["type"] == "TimeBasedCanary":
        canary = routing["timeBasedCanary"]
        return [(int(canary["canaryPercentage"]), int(canary["canaryInterval"])), (100, 0)]
    if routing["type"] == "TimeBasedLinear":
        linear = routing["timeBasedLinear"]
        step, every = int(linear["linearPercentage"]), int(linear["linearInterval"])
        return [(p, every) for p in range(step, 100, step)] + [(100, 0)]
    return [(100, 0)]


def _check_routing(routing: dict[str, Any] | None, platform: str) -> None:
    if platform == "Server":
        return
    if not routing or routing.get("type") not in (
        "TimeBasedCanary",
        "TimeBasedLinear",
        "AllAtOnce",
    ):
        raise _error(
            "InvalidTrafficRoutingConfigurationException",
            f"A {platform} deployment configuration needs a trafficRoutingConfig whose type is "
            "TimeBasedCanary, TimeBasedLinear or AllAtOnce.",
        )
    kind = routing["type"]
    if kind == "AllAtOnce":
        return
    key = "timeBasedCanary" if kind == "TimeBasedCanary" else "timeBasedLinear"
    prefix = "canary" if kind == "TimeBasedCanary" else "linear"
    spec = routing.get(key) or {}
    percentage, interval = spec.get(f"{prefix}Percentage"), spec.get(f"{prefix}Interval")
    if percentage is None or interval is None or not 0 < int(percentage) < 100 or interval < 1:
        raise _error(
            "InvalidTrafficRoutingConfigurationException",
            f"{kind} needs {key}.{prefix}Percentage between 1 and 99 and "
            f"{key}.{prefix}Interval of at least 1 minute.",
        )


def create_config(
    backend: Any,
    name: str | None,
    platform: str,
    routing: dict[str, Any] | None,
    hosts: dict[str, Any] | None,
) -> dict[str, Any]:
    """Add a custom configuration, checked as CreateDeploymentConfig checks it."""
    from moto.core.utils import utcnow

    if not name:
        raise _error("DeploymentConfigNameRequiredException", "Deployment config name is required")
    if name.startswith(PREFIX):
        raise _error(
            "InvalidDeploymentConfigNameException",
            f"The deployment configuration name cannot start with {PREFIX}",
        )
    store = custom_configs(backend)
    if name in store:
        raise _error(
            "DeploymentConfigAlreadyExistsException",
            f"A deployment configuration with the name {name} already exists",
        )
    _check_routing(routing, platform)
    info: dict[str, Any] = {
        "deploymentConfigName": name,
        "deploymentConfigId": str(uuid.uuid4()),
        "computePlatform": platform,
        "createTime": utcnow(),
    }
    if platform == "Server":
        info["minimumHealthyHosts"] = hosts
    else:
        info["trafficRoutingConfig"] = routing
    store[name] = info
    return info


def create_deployment_config(self: Any) -> Any:
    from moto.core.responses import ActionResult

    info = create_config(
        self.codedeploy_backend,
        self._get_param("deploymentConfigName"),
        self._get_param("computePlatform") or "Server",
        self._get_param("trafficRoutingConfig"),
        self._get_param("minimumHealthyHosts"),
    )
    return ActionResult({"deploymentConfigId": info["deploymentConfigId"]})


def get_deployment_config(self: Any) -> Any:
    from moto.core.responses import ActionResult

    name = self._get_param("deploymentConfigName")
    if not name:
        raise _error("DeploymentConfigNameRequiredException", "Deployment config name is required")
    return ActionResult({"deploymentConfigInfo": find(self.codedeploy_backend, name)})


def list_deployment_configs(self: Any) -> Any:
    from moto.core.responses import ActionResult

    names = sorted(PREDEFINED) + sorted(custom_configs(self.codedeploy_backend))
    return ActionResult({"deploymentConfigsList": names})


def delete_deployment_config(self: Any) -> Any:
    from moto.core.responses import EmptyResult

    name = self._get_param("deploymentConfigName")
    backend = self.codedeploy_backend
    if name in PREDEFINED:
        raise _error(
            "InvalidOperationException", "Cannot delete a default deployment configuration"
        )
    in_use = any(
        str(group.deployment_config_name) == name
        for groups in backend.deployment_groups.values()
        for group in groups.values()
    )
    if in_use:
        raise _error(
            "DeploymentConfigInUseException", "The deployment configuration is still in use."
        )
    custom_configs(backend).pop(name, None)
    return EmptyResult()


def install() -> None:
    from moto.codedeploy.responses import CodeDeployResponse

    for handler in (
        create_deployment_config,
        get_deployment_config,
        list_deployment_configs,
        delete_deployment_config,
    ):
        setattr(CodeDeployResponse, handler.__name__, handler)
