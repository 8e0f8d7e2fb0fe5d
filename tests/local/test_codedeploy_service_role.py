"""CodeDeploy acts as the deployment group's service role, and only where it may.

AWS: CodeDeploy assumes the deployment group's service role to run a deployment on the Lambda
compute platform; the role's policies must let it update the alias the AppSpec names, invoke the
lifecycle hook functions and read the group's alarms (AWS's `AWSCodeDeployRoleForLambda` grants
`lambda:UpdateAlias`, `lambda:InvokeFunction` and `cloudwatch:DescribeAlarms`), within the
role's permissions boundary, or the deployment fails with `IAM_ROLE_PERMISSIONS` ("The IAM role
… does not give you permission to perform operations in the following AWS service: AWSLambda …")
and the alias is not moved; a role that cannot be reached is `IAM_ROLE_MISSING`. The embedded AWS
authorises the role while IAM enforcement is on.
https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html
https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ErrorInformation.html
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tests.local._codedeploy import (
    APP,
    FN,
    GROUP,
    appspec,
    deploy,
    events,
    finished,
    hook,
    info,
    invocations,
    quiet_alarm,
    rollback_on,
    target,
    two_versions,
)
from tests.local._functions import Account
from twophase.local.extensions.iam_enforcement import enable

ALL_AT_ONCE = "CodeDeployDefault.LambdaAllAtOnce"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function"
ALIAS_ACTIONS = ["lambda:GetAlias", "lambda:UpdateAlias"]
ALARMS = "arn:aws:cloudwatch:us-east-1:123456789012:alarm"
HOOK = "CodeDeployHook_pre"


def _trusting(service: str) -> str:
    """A trust policy that lets `service` assume the role."""
    principal = {"Service": service}
    statement = {"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


@pytest.fixture
def enforced() -> Iterator[None]:
    enable(True)
    try:
        yield
    finally:
        enable(False)


def _allow(resources: list[str], effect: str = "Allow", actions: list[str] | None = None) -> str:
    statement = {"Effect": effect, "Action": actions or ALIAS_ACTIONS, "Resource": resources}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


OWN_ALIASES = _allow([f"{LAMBDA}:{FN}", f"{LAMBDA}:{FN}:*"])


def _service_role(
    account: Account,
    inline: tuple[str, ...] = (),
    managed: tuple[str, ...] = (),
    boundary: str | None = None,
) -> str:
    """A role CodeDeploy may assume, with these inline and attached policy documents, and the
    `boundary` document as its permissions boundary."""
    iam = account.clients.client("iam")
    arn = str(
        iam.create_role(
            RoleName="cd", AssumeRolePolicyDocument=_trusting("codedeploy.amazonaws.com")
        )["Role"]["Arn"]
    )
    for number, document in enumerate(inline, start=1):
        iam.put_role_policy(RoleName="cd", PolicyName=f"inline-{number}", PolicyDocument=document)
    for number, document in enumerate(managed, start=1):
        policy = iam.create_policy(PolicyName=f"cd-{number}", PolicyDocument=document)
        iam.attach_role_policy(RoleName="cd", PolicyArn=policy["Policy"]["Arn"])
    if boundary is not None:
        policy = iam.create_policy(PolicyName="cd-boundary", PolicyDocument=boundary)
        iam.put_role_permissions_boundary(
            RoleName="cd", PermissionsBoundary=policy["Policy"]["Arn"]
        )
    return arn


def _group(account: Account, role_arn: str, **extra: Any) -> None:
    account.cd.create_application(applicationName=APP, computePlatform="Lambda")
    account.cd.create_deployment_group(
        applicationName=APP,
        deploymentGroupName=GROUP,
        serviceRoleArn=role_arn,
        deploymentConfigName=ALL_AT_ONCE,
        **rollback_on("DEPLOYMENT_FAILURE"),
        **extra,
    )


def _refused_as(done: dict[str, Any], role: str, service: str) -> None:
    """`done` failed because `role` may not act in `service`."""
    assert done["status"] == "Failed", done.get("errorInformation")
    assert done["errorInformation"]["code"] == "IAM_ROLE_PERMISSIONS"
    assert done["errorInformation"]["message"].startswith(
        f"The IAM role {role} does not give you permission to perform operations in the "
        f"following AWS service: {service}."
    )


def _served(account: Account) -> tuple[str, dict[str, Any]]:
    alias = account.alias(FN, "live")
    return alias["FunctionVersion"], dict(alias.get("RoutingConfig") or {})


@pytest.mark.usefixtures("enforced")
@pytest.mark.parametrize(
    "inline",
    [
        [_allow([f"{LAMBDA}:other", f"{LAMBDA}:other:*"])],  # another function's aliases only
        [_allow(["*"]), _allow([f"{LAMBDA}:{FN}:*"], effect="Deny")],  # a Deny wins
    ],
    ids=["another-function", "denied"],
)
def test_a_role_that_may_not_move_the_named_alias_fails_the_deployment(
    account: Account, inline: list[str]
) -> None:
    two_versions(account)
    role = _service_role(account, inline=tuple(inline))
    _group(account, role)

    done = finished(account, deploy(account))

    assert done["status"] == "Failed"
    assert done["errorInformation"]["code"] == "IAM_ROLE_PERMISSIONS"
    assert done["errorInformation"]["message"].startswith(
        f"The IAM role {role} does not give you permission to perform operations in the "
        "following AWS service: AWSLambda."
    )
    assert _served(account) == ("1", {})  # untouched, and the rollback could not move it either
    rollback = info(account, done["rollbackInfo"]["rollbackDeploymentId"])
    assert (rollback["status"], rollback["errorInformation"]["code"]) == (
        "Failed",
        "IAM_ROLE_PERMISSIONS",
    )


@pytest.mark.usefixtures("enforced")
def test_a_role_whose_attached_policy_allows_the_alias_shifts_it(account: Account) -> None:
    two_versions(account)
    _group(account, _service_role(account, managed=(_allow([f"{LAMBDA}:{FN}:*"]),)))

    done = finished(account, deploy(account))

    assert done["status"] == "Succeeded", done.get("errorInformation")
    assert _served(account) == ("2", {})


@pytest.mark.usefixtures("enforced")
def test_a_group_whose_role_does_not_exist_fails_and_moves_nothing(account: Account) -> None:
    two_versions(account)
    _group(account, "arn:aws:iam::123456789012:role/gone")

    done = finished(account, deploy(account))

    assert (done["status"], done["errorInformation"]["code"]) == ("Failed", "IAM_ROLE_MISSING")
    assert "arn:aws:iam::123456789012:role/gone" in done["errorInformation"]["message"]
    assert _served(account) == ("1", {})


@pytest.mark.usefixtures("enforced")
@pytest.mark.parametrize(
    "invoke",
    [(), (_allow([f"{LAMBDA}:other"], actions=["lambda:InvokeFunction"]),)],
    ids=["no-invoke-grant", "another-function"],
)
def test_a_role_that_may_not_invoke_the_hook_fails_the_deployment_at_the_hook(
    account: Account, time_scale: Callable[[float], None], invoke: tuple[str, ...]
) -> None:
    """AWS: CodeDeploy invokes a Lambda deployment's hook functions as the group's service role
    (`AWSCodeDeployRoleForLambda` grants `lambda:InvokeFunction`); a role that may not invoke the
    hook fails its lifecycle event and the deployment (`IAM_ROLE_PERMISSIONS`) before any
    traffic moves, and the function never runs.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html
    https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#appspec-hooks-lambda
    """
    time_scale(600)
    two_versions(account)
    hook(account, HOOK, "Succeeded")
    role = _service_role(account, inline=(OWN_ALIASES, *invoke))
    _group(account, role)

    deployment_id = deploy(account, appspec(hooks={"BeforeAllowTraffic": HOOK}))
    done = finished(account, deployment_id)

    _refused_as(done, role, "AWSLambda")
    assert events(account, deployment_id) == {
        "BeforeAllowTraffic": "Failed",
        "AllowTraffic": "Skipped",
        "AfterAllowTraffic": "Skipped",
    }
    before = target(account, deployment_id)["lifecycleEvents"][0]
    assert before["diagnostics"]["message"] == done["errorInformation"]["message"]
    assert _served(account) == ("1", {})
    assert invocations(account, HOOK) == 0


@pytest.mark.usefixtures("enforced")
def test_a_role_that_may_invoke_the_hook_runs_it(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: with `lambda:InvokeFunction` on the hook function, the hook runs and its answer
    decides the deployment.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html
    """
    time_scale(600)
    two_versions(account)
    hook(account, HOOK, "Succeeded")
    invoke = _allow([f"{LAMBDA}:{HOOK}"], actions=["lambda:InvokeFunction"])
    _group(account, _service_role(account, inline=(OWN_ALIASES, invoke)))

    done = finished(account, deploy(account, appspec(hooks={"BeforeAllowTraffic": HOOK})))

    assert done["status"] == "Succeeded", done.get("errorInformation")
    assert _served(account) == ("2", {})


@pytest.mark.usefixtures("enforced")
@pytest.mark.parametrize(
    "read",
    [(), (_allow([f"{ALARMS}:other"], actions=["cloudwatch:DescribeAlarms"]),)],
    ids=["no-read-grant", "another-alarm"],
)
def test_a_role_that_may_not_read_the_alarms_fails_the_deployment(
    account: Account, read: tuple[str, ...]
) -> None:
    """AWS: CodeDeploy reads the group's alarms as its service role (`cloudwatch:DescribeAlarms`,
    "To use this option, you must grant CloudWatch permissions to your CodeDeploy service role");
    when their state cannot be read, the deployment does not go on (AlarmConfiguration
    `ignorePollAlarmFailure` false, the default) and the alias is not moved.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/monitoring-create-alarms.html
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_AlarmConfiguration.html
    """
    two_versions(account)
    quiet_alarm(account, "api-errors")
    role = _service_role(account, inline=(OWN_ALIASES, *read))
    _group(account, role, alarmConfiguration={"enabled": True, "alarms": [{"name": "api-errors"}]})

    done = finished(account, deploy(account))

    _refused_as(done, role, "AmazonCloudWatch")
    assert _served(account) == ("1", {})


@pytest.mark.usefixtures("enforced")
def test_alarms_the_role_may_read_or_need_not_read_let_the_deployment_through(
    account: Account,
) -> None:
    """AWS: with `cloudwatch:DescribeAlarms` on the group's alarms the deployment reads them and
    goes on; with `ignorePollAlarmFailure` "the deployment proceeds even if alarm status
    information can't be retrieved", and a group without alarms reads none.
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_AlarmConfiguration.html
    """
    two_versions(account)
    quiet_alarm(account, "api-errors")
    read = _allow([f"{ALARMS}:*"], actions=["cloudwatch:DescribeAlarms"])
    role = _service_role(account, inline=(OWN_ALIASES, read))
    alarms = {"enabled": True, "alarms": [{"name": "api-errors"}]}
    _group(account, role, alarmConfiguration=alarms)
    assert finished(account, deploy(account))["status"] == "Succeeded"

    account.clients.client("iam").delete_role_policy(RoleName="cd", PolicyName="inline-2")
    account.cd.update_deployment_group(
        applicationName=APP,
        currentDeploymentGroupName=GROUP,
        alarmConfiguration={**alarms, "ignorePollAlarmFailure": True},
    )
    back = appspec(current="2", target="1")
    assert finished(account, deploy(account, back))["status"] == "Succeeded"
    assert _served(account) == ("1", {})


@pytest.mark.usefixtures("enforced")
def test_a_permissions_boundary_that_leaves_out_update_alias_fails_the_deployment(
    account: Account,
) -> None:
    """AWS: a role's permissions boundary sets the most its identity policies can grant: an
    action the boundary does not allow is refused even though an identity policy allows it.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    """
    two_versions(account)
    boundary = _allow(["*"], actions=["lambda:GetAlias"])
    role = _service_role(account, inline=(_allow(["*"]),), boundary=boundary)
    _group(account, role)

    done = finished(account, deploy(account))

    _refused_as(done, role, "AWSLambda")
    assert _served(account) == ("1", {})
