"""CodeDeploy shifts a Lambda alias server-side, watches alarms, stops and rolls back, as on AWS."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local._codedeploy import (
    APP,
    FN,
    GROUP,
    appspec,
    deploy,
    finished,
    group,
    info,
    rollback_on,
    target,
    two_versions,
    weight_reaches,
)
from tests.local._functions import RELEASE, Account

SLOW_CANARY = "CodeDeployDefault.LambdaCanary10Percent30Minutes"  # 3 s at scale 600


def _weights(account: Account) -> tuple[str, dict[str, float]]:
    alias = account.alias(FN, "live")
    return alias["FunctionVersion"], (alias.get("RoutingConfig") or {}).get(
        "AdditionalVersionWeights", {}
    )


def test_a_canary_shifts_ten_percent_then_everything_and_succeeds(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: with `CodeDeployDefault.LambdaCanary10Percent5Minutes` the alias sends 10% of its
    traffic to the target version (RoutingConfig weight 0.1), five minutes later all of it; the
    deployment is `Succeeded` with its one target, the alias, `Succeeded`.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_LambdaFunctionInfo.html
    """
    time_scale(600)  # five minutes last half a second
    two_versions(account)
    group(account, "CodeDeployDefault.LambdaCanary10Percent5Minutes")
    deployment_id = deploy(account)
    assert deployment_id.startswith("d-") and len(deployment_id) == 11

    weight_reaches(account, deployment_id, 10.0)
    assert _weights(account) == ("1", {"2": 0.1})
    assert info(account, deployment_id)["status"] == "InProgress"

    done = finished(account, deployment_id)
    assert done["status"] == "Succeeded"
    assert (done["creator"], done["computePlatform"]) == ("user", "Lambda")
    assert done["deploymentOverview"]["Succeeded"] == 1
    assert done["completeTime"] >= done["startTime"] >= done["createTime"]
    assert "errorInformation" not in done and "rollbackInfo" not in done
    assert _weights(account) == ("2", {})
    lambda_target = target(account, deployment_id)
    assert lambda_target["status"] == "Succeeded"
    assert lambda_target["lambdaFunctionInfo"] == {
        "functionName": FN,
        "functionAlias": "live",
        "currentVersion": "1",
        "targetVersion": "2",
        "targetVersionWeight": 100.0,
    }
    assert account.cd.list_deployment_targets(deploymentId=deployment_id)["targetIds"] == [
        f"{FN}:live"
    ]
    listed = account.cd.list_deployments(
        applicationName=APP, deploymentGroupName=GROUP, includeOnlyStatuses=["Succeeded"]
    )
    assert listed["deployments"] == [deployment_id]


def test_an_errors_alarm_firing_mid_shift_stops_the_deployment_and_rolls_the_alias_back(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: the group's alarms are watched during the whole deployment; one in ALARM stops it
    (`Stopped`, `ALARM_ACTIVE` naming the alarm) and, with DEPLOYMENT_STOP_ON_ALARM, rolls it back
    through a new deployment (`creator` codeDeployRollback) that points the alias at the current
    version again; `rollbackInfo` links the two.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html
    https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-rollback-and-redeploy.html
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_RollbackInfo.html
    """
    time_scale(60)  # the alarm's minute lasts a second, the 30-minute canary half a minute
    two_versions(account, target_source=RELEASE.format(n=2).replace('event.get("fail")', "True"))
    account.cd.create_deployment_config(
        deploymentConfigName="half-then-rest",
        computePlatform="Lambda",
        trafficRoutingConfig={
            "type": "TimeBasedCanary",
            "timeBasedCanary": {"canaryPercentage": 50, "canaryInterval": 30},
        },
    )
    dims = {"FunctionName": FN, "Resource": f"{FN}:live", "ExecutedVersion": "2"}
    account.cw.put_metric_alarm(
        AlarmName="api-v2-errors",
        Namespace="AWS/Lambda",
        MetricName="Errors",
        Dimensions=[{"Name": k, "Value": v} for k, v in dims.items()],
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    alarms = {"enabled": True, "alarms": [{"name": "api-v2-errors"}]}
    group(
        account,
        "half-then-rest",
        alarmConfiguration=alarms,
        **rollback_on("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"),
    )
    deployment_id = deploy(account)
    weight_reaches(account, deployment_id, 50.0)
    while info(account, deployment_id)["status"] == "InProgress":  # traffic meets version 2
        account.invoke(f"{FN}:live")

    done = finished(account, deployment_id)
    assert done["status"] == "Stopped"
    assert done["errorInformation"]["code"] == "ALARM_ACTIVE"
    assert done["errorInformation"]["message"].endswith("Activated alarms: <api-v2-errors>")
    rollback_id = done["rollbackInfo"]["rollbackDeploymentId"]
    assert done["rollbackInfo"]["rollbackMessage"] == (
        f"Deployment {deployment_id} terminated. "
        f"Automatic rollback is triggered with a DeploymentId {rollback_id}."
    )
    assert _weights(account) == ("1", {})
    rollback = info(account, rollback_id)
    assert (rollback["status"], rollback["creator"]) == ("Succeeded", "codeDeployRollback")
    assert rollback["rollbackInfo"]["rollbackTriggeringDeploymentId"] == deployment_id
    assert target(account, deployment_id)["status"] == "Failed"


def test_stop_deployment_rolls_back_when_asked_and_otherwise_leaves_the_weights(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: StopDeployment with autoRollbackEnabled rolls the alias back to the current version;
    without rollback the alias keeps the weights the deployment gave it (the user guide's
    troubleshooting: "the alias ... might reference two different versions"); stopping a
    finished deployment is DeploymentAlreadyCompletedException.
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_StopDeployment.html
    https://docs.aws.amazon.com/codedeploy/latest/userguide/troubleshooting-deployments-lambda.html
    """
    time_scale(600)
    two_versions(account)
    group(account, SLOW_CANARY)
    first = deploy(account)
    weight_reaches(account, first, 10.0)
    stopped = account.cd.stop_deployment(deploymentId=first, autoRollbackEnabled=False)
    assert stopped["status"] == "Succeeded"
    assert info(account, first)["status"] == "Stopped"
    assert info(account, first)["errorInformation"]["code"] == "MANUAL_STOP"
    assert _weights(account) == ("1", {"2": 0.1})

    account.lam.update_alias(FunctionName=FN, Name="live", RoutingConfig={})
    second = deploy(account)
    weight_reaches(account, second, 10.0)
    assert account.cd.stop_deployment(deploymentId=second, autoRollbackEnabled=True)["status"] == (
        "Succeeded"
    )
    done = info(account, second)
    assert done["status"] == "Stopped" and "rollbackDeploymentId" in done["rollbackInfo"]
    assert _weights(account) == ("1", {})
    with pytest.raises(ClientError) as refused:
        account.cd.stop_deployment(deploymentId=second)
    assert refused.value.response["Error"]["Code"] == "DeploymentAlreadyCompletedException"


def test_a_group_with_an_active_deployment_refuses_another(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: CreateDeployment on a group whose deployment is still active fails with
    DeploymentLimitExceededException "The Deployment Group 'G' already has an active Deployment
    'd-…'"; a client's UpdateAlias meanwhile is not blocked.
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html
    """
    time_scale(600)
    two_versions(account)
    group(account, SLOW_CANARY)
    first = deploy(account)
    with pytest.raises(ClientError) as refused:
        deploy(account)
    error: dict[str, Any] = dict(refused.value.response["Error"])
    assert error["Code"] == "DeploymentLimitExceededException"
    assert error["Message"] == (
        f"The Deployment Group '{GROUP}' already has an active Deployment '{first}'"
    )
    weight_reaches(account, first, 10.0)
    account.lam.update_alias(FunctionName=FN, Name="live", Description="moved by hand")
    account.cd.stop_deployment(deploymentId=first, autoRollbackEnabled=True)


def test_an_alias_not_on_the_current_version_fails_the_deployment(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: a deployment whose AppSpec `CurrentVersion` is not the alias's version fails with
    INVALID_LAMBDA_CONFIGURATION ("The Lambda function alias version does not match the current
    version in AppSpec file.") and leaves the alias alone; it has no target.
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ErrorInformation.html
    """
    time_scale(600)
    two_versions(account)
    account.release(FN, RELEASE.format(n=3))
    group(account, "CodeDeployDefault.LambdaAllAtOnce", **rollback_on("DEPLOYMENT_FAILURE"))
    deployment_id = deploy(account, appspec(current="2", target="3"))

    done = finished(account, deployment_id)
    assert done["status"] == "Failed"
    assert done["errorInformation"]["code"] == "INVALID_LAMBDA_CONFIGURATION"
    assert done["errorInformation"]["message"].endswith(
        "The Lambda function alias version does not match the current version in AppSpec file."
    )
    assert "rollbackInfo" not in done
    assert account.cd.list_deployment_targets(deploymentId=deployment_id)["targetIds"] == []
    assert _weights(account) == ("1", {})


def test_a_yaml_appspec_deploys_all_at_once_and_a_wrong_sha256_is_refused(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: the AppSpec may be YAML, in a `String` revision; `CodeDeployDefault.LambdaAllAtOnce`
    moves the whole alias at once; a revision whose sha256 does not match its content is
    InvalidRevisionException.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-example.html#appspec-file-example-lambda
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_RawString.html
    """
    time_scale(600)
    two_versions(account)
    group(account, "CodeDeployDefault.LambdaAllAtOnce")
    content = (
        "version: 0.0\nResources:\n  - api:\n      Type: AWS::Lambda::Function\n"
        f"      Properties:\n        Name: {FN}\n        Alias: live\n"
        "        CurrentVersion: 1\n        TargetVersion: 2\n"
    )
    revision: dict[str, Any] = {"revisionType": "String", "string": {"content": content}}
    with pytest.raises(ClientError) as refused:
        account.cd.create_deployment(
            applicationName=APP,
            deploymentGroupName=GROUP,
            revision={**revision, "string": {"content": content, "sha256": "0" * 64}},
        )
    assert refused.value.response["Error"]["Code"] == "InvalidRevisionException"
    created = account.cd.create_deployment(
        applicationName=APP, deploymentGroupName=GROUP, revision=revision
    )
    assert finished(account, created["deploymentId"])["status"] == "Succeeded"
    assert _weights(account) == ("2", {})
