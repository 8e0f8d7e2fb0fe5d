"""With enforcement on, CodeDeploy and CloudWatch requests are authorised on what they name."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_iam_enforcement import user_clients
from twophase.aws.session import Clients
from twophase.local.extensions.iam_enforcement import enable

ACCOUNT = "123456789012"
CODEDEPLOY = f"arn:aws:codedeploy:us-east-1:{ACCOUNT}"
ALARM = f"arn:aws:cloudwatch:us-east-1:{ACCOUNT}:alarm"
APPSPEC = {"revisionType": "AppSpecContent", "appSpecContent": {"content": "{}"}}
CONFIG = "CodeDeployDefault.LambdaAllAtOnce"


@pytest.fixture
def admin(local_aws: LocalAwsHandle) -> Iterator[Clients]:
    """Groups `a` and `b` of application `shop`, alarms `a-errors` and `b-errors`."""
    clients = local_aws.clients()
    codedeploy = clients.client("codedeploy")
    codedeploy.create_application(applicationName="shop", computePlatform="Lambda")
    for group in ("a", "b"):
        codedeploy.create_deployment_group(
            applicationName="shop",
            deploymentGroupName=group,
            serviceRoleArn=f"arn:aws:iam::{ACCOUNT}:role/codedeploy",
            deploymentConfigName=CONFIG,
        )
        clients.client("cloudwatch").put_metric_alarm(
            AlarmName=f"{group}-errors",
            Namespace="AWS/Lambda",
            MetricName="Errors",
            Statistic="Sum",
            Period=60,
            EvaluationPeriods=1,
            Threshold=1,
            ComparisonOperator="GreaterThanOrEqualToThreshold",
        )
    enable(True)
    try:
        yield clients
    finally:
        enable(False)


def denied(call: Any) -> str:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response["Error"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert error["Code"] == "AccessDeniedException", error
    return str(error["Message"])


def test_codedeploy_actions_are_checked_against_the_group_config_and_star(
    admin: Clients, local_aws: LocalAwsHandle
) -> None:
    """AWS: CreateDeployment, ListDeployments and GetDeployment name the deployment group
    (`deploymentgroup:APPLICATION/GROUP`); GetDeploymentTarget has no resource type (only `*`
    allows it); CreateDeployment also needs GetDeploymentConfig on the configuration it uses and,
    with overrideAlarmConfiguration, UpdateDeploymentGroup on the group.
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_awscodedeploy.html
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html
    """
    statement = {
        "Effect": "Allow",
        "Action": [
            "codedeploy:CreateDeployment",
            "codedeploy:ListDeployments",
            "codedeploy:GetDeployment",
            "codedeploy:GetDeploymentTarget",
            "codedeploy:GetDeploymentConfig",
        ],
        "Resource": [f"{CODEDEPLOY}:deploymentgroup:shop/a", f"{CODEDEPLOY}:deploymentconfig:*"],
    }
    codedeploy = user_clients(admin, local_aws.endpoint_url, "carol", statement).client(
        "codedeploy"
    )
    assert codedeploy.list_deployments(applicationName="shop", deploymentGroupName="a")
    created = codedeploy.create_deployment(
        applicationName="shop", deploymentGroupName="a", revision=APPSPEC
    )
    assert codedeploy.get_deployment(deploymentId=created["deploymentId"])
    message = denied(
        lambda: codedeploy.list_deployments(applicationName="shop", deploymentGroupName="b")
    )
    assert f"on resource: {CODEDEPLOY}:deploymentgroup:shop/b" in message
    denied(
        lambda: codedeploy.get_deployment_target(
            deploymentId=created["deploymentId"], targetId="fn:live"
        )
    )
    override = {"enabled": True, "alarms": [{"name": "a-errors"}]}
    message = denied(
        lambda: codedeploy.create_deployment(
            applicationName="shop",
            deploymentGroupName="a",
            revision=APPSPEC,
            overrideAlarmConfiguration=override,
        )
    )
    assert "codedeploy:UpdateDeploymentGroup" in message


def test_cloudwatch_alarm_actions_are_checked_against_each_alarm(
    admin: Clients, local_aws: LocalAwsHandle
) -> None:
    """AWS: CloudWatch requests are signed for `monitoring` and authorised as `cloudwatch:`
    actions; DescribeAlarms is checked against each alarm it names
    (`alarm:NAME`), and against `alarm:*` when it names none.
    https://docs.aws.amazon.com/service-authorization/latest/reference/list_amazoncloudwatch.html
    """
    statement = {
        "Effect": "Allow",
        "Action": "cloudwatch:DescribeAlarms",
        "Resource": f"{ALARM}:a-*",
    }
    cloudwatch = user_clients(admin, local_aws.endpoint_url, "dave", statement).client("cloudwatch")
    found = cloudwatch.describe_alarms(AlarmNames=["a-errors"])["MetricAlarms"]
    assert [a["AlarmName"] for a in found] == ["a-errors"]
    message = denied(lambda: cloudwatch.describe_alarms(AlarmNames=["a-errors", "b-errors"]))
    assert f"cloudwatch:DescribeAlarms on resource: {ALARM}:b-errors" in message
    denied(lambda: cloudwatch.describe_alarms())
