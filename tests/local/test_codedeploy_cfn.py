"""CloudFormation creates, updates and deletes CodeDeploy resources and CloudWatch alarms."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.local._cfn import body, final_status, outputs
from tests.local._functions import Account

ROLE = "arn:aws:iam::123456789012:role/codedeploy"


def _template() -> dict[str, Any]:
    canary = {
        "Type": "TimeBasedCanary",
        "TimeBasedCanary": {"CanaryPercentage": 20, "CanaryInterval": 5},
    }
    return {
        "Resources": {
            "App": {
                "Type": "AWS::CodeDeploy::Application",
                "Properties": {"ComputePlatform": "Lambda"},
            },
            "Canary": {
                "Type": "AWS::CodeDeploy::DeploymentConfig",
                "Properties": {"ComputePlatform": "Lambda", "TrafficRoutingConfig": canary},
            },
            "Errors": {
                "Type": "AWS::CloudWatch::Alarm",
                "Properties": {
                    "AlarmName": "api-errors",
                    "Namespace": "AWS/Lambda",
                    "MetricName": "Errors",
                    "Dimensions": [{"Name": "FunctionName", "Value": "api"}],
                    "Statistic": "Sum",
                    "Period": 60,
                    "EvaluationPeriods": 1,
                    "Threshold": 1,
                    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
                    "TreatMissingData": "notBreaching",
                },
            },
            "Group": {
                "Type": "AWS::CodeDeploy::DeploymentGroup",
                "Properties": {
                    "ApplicationName": {"Ref": "App"},
                    "DeploymentGroupName": "api",
                    "ServiceRoleArn": ROLE,
                    "DeploymentConfigName": {"Ref": "Canary"},
                    "AlarmConfiguration": {
                        "Enabled": True,
                        "Alarms": [{"Name": {"Ref": "Errors"}}],
                    },
                    "AutoRollbackConfiguration": {
                        "Enabled": True,
                        "Events": ["DEPLOYMENT_FAILURE"],
                    },
                    "DeploymentStyle": {
                        "DeploymentType": "BLUE_GREEN",
                        "DeploymentOption": "WITH_TRAFFIC_CONTROL",
                    },
                },
            },
        },
        "Outputs": {
            "App": {"Value": {"Ref": "App"}},
            "Config": {"Value": {"Ref": "Canary"}},
            "Group": {"Value": {"Ref": "Group"}},
            "AlarmArn": {"Value": {"Fn::GetAtt": ["Errors", "Arn"]}},
        },
    }


def _group(account: Account, app: str) -> dict[str, Any]:
    found = account.cd.get_deployment_group(applicationName=app, deploymentGroupName="api")
    return dict(found["deploymentGroupInfo"])


def test_a_stack_makes_updates_and_deletes_codedeploy_resources_and_alarms(
    account: Account,
) -> None:
    """AWS: `Ref` of an application, group or configuration is its name (generated from the
    stack and logical id when none is given), `Fn::GetAtt Arn` of an alarm its ARN; a group's
    alarm and rollback settings update in place, an alarm's threshold too (its state kept); a
    configuration's changed routing replaces it, and the group follows the new name; deleting the
    stack deletes them all.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-codedeploy-deploymentgroup.html
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-codedeploy-deploymentconfig.html
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html
    """
    cfn = account.clients.client("cloudformation")
    template = _template()
    cfn.create_stack(StackName="cd", TemplateBody=body(template))
    assert final_status(cfn, "cd") == "CREATE_COMPLETE"
    out = outputs(cfn, "cd")
    assert out["App"].startswith("cd-App-") and out["Group"] == "api"
    assert out["AlarmArn"] == "arn:aws:cloudwatch:us-east-1:123456789012:alarm:api-errors"
    group = _group(account, out["App"])
    assert group["deploymentConfigName"] == out["Config"]
    assert group["alarmConfiguration"] == {"enabled": True, "alarms": [{"name": "api-errors"}]}
    assert group["autoRollbackConfiguration"] == {"enabled": True, "events": ["DEPLOYMENT_FAILURE"]}
    config = account.cd.get_deployment_config(deploymentConfigName=out["Config"])
    assert config["deploymentConfigInfo"]["trafficRoutingConfig"]["timeBasedCanary"] == {
        "canaryPercentage": 20,
        "canaryInterval": 5,
    }
    account.cw.set_alarm_state(AlarmName="api-errors", StateValue="ALARM", StateReason="drill")

    updated = copy.deepcopy(template)
    resources = updated["Resources"]
    resources["Group"]["Properties"]["AutoRollbackConfiguration"]["Events"].append(
        "DEPLOYMENT_STOP_ON_ALARM"
    )
    resources["Errors"]["Properties"]["Threshold"] = 5
    resources["Canary"]["Properties"]["TrafficRoutingConfig"]["TimeBasedCanary"][
        "CanaryPercentage"
    ] = 50
    cfn.update_stack(StackName="cd", TemplateBody=body(updated))
    assert final_status(cfn, "cd") == "UPDATE_COMPLETE"
    new_config = outputs(cfn, "cd")["Config"]
    assert new_config != out["Config"]
    group = _group(account, out["App"])
    assert group["deploymentConfigName"] == new_config
    assert group["autoRollbackConfiguration"]["events"] == [
        "DEPLOYMENT_FAILURE",
        "DEPLOYMENT_STOP_ON_ALARM",
    ]
    alarm = account.cw.describe_alarms(AlarmNames=["api-errors"])["MetricAlarms"][0]
    assert (alarm["Threshold"], alarm["StateValue"]) == (5.0, "ALARM")
    with pytest.raises(ClientError):
        account.cd.get_deployment_config(deploymentConfigName=out["Config"])

    cfn.delete_stack(StackName="cd")
    assert account.cw.describe_alarms(AlarmNames=["api-errors"])["MetricAlarms"] == []
    assert out["App"] not in account.cd.list_applications()["applications"]
    with pytest.raises(ClientError):
        account.cd.get_deployment_config(deploymentConfigName=new_config)


def test_a_group_left_without_a_configuration_or_style_takes_the_lambda_defaults_and_goes_alone(
    account: Account,
) -> None:
    """AWS: a deployment group of a Lambda application deploys with
    `CodeDeployDefault.LambdaAllAtOnce` in the `BLUE_GREEN` / `WITH_TRAFFIC_CONTROL` style unless
    it names others; an update that drops `DeploymentConfigName` and `DeploymentStyle` goes back
    to them. A group removed from the template is deleted, its application kept.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/deployment-configurations.html
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-codedeploy-deploymentgroup.html
    """
    cfn = account.clients.client("cloudformation")
    template = _template()
    cfn.create_stack(StackName="cd", TemplateBody=body(template))
    assert final_status(cfn, "cd") == "CREATE_COMPLETE"
    app = outputs(cfn, "cd")["App"]

    updated = copy.deepcopy(template)
    group = updated["Resources"]["Group"]["Properties"]
    del group["DeploymentConfigName"], group["DeploymentStyle"]
    cfn.update_stack(StackName="cd", TemplateBody=body(updated))
    assert final_status(cfn, "cd") == "UPDATE_COMPLETE"
    found = _group(account, app)
    assert found["deploymentConfigName"] == "CodeDeployDefault.LambdaAllAtOnce"
    assert found["deploymentStyle"] == {
        "deploymentType": "BLUE_GREEN",
        "deploymentOption": "WITH_TRAFFIC_CONTROL",
    }
    assert found["serviceRoleArn"] == ROLE

    del updated["Resources"]["Group"], updated["Outputs"]["Group"]
    cfn.update_stack(StackName="cd", TemplateBody=body(updated))
    assert final_status(cfn, "cd") == "UPDATE_COMPLETE"
    assert account.cd.list_deployment_groups(applicationName=app)["deploymentGroups"] == []
    assert app in account.cd.list_applications()["applications"]
