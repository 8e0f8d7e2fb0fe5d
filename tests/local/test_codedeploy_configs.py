"""CodeDeploy's deployment configurations and deployment groups answer as AWS answers."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local._codedeploy import APP, GROUP, group
from tests.local._functions import Account


def _code(call: Any, **params: Any) -> str:
    with pytest.raises(ClientError) as refused:
        call(**params)
    return str(refused.value.response["Error"]["Code"])


def _canary(percent: int, minutes: int) -> dict[str, Any]:
    return {
        "type": "TimeBasedCanary",
        "timeBasedCanary": {"canaryPercentage": percent, "canaryInterval": minutes},
    }


def _linear(percent: int, minutes: int) -> dict[str, Any]:
    return {
        "type": "TimeBasedLinear",
        "timeBasedLinear": {"linearPercentage": percent, "linearInterval": minutes},
    }


PREDEFINED = {
    "LambdaAllAtOnce": {"type": "AllAtOnce"},
    "LambdaCanary10Percent5Minutes": _canary(10, 5),
    "LambdaCanary10Percent10Minutes": _canary(10, 10),
    "LambdaCanary10Percent15Minutes": _canary(10, 15),
    "LambdaCanary10Percent30Minutes": _canary(10, 30),
    "LambdaLinear10PercentEvery1Minute": _linear(10, 1),
    "LambdaLinear10PercentEvery2Minutes": _linear(10, 2),
    "LambdaLinear10PercentEvery3Minutes": _linear(10, 3),
    "LambdaLinear10PercentEvery10Minutes": _linear(10, 10),
}


def test_the_predefined_lambda_configurations_exist(account: Account) -> None:
    """AWS: every account has the predefined `CodeDeployDefault.Lambda*` configurations.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html#deployment-configuration-lambda
    """
    listed = account.cd.list_deployment_configs()["deploymentConfigsList"]
    for name, routing in PREDEFINED.items():
        assert f"CodeDeployDefault.{name}" in listed
        found = account.cd.get_deployment_config(deploymentConfigName=f"CodeDeployDefault.{name}")
        config = found["deploymentConfigInfo"]
        assert (config["computePlatform"], config["trafficRoutingConfig"]) == ("Lambda", routing)


def test_a_custom_configuration_is_created_listed_read_and_deleted(account: Account) -> None:
    """AWS: CreateDeploymentConfig with a time-based linear routing; the name is unique
    (DeploymentConfigAlreadyExistsException), a percentage must be below 100
    (InvalidTrafficRoutingConfigurationException), predefined configurations cannot be deleted
    (InvalidOperationException), an unknown one is DeploymentConfigDoesNotExistException.
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentConfig.html
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeleteDeploymentConfig.html
    """
    routing = {
        "type": "TimeBasedLinear",
        "timeBasedLinear": {"linearPercentage": 25, "linearInterval": 2},
    }
    cd = account.cd
    create = cd.create_deployment_config
    create(deploymentConfigName="quarter", computePlatform="Lambda", trafficRoutingConfig=routing)
    assert "quarter" in cd.list_deployment_configs()["deploymentConfigsList"]
    info = cd.get_deployment_config(deploymentConfigName="quarter")["deploymentConfigInfo"]
    assert info["trafficRoutingConfig"] == routing
    params = {"deploymentConfigName": "quarter", "computePlatform": "Lambda"}
    assert _code(create, **params, trafficRoutingConfig=routing) == (
        "DeploymentConfigAlreadyExistsException"
    )
    whole = {
        "type": "TimeBasedCanary",
        "timeBasedCanary": {"canaryPercentage": 100, "canaryInterval": 1},
    }
    assert _code(
        create, deploymentConfigName="all", computePlatform="Lambda", trafficRoutingConfig=whole
    ) == ("InvalidTrafficRoutingConfigurationException")
    delete = cd.delete_deployment_config
    assert _code(delete, deploymentConfigName="CodeDeployDefault.LambdaAllAtOnce") == (
        "InvalidOperationException"
    )
    delete(deploymentConfigName="quarter")
    assert _code(cd.get_deployment_config, deploymentConfigName="quarter") == (
        "DeploymentConfigDoesNotExistException"
    )


def test_a_lambda_group_keeps_its_alarms_and_rollback_settings(account: Account) -> None:
    """AWS: a Lambda group without a configuration deploys with LambdaAllAtOnce, its style is
    BLUE_GREEN with traffic control, GetDeploymentGroup returns its alarm and auto-rollback
    configuration; an enabled alarm configuration without alarms is InvalidAlarmConfigException;
    UpdateDeploymentGroup changes them; DeleteApplication deletes its groups.
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentGroup.html
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_UpdateDeploymentGroup.html
    """
    cd = account.cd
    alarms = {"enabled": True, "ignorePollAlarmFailure": False, "alarms": [{"name": "api-errors"}]}
    rollback = {"enabled": True, "events": ["DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"]}
    cd.create_application(applicationName=APP, computePlatform="Lambda")
    cd.create_deployment_group(
        applicationName=APP,
        deploymentGroupName=GROUP,
        serviceRoleArn=account.role,
        alarmConfiguration=alarms,
        autoRollbackConfiguration=rollback,
    )
    info = cd.get_deployment_group(applicationName=APP, deploymentGroupName=GROUP)
    shown = info["deploymentGroupInfo"]
    assert shown["deploymentConfigName"] == "CodeDeployDefault.LambdaAllAtOnce"
    assert shown["deploymentStyle"] == {
        "deploymentType": "BLUE_GREEN",
        "deploymentOption": "WITH_TRAFFIC_CONTROL",
    }
    assert (shown["alarmConfiguration"], shown["autoRollbackConfiguration"]) == (alarms, rollback)
    empty = {"enabled": True, "alarms": []}
    assert (
        _code(
            cd.create_deployment_group,
            applicationName=APP,
            deploymentGroupName="other",
            serviceRoleArn=account.role,
            alarmConfiguration=empty,
        )
        == "InvalidAlarmConfigException"
    )

    cd.update_deployment_group(
        applicationName=APP,
        currentDeploymentGroupName=GROUP,
        deploymentConfigName="CodeDeployDefault.LambdaLinear10PercentEvery1Minute",
        alarmConfiguration={"enabled": False, "alarms": []},
    )
    info = cd.get_deployment_group(applicationName=APP, deploymentGroupName=GROUP)
    updated = info["deploymentGroupInfo"]
    assert updated["deploymentConfigName"] == "CodeDeployDefault.LambdaLinear10PercentEvery1Minute"
    assert updated["alarmConfiguration"]["enabled"] is False
    cd.delete_application(applicationName=APP)
    assert _code(cd.get_deployment_group, applicationName=APP, deploymentGroupName=GROUP) == (
        "ApplicationDoesNotExistException"
    )


def test_a_group_naming_an_unknown_configuration_is_refused(account: Account) -> None:
    """AWS: CreateDeploymentGroup with a configuration that does not exist is
    DeploymentConfigDoesNotExistException.
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeploymentGroup.html
    """
    with pytest.raises(ClientError) as refused:
        group(account, "CodeDeployDefault.LambdaCanary99Percent1Minute")
    assert refused.value.response["Error"]["Code"] == "DeploymentConfigDoesNotExistException"
