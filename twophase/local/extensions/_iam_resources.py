"""The resources IAM checks CodeDeploy and CloudWatch requests against (not an extension itself:
no `install`; `iam_enforcement` uses it).

AWS behaviour (Service Authorization Reference, "Actions, resources, and condition keys for AWS
CodeDeploy", https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html;
CodeDeploy user guide, "CodeDeploy permissions reference"): an action on a deployment group is
checked against `arn:aws:codedeploy:REGION:ACCOUNT:deploymentgroup:APPLICATION/GROUP`
(CreateDeployment, ListDeployments, GetDeployment, the group's own actions); an action on an
application against `…:application:APPLICATION`; on a deployment configuration against
`…:deploymentconfig:NAME`. Actions the reference lists with no resource type
(GetDeploymentTarget, ListDeploymentTargets, StopDeployment, …) are checked against `*`, so only
a statement with `"Resource": "*"` allows them. CreateDeployment also needs, with the caller's own
credentials, `codedeploy:GetDeploymentConfig` on the configuration the deployment uses, and, when
it names an `overrideAlarmConfiguration`, `codedeploy:UpdateDeploymentGroup` on the group (API
reference, CreateDeployment).

CloudWatch (same reference, "Amazon CloudWatch",
https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html):
requests are signed for the `monitoring` service and authorised as `cloudwatch:` actions; an
alarm action is checked against `arn:aws:cloudwatch:REGION:ACCOUNT:alarm:NAME`, each alarm a
request names (DescribeAlarms with AlarmNames: every one), `…:alarm:*` for DescribeAlarms of all;
metric actions against `*`.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

_GROUP_ACTIONS = {
    "CreateDeployment",
    "ListDeployments",
    "GetDeploymentGroup",
    "CreateDeploymentGroup",
    "DeleteDeploymentGroup",
    "UpdateDeploymentGroup",
}
_DEPLOYMENT_ACTIONS = {"GetDeployment", "ContinueDeployment"}  # named by id: its group
_CONFIG_ACTIONS = {"GetDeploymentConfig", "CreateDeploymentConfig", "DeleteDeploymentConfig"}
_APPLICATION_ACTIONS = {
    "GetApplication",
    "CreateApplication",
    "DeleteApplication",
    "UpdateApplication",
    "RegisterApplicationRevision",
    "GetApplicationRevision",
    "ListApplicationRevisions",
    "ListDeploymentGroups",
}


def _arn(region: str, account: str, resource: str) -> str:
    from moto.utilities.utils import get_partition

    return f"arn:{get_partition(region)}:codedeploy:{region}:{account}:{resource}"


def _backend(account: str, region: str) -> Any:
    from moto.codedeploy.models import codedeploy_backends

    return codedeploy_backends[account][region]


def codedeploy_resource(response: Any) -> str:
    """The ARN a CodeDeploy request addresses (`*` where IAM knows no resource for it)."""
    action = response._get_action()
    param = response._get_param
    region, account = response.region, response.current_account
    if action in _GROUP_ACTIONS:
        group = param("deploymentGroupName") or param("currentDeploymentGroupName")
        application = param("applicationName")
        if application and group:
            return _arn(region, account, f"deploymentgroup:{application}/{group}")
    if action in _DEPLOYMENT_ACTIONS:
        found = _backend(account, region).deployments.get(param("deploymentId") or "")
        if found is not None:
            where = f"{found.application_name}/{found.deployment_group_name}"
            return _arn(region, account, f"deploymentgroup:{where}")
    if action in _CONFIG_ACTIONS and param("deploymentConfigName"):
        return _arn(region, account, f"deploymentconfig:{param('deploymentConfigName')}")
    if action in _APPLICATION_ACTIONS and param("applicationName"):
        return _arn(region, account, f"application:{param('applicationName')}")
    return "*"


_ONE_ALARM = {"PutMetricAlarm", "PutCompositeAlarm", "SetAlarmState", "DescribeAlarmHistory"}
_ALARMS = {"DescribeAlarms", "DeleteAlarms", "EnableAlarmActions", "DisableAlarmActions"}


def alarm_arn(region: str, account: str, name: str) -> str:
    """The ARN IAM checks an action on the alarm `name` against."""
    from moto.utilities.utils import get_partition

    return f"arn:{get_partition(region)}:cloudwatch:{region}:{account}:alarm:{name}"


def cloudwatch_resource(response: Any) -> str:
    """The alarm a CloudWatch request addresses (the first, when it names several)."""
    action = response._get_action()
    region, account = response.region, response.current_account
    if action in _ONE_ALARM and response._get_param("AlarmName"):
        return alarm_arn(region, account, response._get_param("AlarmName"))
    if action in _ALARMS:
        names = response._get_param("AlarmNames") or []
        return alarm_arn(region, account, names[0] if names else "*")
    return "*"


def implied_actions(request: Any) -> Iterator[tuple[str, str, str]]:
    """(action, resource, what) a request also needs of the caller: every further alarm a
    CloudWatch request names; what a CodeDeploy CreateDeployment reads or overrides."""
    if request._action.startswith("cloudwatch:") and request._action.split(":")[1] in _ALARMS:
        for name in _alarm_names(request)[1:]:
            arn = alarm_arn(request._region, request.account_id, name)
            yield request._action, arn, arn
    if request._action != "codedeploy:CreateDeployment":
        return
    try:
        body = json.loads(request._body or b"{}")
    except ValueError:
        return
    application, group = body.get("applicationName"), body.get("deploymentGroupName")
    if not application or not group:
        return
    region, account = request._region, request.account_id
    config = body.get("deploymentConfigName") or _group_config(account, region, application, group)
    if config:
        arn = _arn(region, account, f"deploymentconfig:{config}")
        yield "codedeploy:GetDeploymentConfig", arn, arn
    if body.get("overrideAlarmConfiguration") is not None:
        arn = _arn(region, account, f"deploymentgroup:{application}/{group}")
        yield "codedeploy:UpdateDeploymentGroup", arn, arn


def _alarm_names(request: Any) -> list[str]:
    """AlarmNames of a JSON request, or of a query one (`AlarmNames.member.N`)."""
    try:
        body = json.loads(request._body or b"{}")
    except ValueError:
        body = {}
    if isinstance(body, dict) and body.get("AlarmNames"):
        return [str(n) for n in body["AlarmNames"]]
    form = request._data or {}
    keys = sorted(
        (k for k in form if k.startswith("AlarmNames.member.")),
        key=lambda k: int(k.rsplit(".", 1)[1]),
    )
    return [str(form[k][0] if isinstance(form[k], list) else form[k]) for k in keys]


def _group_config(account: str, region: str, application: str, group: str) -> str | None:
    found = _backend(account, region).deployment_groups.get(application, {}).get(group)
    return str(found.deployment_config_name) if found is not None else None
