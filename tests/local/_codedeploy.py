"""Helpers for the CodeDeploy tests: a function with two versions, a group, an AppSpec."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.local._functions import RELEASE, Account, wait_for

APP, GROUP, FN = "shop", "api", "api"
DONE = ("Succeeded", "Failed", "Stopped")

# A hook function: reports the status in its HOOK_STATUS variable, or nothing ("silent").
HOOK = """
import os
import boto3

def handler(event, context):
    status = os.environ["HOOK_STATUS"]
    if status != "silent":
        boto3.client("codedeploy").put_lifecycle_event_hook_execution_status(
            deploymentId=event["DeploymentId"],
            lifecycleEventHookExecutionId=event["LifecycleEventHookExecutionId"],
            status=status,
        )
"""


def two_versions(account: Account, target_source: str = RELEASE.format(n=2)) -> None:
    """FN version 1 behind alias `live`, and version 2 published."""
    account.function(FN)
    account.lam.publish_version(FunctionName=FN)
    account.lam.create_alias(FunctionName=FN, Name="live", FunctionVersion="1")
    assert account.release(FN, target_source) == "2"


def group(account: Account, config: str, **extra: Any) -> None:
    """The Lambda application and its group, deploying with `config`."""
    account.cd.create_application(applicationName=APP, computePlatform="Lambda")
    account.cd.create_deployment_group(
        applicationName=APP,
        deploymentGroupName=GROUP,
        serviceRoleArn=account.role,
        deploymentConfigName=config,
        **extra,
    )


def rollback_on(*events: str) -> dict[str, Any]:
    return {"autoRollbackConfiguration": {"enabled": True, "events": list(events)}}


def appspec(current: str = "1", target: str = "2", hooks: dict[str, str] | None = None) -> str:
    resource = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Name": FN,
            "Alias": "live",
            "CurrentVersion": current,
            "TargetVersion": target,
        },
    }
    spec: dict[str, Any] = {"version": 0.0, "Resources": [{"Fn": resource}]}
    if hooks:
        spec["Hooks"] = [{event: fn} for event, fn in hooks.items()]
    return json.dumps(spec)


def deploy(account: Account, content: str | None = None, **extra: Any) -> str:
    revision = {
        "revisionType": "AppSpecContent",
        "appSpecContent": {"content": content or appspec()},
    }
    created = account.cd.create_deployment(
        applicationName=APP, deploymentGroupName=GROUP, revision=revision, **extra
    )
    return str(created["deploymentId"])


def info(account: Account, deployment_id: str) -> dict[str, Any]:
    return dict(account.cd.get_deployment(deploymentId=deployment_id)["deploymentInfo"])


def finished(account: Account, deployment_id: str, timeout: float = 20) -> dict[str, Any]:
    """The deployment once it is over."""
    found: dict[str, Any] = wait_for(
        lambda: (d := info(account, deployment_id))["status"] in DONE and d, timeout=timeout
    )
    return found


def target(account: Account, deployment_id: str) -> dict[str, Any]:
    found = account.cd.get_deployment_target(deploymentId=deployment_id, targetId=f"{FN}:live")
    return dict(found["deploymentTarget"]["lambdaTarget"])


def weight_reaches(account: Account, deployment_id: str, percent: float) -> None:
    """Wait until the deployment gives the target version `percent` of the traffic."""

    def reached() -> bool:
        if info(account, deployment_id)["status"] == "Created":
            return False
        weight = target(account, deployment_id)["lambdaFunctionInfo"]["targetVersionWeight"]
        return bool(weight == percent)

    wait_for(reached)


def events(account: Account, deployment_id: str) -> dict[str, str]:
    return {
        e["lifecycleEventName"]: e["status"]
        for e in target(account, deployment_id)["lifecycleEvents"]
    }


def hook(account: Account, name: str, status: str) -> None:
    account.lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=account.role,
        Handler="app.handler",
        Code={"ZipFile": _zip(HOOK)},
        Timeout=30,
        Environment={"Variables": {"HOOK_STATUS": status}},
    )


def _zip(source: str) -> bytes:
    from twophase.build.detzip import Entry, build_zip

    return build_zip([Entry("app.py", source.encode())])


def invocations(account: Account, function: str) -> float:
    """The function's `Invocations` over the last ten minutes, as CloudWatch sums them."""
    now = datetime.now(UTC)
    points = account.cw.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="Invocations",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        StartTime=now - timedelta(minutes=10),
        EndTime=now + timedelta(minutes=1),
        Period=600,
        Statistics=["Sum"],
    )["Datapoints"]
    return float(sum(p["Sum"] for p in points))


def quiet_alarm(account: Account, name: str, function: str = FN) -> None:
    """An alarm on the function's `Errors` that does not fire (no data, not breaching)."""
    account.cw.put_metric_alarm(
        AlarmName=name,
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": "FunctionName", "Value": function}],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )
