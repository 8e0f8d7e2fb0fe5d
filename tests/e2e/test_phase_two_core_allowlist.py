"""Phase two makes only phase-two calls (README, "For platform teams").

Every AWS API call is recorded and checked.

The allowlist is what the generated deployer policy grants: Lambda reads, UpdateFunctionCode,
PublishVersion, UpdateAlias, DeleteFunction of a version (prune: always with a Qualifier); S3
put/head on the artifact prefix; STS GetCallerIdentity; CloudWatch metric and alarm reads;
CloudFormation stack reads; CodeDeploy reads, and starting a deployment (and creating the
schedule-named configuration it uses) or stopping one.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import replace
from typing import Any

import pytest

from tests.e2e import test_phase_two_core as core_e2e
from tests.e2e.test_phase_two_core import BUCKET, World, make_artifact
from twophase.local.extensions._time_scale import set_time_scale
from twophase.release.promote import PromoteOptions, apply_promote, plan_promote
from twophase.release.prune import PruneOptions, prune
from twophase.release.push import PushOptions, push
from twophase.release.releases import list_releases
from twophase.release.rollback import RollbackOptions, apply_rollback, plan_rollback
from twophase.release.status import StatusOptions, status

world = core_e2e.world  # the shared fixtures
shared_session = core_e2e.shared_session

LAMBDA_WRITES = {"UpdateFunctionCode", "PublishVersion", "UpdateAlias"}
CODEDEPLOY_WRITES = {"CreateDeployment", "CreateDeploymentConfig", "StopDeployment"}
READ_PREFIXES = ("Get", "List", "Describe", "Head")
ARTIFACT_PREFIX = "shop/local/"


def allowed(service: str, operation: str, params: dict[str, Any]) -> bool:
    match service:
        case "lambda":
            if operation == "DeleteFunction":  # a version, never the function
                return str(params.get("Qualifier", "")).isdigit()
            return operation in LAMBDA_WRITES or operation.startswith(("Get", "List"))
        case "s3":
            key = str(params.get("Key", ""))
            return operation in {"PutObject", "HeadObject"} and key.startswith(ARTIFACT_PREFIX)
        case "sts":
            return operation == "GetCallerIdentity"
        case "cloudwatch" | "cloudformation":
            return operation.startswith(READ_PREFIXES)
        case "codedeploy":
            return operation in CODEDEPLOY_WRITES or operation.startswith(READ_PREFIXES)
    return False


@pytest.fixture
def fast_codedeploy(world: World) -> Iterator[None]:
    """The function's deployment group, as phase one makes it; a minute lasts 0.1 s."""
    codedeploy = world.clients.client("codedeploy")
    codedeploy.create_application(applicationName="shop-local", computePlatform="Lambda")
    codedeploy.create_deployment_group(
        applicationName="shop-local",
        deploymentGroupName="shop-local-api",
        serviceRoleArn="arn:aws:iam::123456789012:role/codedeploy",
        deploymentConfigName="CodeDeployDefault.LambdaAllAtOnce",
        autoRollbackConfiguration={"enabled": True, "events": ["DEPLOYMENT_STOP_ON_ALARM"]},
    )
    set_time_scale(600)
    yield
    set_time_scale(None)


@pytest.mark.usefixtures("fast_codedeploy")
def test_push_promote_rollback_releases_status_stay_within_the_allowlist(world: World) -> None:
    s3 = world.clients.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"ArtifactBucket": {"Value": BUCKET}},
    }
    world.clients.client("cloudformation").create_stack(
        StackName="shop-local", TemplateBody=json.dumps(template)
    )
    world.clients.client("cloudwatch").put_metric_alarm(
        AlarmName="api-5xx",
        MetricName="Errors",
        Namespace="AWS/Lambda",
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
    )
    small = make_artifact(world.tmp, "def handler(e, c):\n    return 2\n")
    large = make_artifact(world.tmp, "def handler(e, c):\n    return 3\n", needs_s3=True)
    ctx = world.ctx

    assert push(ctx.push(), PushOptions(functions=("api",)), lambda _: small).ok
    assert push(ctx.push(), PushOptions(functions=("api",)), lambda _: small).ok  # unchanged
    assert push(ctx.push(), PushOptions(functions=("api",)), lambda _: large).ok
    options = PromoteOptions("api", canary=10, interval=60, alarms=("api-5xx",))
    promoting = replace(ctx.promote(), sleep=time.sleep, poll_seconds=0.02)
    apply_promote(promoting, plan_promote(promoting, options))  # on CodeDeploy
    apply_rollback(
        ctx.rollback(), plan_rollback(ctx.rollback(), RollbackOptions("api", to_version="2"))
    )
    for artifact in (small, large, small):  # v4, v5, v6 on next
        assert push(ctx.push(), PushOptions(functions=("api",)), lambda _: artifact).ok  # noqa: B023 (used at once)
    # kept: v1 the dummy, v2 (live), v3 (live rolls back to it), v5 (next rolls back), v6 (next)
    report = prune(ctx.prune(), PruneOptions(functions=("api",), keep=0))
    assert [o.result.deleted for o in report.outcomes if o.result] == [("4",)]
    list_releases(ctx.releases(), "api")
    status(ctx.status(), StatusOptions(), {"api": world.dummy_sha})

    seen = {f"{service}:{op}" for service, op, _ in world.log.calls}
    refused = [f"{s}:{op}" for s, op, params in world.log.calls if not allowed(s, op, params)]
    assert refused == []
    expected = {
        "lambda:UpdateFunctionCode",
        "lambda:PublishVersion",
        "lambda:UpdateAlias",
        "lambda:DeleteFunction",
        "s3:PutObject",
        "s3:HeadObject",
        "sts:GetCallerIdentity",
        "cloudwatch:DescribeAlarms",
        "codedeploy:ListDeployments",
        "codedeploy:CreateDeploymentConfig",
        "codedeploy:CreateDeployment",
        "codedeploy:GetDeployment",
        "codedeploy:GetDeploymentTarget",
    }
    assert expected <= seen
    assert "cloudformation:DescribeStacks" not in seen  # the bucket's name is derived, not read
    assert world.log.names().count("sts:GetCallerIdentity") == 1


def test_the_allowlist_refuses_what_phase_two_must_not_call() -> None:
    assert not allowed("lambda", "UpdateFunctionConfiguration", {})
    assert not allowed("lambda", "DeleteFunction", {})
    assert not allowed("lambda", "DeleteFunction", {"Qualifier": "$LATEST"})
    assert allowed("lambda", "DeleteFunction", {"Qualifier": "3"})
    assert not allowed("s3", "PutObject", {"Key": "other-app/local/api/x.zip"})
    assert not allowed("cloudformation", "UpdateStack", {})
    assert not allowed("iam", "GetRole", {})
    assert not allowed("codedeploy", "UpdateDeploymentGroup", {})
    assert not allowed("codedeploy", "DeleteDeploymentConfig", {})
