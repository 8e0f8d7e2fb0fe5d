"""Phase one renders gradual promotion on CodeDeploy: the application and its service role in the
root, and per function its deployment group and the alarms the group watches, wherever the
function lives (its nested stack included); hook functions may report to CodeDeploy."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from twophase.config.load import load_config
from twophase.config.model import Config, Promotion
from twophase.infra.limits import LONGEST_PSEUDO
from twophase.infra.render import DummyCode, render_template
from twophase.infra.render.codedeploy import app_resources
from twophase.infra.render.codedeploy_role import ROLE_POLICY_CHARACTERS, role_document
from twophase.infra.render.template import render_layout
from twophase.names import ids_for
from twophase.release.access import Scope

EXAMPLE = Path(__file__).resolve().parents[2] / "twophase.yml.example"
BUCKET = "shop-artifacts-123456789012"
LONGEST = Scope(
    LONGEST_PSEUDO["AWS::Partition"],
    LONGEST_PSEUDO["AWS::Region"],
    LONGEST_PSEUDO["AWS::AccountId"],
)


@pytest.fixture(scope="module")
def example() -> Config:
    return load_config(EXAMPLE)


def render(config: Config, env: str = "prod") -> dict[str, Any]:
    dummies = {n: DummyCode(BUCKET, f"dummies/{n}.zip", "sha=") for n in config.functions}
    return render_template(config, env, dummies=dummies, artifact_bucket=BUCKET)


def promoting(config: Config, function: str, promotion: Promotion) -> Config:
    fn = dataclasses.replace(config.function(function), promotion=promotion)
    return dataclasses.replace(config, functions={**config.functions, function: fn})


def grown(config: Config, count: int) -> Config:
    """The example plus `count` functions modelled on its HTTP, queue and schedule ones."""
    models = [config.function(n) for n in ("api", "worker", "nightly")]
    extra = {
        f"fn{i:03d}": dataclasses.replace(models[i % 3], name=f"fn{i:03d}", owners=())
        for i in range(count)
    }
    return dataclasses.replace(config, functions={**config.functions, **extra})


def test_each_function_gets_its_deployment_group_and_alarms(example: Config) -> None:
    resources = render(example)["Resources"]
    for name in ("api", "worker", "nightly"):
        ids = ids_for(name)
        assert resources[ids.deployment_group]["Type"] == "AWS::CodeDeploy::DeploymentGroup"
        assert resources[ids.errors_alarm]["Type"] == "AWS::CloudWatch::Alarm"
    assert ids_for("api").http_errors_alarm in resources  # the HTTP function only
    assert ids_for("worker").http_errors_alarm not in resources
    assert ids_for("nightly").http_errors_alarm not in resources

    assert resources["ApiDeploymentGroup"]["Properties"] == {
        "ApplicationName": {"Ref": "CodeDeployApplication"},
        "DeploymentGroupName": "shop-prod-api",
        "ServiceRoleArn": {"Fn::GetAtt": ["CodeDeployServiceRole", "Arn"]},
        "DeploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce",
        "DeploymentStyle": {
            "DeploymentType": "BLUE_GREEN",
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        "AlarmConfiguration": {
            "Enabled": True,
            "Alarms": [{"Name": {"Ref": "ApiErrorsAlarm"}}, {"Name": {"Ref": "ApiHttp5xxAlarm"}}],
        },
        "AutoRollbackConfiguration": {
            "Enabled": True,
            "Events": [
                "DEPLOYMENT_FAILURE",
                "DEPLOYMENT_STOP_ON_ALARM",
                "DEPLOYMENT_STOP_ON_REQUEST",
            ],
        },
    }


ALARM_SHAPE = {
    "Statistic": "Sum",
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 1,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
}


def test_the_errors_alarm_watches_the_serving_alias(example: Config) -> None:
    """The last alias of the chain: where a canary shifts traffic, and what triggers call."""
    chain = dataclasses.replace(example, aliases=("next", "beta", "prod"))
    alarm = render(chain)["Resources"]["WorkerErrorsAlarm"]["Properties"]
    assert alarm["AlarmName"] == "shop-prod-worker-errors"
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": "shop-prod-worker"},
        {"Name": "Resource", "Value": "shop-prod-worker:prod"},
    ]
    assert ALARM_SHAPE.items() <= alarm.items()


def test_the_5xx_alarm_watches_the_http_apis_stage(example: Config) -> None:
    resources = render(example)["Resources"]
    alarm = resources["ApiHttp5xxAlarm"]["Properties"]
    stage = resources["ApiHttpStage"]["Properties"]
    assert alarm["AlarmName"] == "shop-prod-api-5xx"
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/ApiGateway", "5xx")
    assert alarm["Dimensions"] == [
        {"Name": "ApiId", "Value": {"Ref": "ApiHttpApi"}},
        {"Name": "Stage", "Value": stage["StageName"]},
    ]
    assert stage["ApiId"] == {"Ref": "ApiHttpApi"}
    assert ALARM_SHAPE.items() <= alarm.items()


def test_configured_alarms_are_watched_and_a_hook_may_report(example: Config) -> None:
    config = promoting(example, "api", Promotion(("shop-p99",), "nightly", "worker"))
    resources = render(config)["Resources"]
    alarms = resources["ApiDeploymentGroup"]["Properties"]["AlarmConfiguration"]["Alarms"]
    assert alarms[2:] == [{"Name": "shop-p99"}]

    def policies(role: str) -> dict[str, Any]:
        found = resources[role]["Properties"]["Policies"]
        return {p["PolicyName"]: p["PolicyDocument"]["Statement"] for p in found}

    for hook in ("NightlyRole", "WorkerRole"):
        assert policies(hook)["promotion-hook"] == [
            {
                "Effect": "Allow",
                "Action": ["codedeploy:PutLifecycleEventHookExecutionStatus"],
                "Resource": "*",
            }
        ]
    assert "promotion-hook" not in policies("ApiRole")
    service = policies("CodeDeployServiceRole")["codedeploy-lambda"]
    [invoke] = [s for s in service if s["Action"] == ["lambda:InvokeFunction"]]
    arns = [r["Fn::Sub"].rsplit(":function:", 1)[1] for r in invoke["Resource"]]
    assert arns == [
        "shop-prod-nightly",
        "shop-prod-nightly:*",
        "shop-prod-worker",
        "shop-prod-worker:*",
    ]


def test_the_app_gets_one_application_and_a_service_role_only_codedeploy_assumes(
    example: Config,
) -> None:
    resources = render(example)["Resources"]
    assert resources["CodeDeployApplication"] == {
        "Type": "AWS::CodeDeploy::Application",
        "Properties": {"ApplicationName": "shop-prod", "ComputePlatform": "Lambda"},
    }
    role = resources["CodeDeployServiceRole"]["Properties"]
    [trust] = role["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "codedeploy.amazonaws.com"}
    assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == {
        "Fn::Sub": "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:"
        "deploymentgroup:shop-prod/*"
    }
    assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {
        "Fn::Sub": "${AWS::AccountId}"
    }
    no_functions = dataclasses.replace(example, functions={})
    assert app_resources(no_functions, "prod") == {}


def test_the_service_role_shifts_the_apps_aliases_and_invokes_its_hooks(example: Config) -> None:
    """AWSCodeDeployRoleForLambda's Lambda actions on the environment's functions (`shop-prod-*`:
    the role stays the same as functions come and go, and fits IAM's 10,240 characters for 500
    of them), InvokeFunction on the hook functions only."""
    scope = Scope("aws", "eu-west-1", "111122223333")
    function = "arn:aws:lambda:eu-west-1:111122223333:function:shop-prod"
    [alarms, aliases] = role_document(example, "prod", scope)["Statement"]
    assert alarms["Action"] == ["cloudwatch:DescribeAlarms"]
    assert alarms["Resource"] == ["arn:aws:cloudwatch:eu-west-1:111122223333:alarm:*"]
    assert aliases["Action"] == [
        "lambda:GetAlias",
        "lambda:GetProvisionedConcurrencyConfig",
        "lambda:UpdateAlias",
    ]
    assert aliases["Resource"] == [f"{function}-*"]
    assert role_document(grown(example, 10), "prod", scope)["Statement"][1] == aliases

    hooked = promoting(example, "api", Promotion((), "nightly", None))
    invoke = role_document(hooked, "prod", scope)["Statement"][2]
    assert (invoke["Action"], invoke["Resource"]) == (
        ["lambda:InvokeFunction"],
        [f"{function}-nightly", f"{function}-nightly:*"],
    )
    many = grown(example, 497)
    hooked_by_all = {
        name: dataclasses.replace(fn, promotion=Promotion((), _next(name, many)))
        for name, fn in many.functions.items()
    }
    every_one_a_hook = dataclasses.replace(many, functions=hooked_by_all)
    large = role_document(every_one_a_hook, "prod", LONGEST)
    assert len(json.dumps(large, separators=(",", ":"))) <= ROLE_POLICY_CHARACTERS
    prefix = f"arn:aws-us-gov:lambda:us-isof-south-1:{'0' * 12}:function:shop-prod-*"
    assert [s["Resource"] for s in large["Statement"][1:]] == [[prefix], [prefix]]


def _next(name: str, config: Config) -> str:
    """Another function of `config` than `name`."""
    ordered = sorted(config.functions)
    return ordered[(ordered.index(name) + 1) % len(ordered)]


def test_a_nested_functions_group_and_alarms_live_in_its_child(example: Config) -> None:
    config = grown(example, 100)
    dummies = {n: DummyCode(BUCKET, f"dummies/{n}.zip", "sha=") for n in config.functions}
    done = render_layout(config, "prod", dummies=dummies, artifact_bucket=BUCKET)
    assert {"CodeDeployApplication", "CodeDeployServiceRole"} <= set(done.root["Resources"])
    nested = [f for f, child in sorted(done.assignment.items()) if child and f.startswith("fn")]
    assert nested, "the app is split"
    for function in (nested[0], nested[-1]):
        child = done.children[done.assignment[function]].template
        ids = ids_for(function)
        own = [ids.deployment_group, ids.errors_alarm]
        if config.function(function).routes:
            own.append(ids.http_errors_alarm)
        for logical_id in own:
            assert logical_id in child["Resources"] and logical_id not in done.root["Resources"]
        group = child["Resources"][ids.deployment_group]["Properties"]
        assert group["ApplicationName"] == {"Ref": "CodeDeployApplication"}
        assert group["ServiceRoleArn"] == {"Ref": "CodeDeployServiceRoleArnAttribute"}
        passed = done.root["Resources"][done.assignment[function]]["Properties"]["Parameters"]
        assert passed["CodeDeployApplication"] == {"Ref": "CodeDeployApplication"}
        assert passed["CodeDeployServiceRoleArnAttribute"] == {
            "Fn::GetAtt": ["CodeDeployServiceRole", "Arn"]
        }
