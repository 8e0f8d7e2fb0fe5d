"""The service role twophase renders for a function's deployment group lets CodeDeploy do all a
gradual promotion needs: move the alias, invoke the hook functions, read the alarms.

AWS: CodeDeploy runs a Lambda deployment as the group's service role; `AWSCodeDeployRoleForLambda`
grants it `lambda:UpdateAlias`, `lambda:InvokeFunction` and `cloudwatch:DescribeAlarms`, and the
rendered role grants those for the app's own functions, hooks and alarms. With IAM enforced, the
embedded AWS runs the deployment through to `Succeeded`.
https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html
https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#appspec-hooks-lambda
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.local._cfn import body, final_status, outputs
from tests.local._codedeploy import finished, hook, quiet_alarm, rollback_on
from tests.local._functions import RELEASE, Account
from twophase.config.load import load_config
from twophase.infra.render import DummyCode, render_template
from twophase.local.extensions.iam_enforcement import enable

CONFIG = """\
app: shop
environments:
  local: {endpoint: local}
functions:
  api:
    handler: app.handler
    source: src
    owners: ["arn:aws:iam::123456789012:role/web-team"]
    promotion: {alarms: [shop-api-p99], before_traffic: check}
  check:
    handler: app.handler
    source: src
    owners: ["arn:aws:iam::123456789012:role/web-team"]
"""
FUNCTION, HOOK, ALARM = "shop-local-api", "shop-local-check", "shop-api-p99"


def _role_of_group(resources: dict[str, Any], function: str) -> dict[str, Any]:
    """The service role of `function`'s deployment group and its managed policies."""
    [group] = [
        r
        for r in resources.values()
        if r["Type"] == "AWS::CodeDeploy::DeploymentGroup"
        and r["Properties"]["DeploymentGroupName"].endswith(f"-{function}")
    ]
    role_id = group["Properties"]["ServiceRoleArn"]["Fn::GetAtt"][0]
    policies = {
        i: r
        for i, r in resources.items()
        if r["Type"] == "AWS::IAM::ManagedPolicy"
        and {"Ref": role_id} in r["Properties"].get("Roles", [])
    }
    template = {"Resources": {role_id: resources[role_id], **policies}}
    template["Outputs"] = {"Role": {"Value": {"Fn::GetAtt": [role_id, "Arn"]}}}
    return template


@pytest.fixture
def rendered_role(account: Account, tmp_path: Path) -> str:
    """The ARN of the service role phase one renders for `api`'s deployment group, deployed by
    CloudFormation."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    (tmp_path / "twophase.yml").write_text(CONFIG)
    config = load_config(tmp_path / "twophase.yml")
    assert config.function_name("local", "api") == FUNCTION
    dummies = {n: DummyCode("bucket", f"dummies/{n}.zip", "sha=") for n in config.functions}
    rendered = render_template(config, "local", dummies=dummies, artifact_bucket="bucket")
    cfn = account.clients.client("cloudformation")
    cfn.create_stack(
        StackName="roles",
        TemplateBody=body(_role_of_group(rendered["Resources"], "api")),
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    assert final_status(cfn, "roles") == "CREATE_COMPLETE"
    return outputs(cfn, "roles")["Role"]


@pytest.fixture
def enforced() -> Iterator[None]:
    enable(True)
    try:
        yield
    finally:
        enable(False)


def _appspec() -> str:
    resource = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Name": FUNCTION,
            "Alias": "live",
            "CurrentVersion": "1",
            "TargetVersion": "2",
        },
    }
    spec = {
        "version": 0.0,
        "Resources": [{"api": resource}],
        "Hooks": [{"BeforeAllowTraffic": HOOK}],
    }
    return json.dumps(spec)


def test_the_rendered_role_moves_the_alias_invokes_the_hook_and_reads_the_alarms(
    account: Account,
    rendered_role: str,
    time_scale: Callable[[float], None],
    request: pytest.FixtureRequest,
) -> None:
    """AWS: a deployment whose service role may move the alias, invoke the BeforeAllowTraffic
    hook and read the group's alarm succeeds, the hook's event too.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html
    https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html
    """
    time_scale(600)
    account.function(FUNCTION)
    account.lam.publish_version(FunctionName=FUNCTION)
    account.lam.create_alias(FunctionName=FUNCTION, Name="live", FunctionVersion="1")
    assert account.release(FUNCTION, RELEASE.format(n=2)) == "2"
    hook(account, HOOK, "Succeeded")
    quiet_alarm(account, ALARM, FUNCTION)
    account.cd.create_application(applicationName="shop-local", computePlatform="Lambda")
    account.cd.create_deployment_group(
        applicationName="shop-local",
        deploymentGroupName="api",
        serviceRoleArn=rendered_role,
        deploymentConfigName="CodeDeployDefault.LambdaAllAtOnce",
        alarmConfiguration={"enabled": True, "alarms": [{"name": ALARM}]},
        **rollback_on("DEPLOYMENT_FAILURE", "DEPLOYMENT_STOP_ON_ALARM"),
    )
    request.getfixturevalue("enforced")

    revision = {"revisionType": "AppSpecContent", "appSpecContent": {"content": _appspec()}}
    deployment_id = account.cd.create_deployment(
        applicationName="shop-local", deploymentGroupName="api", revision=revision
    )["deploymentId"]
    done = finished(account, deployment_id)

    assert done["status"] == "Succeeded", done.get("errorInformation")
    shifted = account.cd.get_deployment_target(
        deploymentId=deployment_id, targetId=f"{FUNCTION}:live"
    )["deploymentTarget"]["lambdaTarget"]
    assert [(e["lifecycleEventName"], e["status"]) for e in shifted["lifecycleEvents"]] == [
        ("BeforeAllowTraffic", "Succeeded"),
        ("AllowTraffic", "Succeeded"),
        ("AfterAllowTraffic", "Skipped"),
    ]
    assert account.alias(FUNCTION, "live")["FunctionVersion"] == "2"
