"""Gradual promotion on CodeDeploy: what phase one renders so that `alias promote --canary/--linear`
runs server-side, watches alarms for the whole shift and rolls back without a client.

In the app's own part (the root stack): the environment's CodeDeploy application (compute platform
Lambda) and the service roles CodeDeploy assumes to shift aliases, one per set of owners, each
allowed to move its own functions' aliases only (`codedeploy_role`). Per function, in the
function's part (so in its nested stack when it has one):

- its deployment group, which runs as its owners' service role, watches the function's alarms
  and rolls back automatically on a failure, on an alarm and on a stop request. Its
  configuration is AWS's all-at-once: phase two names the schedule (`--canary`, `--linear`) on
  each deployment, which overrides the group's;
- the alarms `twophase.config.alarms` says phase one generates: one on the function's Lambda
  `Errors`, and for an HTTP function one on its API's `5xx` responses; the group also watches
  the alarms `promotion.alarms` names.

A hook function (`promotion.before_traffic`/`after_traffic` of another function) may report its
verdict to CodeDeploy. Pure: same config, same resources.
"""

from __future__ import annotations

from typing import Any

from twophase import names
from twophase.config.alarms import generated_alarms
from twophase.config.model import Config, Function
from twophase.infra.render.codedeploy_role import PromotionRoles, role_resources
from twophase.infra.render.function import Resources, get_att, ref, serving_alias, statement
from twophase.names import CODEDEPLOY_APPLICATION_ID, FunctionIds

# The group's own configuration: a deployment of phase two names the schedule it runs with.
GROUP_CONFIG = "CodeDeployDefault.LambdaAllAtOnce"
ROLLBACK_EVENTS = ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM", "DEPLOYMENT_STOP_ON_REQUEST"]
HTTP_STAGE = "$default"  # the HTTP API's one stage (`twophase.infra.render.triggers`)
# PutLifecycleEventHookExecutionStatus: IAM's Service Authorization Reference for CodeDeploy lists
# no resource type for it, so it is granted on `*` (the call names a deployment and an execution
# id that only CodeDeploy's invocation of the hook tells).
HOOK_ACTIONS = ["codedeploy:PutLifecycleEventHookExecutionStatus"]
HOOK_POLICY = "promotion-hook"


def app_resources(config: Config, env: str, promotion: PromotionRoles) -> Resources:
    """The CodeDeploy application and its service roles, as `promotion` found them (none for an
    app without functions)."""
    if not config.functions:
        return {}
    return {
        CODEDEPLOY_APPLICATION_ID: {
            "Type": "AWS::CodeDeploy::Application",
            "Properties": {
                "ApplicationName": names.codedeploy_application(config.app, env),
                "ComputePlatform": "Lambda",
            },
        },
        **role_resources(config, env, promotion.service_roles),
    }


def function_resources(
    config: Config, env: str, fn: Function, ids: FunctionIds, role_id: str
) -> Resources:
    """The function's deployment group (running as the service role `role_id`) and the alarms
    it watches."""
    physical = config.function_name(env, fn.name)
    alarms: Resources = {}
    for alarm in generated_alarms(fn):
        match alarm:
            case "errors":
                alarms[ids.errors_alarm] = _errors_alarm(config, env, fn, physical)
            case "http_5xx":
                alarms[ids.http_errors_alarm] = _http_errors_alarm(config, env, fn, ids, physical)
    watched: list[dict[str, Any]] = [{"Name": ref(logical_id)} for logical_id in alarms]
    watched += [{"Name": alarm} for alarm in fn.promotion.alarms]
    group = {
        "Type": "AWS::CodeDeploy::DeploymentGroup",
        "Properties": {
            "ApplicationName": ref(CODEDEPLOY_APPLICATION_ID),
            "DeploymentGroupName": names.deployment_group_name(config.app, env, fn.name),
            "ServiceRoleArn": get_att(role_id, "Arn"),
            "DeploymentConfigName": GROUP_CONFIG,
            "DeploymentStyle": {
                "DeploymentType": "BLUE_GREEN",
                "DeploymentOption": "WITH_TRAFFIC_CONTROL",
            },
            "AlarmConfiguration": {"Enabled": True, "Alarms": watched},
            "AutoRollbackConfiguration": {"Enabled": True, "Events": list(ROLLBACK_EVENTS)},
        },
    }
    return {ids.deployment_group: group, **alarms}


def add_promotion(
    config: Config,
    env: str,
    fn: Function,
    ids: FunctionIds,
    resources: Resources,
    shared: PromotionRoles,
) -> None:
    """Add the function's promotion resources to `resources` (its part of the template), and
    its right to report as a hook when another function names it one (`shared`: the hook
    functions and each function's service role, found once for the whole template)."""
    resources.update(function_resources(config, env, fn, ids, shared.roles[fn.name]))
    if fn.name in shared.hooks:
        grant_hook_rights(ids, resources)


def grant_hook_rights(ids: FunctionIds, resources: Resources) -> None:
    """Let a hook function's execution role report its verdict to CodeDeploy."""
    policy = {
        "PolicyName": HOOK_POLICY,
        "PolicyDocument": {
            "Version": "2012-10-17",
            "Statement": [statement(HOOK_ACTIONS, "*")],
        },
    }
    resources[ids.role]["Properties"]["Policies"].append(policy)


def _errors_alarm(config: Config, env: str, fn: Function, physical: str) -> dict[str, Any]:
    """Any function error through the serving alias (the last of the chain) within a minute.

    The serving alias is where a gradual promotion shifts traffic and what users reach; Lambda
    publishes `Errors` for a call through an alias under `FunctionName` + `Resource`
    (`NAME:ALIAS`), whichever of the alias's versions ran, so the alarm sees the new version's
    failures as soon as it takes a share of the traffic (the old version's too: it judges what
    the alias serves)."""
    alias = serving_alias(config)
    dimensions = [
        {"Name": "FunctionName", "Value": physical},
        {"Name": "Resource", "Value": f"{physical}:{alias}"},
    ]
    return _alarm(
        names.errors_alarm_name(config.app, env, fn.name),
        f"Function errors of {physical} through its {alias} alias: stops a gradual promotion "
        "and rolls it back (twophase)",
        "AWS/Lambda",
        "Errors",
        dimensions,
    )


def _http_errors_alarm(
    config: Config, env: str, fn: Function, ids: FunctionIds, physical: str
) -> dict[str, Any]:
    """Any 5xx answer of the function's HTTP API within a minute: code that answers 500 without
    raising is no Lambda error, and API Gateway's own 5xx (a timeout, a malformed answer) are
    not either. HTTP APIs publish `5xx` per `ApiId` and per `ApiId` + `Stage`."""
    dimensions: list[dict[str, Any]] = [
        {"Name": "ApiId", "Value": ref(ids.http_api)},
        {"Name": "Stage", "Value": HTTP_STAGE},
    ]
    return _alarm(
        names.http_errors_alarm_name(config.app, env, fn.name),
        f"5xx answers of the HTTP API of {physical}: stops a gradual promotion and rolls it "
        "back (twophase)",
        "AWS/ApiGateway",
        "5xx",
        dimensions,
    )


def _alarm(
    name: str, description: str, namespace: str, metric: str, dimensions: list[dict[str, Any]]
) -> dict[str, Any]:
    """One failure in a minute is enough. A minute without calls is no failure
    (`notBreaching`): the alarm judges the calls that happen."""
    return {
        "Type": "AWS::CloudWatch::Alarm",
        "Properties": {
            "AlarmName": name,
            "AlarmDescription": description,
            "Namespace": namespace,
            "MetricName": metric,
            "Dimensions": dimensions,
            "Statistic": "Sum",
            "Period": 60,
            "EvaluationPeriods": 1,
            "Threshold": 1,
            "ComparisonOperator": "GreaterThanOrEqualToThreshold",
            "TreatMissingData": "notBreaching",
        },
    }
