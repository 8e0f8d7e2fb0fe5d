"""The thin CodeDeploy client against botocore's Stubber: exact parameters, typed answers, and
CodeDeploy's codes that are answers (a missing group or configuration, a deployment already
under way or already over) as their own types."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from twophase.aws.codedeploy import (
    ACTIVE,
    INFRA_HINT,
    AppSpecTarget,
    CodeDeployClient,
    CodeDeployMissing,
    ConfigAlreadyExists,
    DeploymentAlreadyActive,
    DeploymentAlreadyOver,
    DeploymentConfig,
)
from twophase.errors import AccessDeniedError, CredentialsError, ExitStatus

APPSPEC = json.dumps(
    {
        "version": 0.0,
        "Resources": [
            {
                "api": {
                    "Type": "AWS::Lambda::Function",
                    "Properties": {
                        "Name": "shop-dev-api",
                        "Alias": "live",
                        "CurrentVersion": "1",
                        "TargetVersion": "2",
                    },
                }
            }
        ],
    }
)
WHEN = datetime(2026, 5, 6, 7, 8, 9, tzinfo=UTC)


@pytest.fixture
def boto_codedeploy() -> Any:
    return boto3.client(
        "codedeploy", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


@pytest.fixture
def stub(boto_codedeploy: Any) -> Iterator[Stubber]:
    with Stubber(boto_codedeploy) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


def test_active_deployments_ask_for_every_status_not_final(
    boto_codedeploy: Any, stub: Stubber
) -> None:
    stub.add_response(
        "list_deployments",
        {"deployments": ["d-ABCDEFGHI"]},
        {
            "applicationName": "shop-dev",
            "deploymentGroupName": "shop-dev-api",
            "includeOnlyStatuses": list(ACTIVE),
        },
    )
    client = CodeDeployClient(boto_codedeploy)
    assert client.active_deployments("shop-dev", "shop-dev-api") == ["d-ABCDEFGHI"]
    assert set(ACTIVE) == {"Created", "Queued", "InProgress", "Baking", "Ready"}


def test_create_deployment_sends_the_appspec_and_overrides_alarms_only_when_asked(
    boto_codedeploy: Any, stub: Stubber
) -> None:
    base = {
        "applicationName": "shop-dev",
        "deploymentGroupName": "shop-dev-api",
        "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": APPSPEC}},
        "deploymentConfigName": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        "description": "twophase",
    }
    stub.add_response("create_deployment", {"deploymentId": "d-1"}, base)
    override = {
        "enabled": True,
        "ignorePollAlarmFailure": False,
        "alarms": [{"name": "shop-dev-api-errors"}, {"name": "api-latency"}],
    }
    stub.add_response(
        "create_deployment",
        {"deploymentId": "d-2"},
        {**base, "overrideAlarmConfiguration": override},
    )
    client = CodeDeployClient(boto_codedeploy)
    kwargs: dict[str, Any] = {
        "appspec": APPSPEC,
        "config": "CodeDeployDefault.LambdaCanary10Percent5Minutes",
        "description": "twophase",
    }
    assert client.create_deployment("shop-dev", "shop-dev-api", **kwargs) == "d-1"
    alarms = ("shop-dev-api-errors", "api-latency")
    assert client.create_deployment("shop-dev", "shop-dev-api", alarms=alarms, **kwargs) == "d-2"


def test_a_deployment_reads_as_its_status_target_error_and_rollback(
    boto_codedeploy: Any, stub: Stubber
) -> None:
    info = {
        "deploymentId": "d-1",
        "status": "Stopped",
        "deploymentConfigName": "shop-dev-canary-20pct-5min",
        "creator": "user",
        "revision": {"revisionType": "AppSpecContent", "appSpecContent": {"content": APPSPEC}},
        "errorInformation": {"code": "ALARM_ACTIVE", "message": "Activated alarms: <a>"},
        "rollbackInfo": {"rollbackDeploymentId": "d-2", "rollbackMessage": "…"},
        "overrideAlarmConfiguration": {"enabled": True, "alarms": [{"name": "a"}]},
        "createTime": WHEN,
    }
    stub.add_response("get_deployment", {"deploymentInfo": info}, {"deploymentId": "d-1"})
    found = CodeDeployClient(boto_codedeploy).get_deployment("d-1")
    assert found.target == AppSpecTarget("shop-dev-api", "live", "1", "2")
    assert (found.status, found.active, found.error_code) == ("Stopped", False, "ALARM_ACTIVE")
    assert (found.rollback_deployment_id, found.override_alarms) == ("d-2", ("a",))


def test_the_target_gives_the_weight_and_lifecycle_events(
    boto_codedeploy: Any, stub: Stubber
) -> None:
    stub.add_response(
        "list_deployment_targets", {"targetIds": ["shop-dev-api:live"]}, {"deploymentId": "d-1"}
    )
    target = {
        "deploymentTargetType": "LambdaTarget",
        "lambdaTarget": {
            "status": "InProgress",
            "lambdaFunctionInfo": {"targetVersionWeight": 10.0},
            "lifecycleEvents": [
                {"lifecycleEventName": "BeforeAllowTraffic", "status": "Succeeded"},
                {"lifecycleEventName": "AllowTraffic", "status": "InProgress", "startTime": WHEN},
            ],
        },
    }
    stub.add_response(
        "get_deployment_target",
        {"deploymentTarget": target},
        {"deploymentId": "d-1", "targetId": "shop-dev-api:live"},
    )
    stub.add_client_error("list_deployment_targets", "DeploymentNotStartedException")
    client = CodeDeployClient(boto_codedeploy)
    (target_id,) = client.target_ids("d-1")
    found = client.get_target("d-1", target_id)
    assert found is not None and found.weight == 10.0
    allow = found.event("AllowTraffic")
    assert allow is not None and allow.started == WHEN
    assert client.target_ids("d-1") == []  # not started yet: no target


def test_configurations_are_read_and_created_as_time_based_routing(
    boto_codedeploy: Any, stub: Stubber
) -> None:
    name = "shop-dev-linear-20pct-2min"
    routing = {
        "type": "TimeBasedLinear",
        "timeBasedLinear": {"linearPercentage": 20, "linearInterval": 2},
    }
    stub.add_client_error("get_deployment_config", "DeploymentConfigDoesNotExistException")
    stub.add_response(
        "create_deployment_config",
        {"deploymentConfigId": "x"},
        {
            "deploymentConfigName": name,
            "computePlatform": "Lambda",
            "trafficRoutingConfig": routing,
        },
    )
    info = {
        "deploymentConfigName": name,
        "computePlatform": "Lambda",
        "trafficRoutingConfig": routing,
    }
    stub.add_response(
        "get_deployment_config", {"deploymentConfigInfo": info}, {"deploymentConfigName": name}
    )
    client = CodeDeployClient(boto_codedeploy)
    assert client.get_config(name) is None
    client.create_config(name, "TimeBasedLinear", 20, 2)
    assert client.get_config(name) == DeploymentConfig(name, "Lambda", "TimeBasedLinear", 20, 2)


@pytest.mark.parametrize(
    ("code", "error", "status"),
    [
        ("DeploymentGroupDoesNotExistException", CodeDeployMissing, ExitStatus.FAILED),
        ("ApplicationDoesNotExistException", CodeDeployMissing, ExitStatus.FAILED),
        ("DeploymentLimitExceededException", DeploymentAlreadyActive, ExitStatus.CONFLICT),
        ("DeploymentConfigAlreadyExistsException", ConfigAlreadyExists, ExitStatus.CONFLICT),
        ("AccessDeniedException", AccessDeniedError, ExitStatus.FAILED),
        ("ExpiredTokenException", CredentialsError, ExitStatus.USAGE),
    ],
)
def test_errors_are_our_types(
    boto_codedeploy: Any, stub: Stubber, code: str, error: type[Exception], status: ExitStatus
) -> None:
    stub.add_client_error("create_deployment", code, "said AWS")
    client = CodeDeployClient(boto_codedeploy)
    with pytest.raises(error) as raised:
        client.create_deployment(
            "shop-dev", "shop-dev-api", appspec="{}", config="c", description=""
        )
    assert getattr(raised.value, "exit_status", None) == status


def test_stopping_a_deployment_already_over_is_its_own_answer(
    boto_codedeploy: Any, stub: Stubber
) -> None:
    stub.add_response(
        "stop_deployment",
        {"status": "Pending"},
        {"deploymentId": "d-1", "autoRollbackEnabled": True},
    )
    stub.add_client_error("stop_deployment", "DeploymentAlreadyCompletedException")
    client = CodeDeployClient(boto_codedeploy)
    client.stop_deployment("d-1")
    with pytest.raises(DeploymentAlreadyOver):
        client.stop_deployment("d-1")


@pytest.mark.parametrize(
    ("alarms", "hint"),
    [
        ((), "the function's deployer policy (`twophase policy FUNCTION`)"),
        (("extra-alarm",), "codedeploy:UpdateDeploymentGroup"),
    ],
    ids=["the-groups-alarms", "extra-alarms"],
)
def test_a_refused_deployment_says_what_would_allow_it(
    boto_codedeploy: Any, stub: Stubber, alarms: tuple[str, ...], hint: str
) -> None:
    """CreateDeployment with `overrideAlarmConfiguration` also needs
    codedeploy:UpdateDeploymentGroup ("CreateDeployment", CodeDeploy API reference:
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_CreateDeployment.html),
    which a deployer policy does not grant; a missing group means phase one has not run."""
    stub.add_client_error("create_deployment", "AccessDeniedException", "not authorized")
    stub.add_client_error("create_deployment", "DeploymentGroupDoesNotExistException", "none")
    client = CodeDeployClient(boto_codedeploy)

    def create() -> str:
        return client.create_deployment(
            "shop-dev", "shop-dev-api", appspec="{}", config="c", description="", alarms=alarms
        )

    with pytest.raises(AccessDeniedError) as denied:
        create()
    assert hint in (denied.value.hint or "")

    with pytest.raises(CodeDeployMissing) as missing:
        create()
    assert missing.value.hint == INFRA_HINT
