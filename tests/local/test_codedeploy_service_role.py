"""CodeDeploy moves a Lambda alias as the deployment group's service role, and only where it may.

AWS: CodeDeploy assumes the deployment group's service role to run a deployment on the Lambda
compute platform; the role's policies must let it update the alias the AppSpec names (AWS's
`AWSCodeDeployRoleForLambda` grants `lambda:UpdateAlias`), or the deployment fails with
`IAM_ROLE_PERMISSIONS` ("The IAM role … does not give you permission to perform operations in the
following AWS service: AWSLambda …") and the alias is not moved; a role that cannot be reached
is `IAM_ROLE_MISSING`. The embedded AWS authorises the role while IAM enforcement is on.
https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html
https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ErrorInformation.html
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from tests.local._codedeploy import (
    APP,
    FN,
    GROUP,
    deploy,
    finished,
    info,
    rollback_on,
    two_versions,
)
from tests.local._functions import Account
from twophase.local.extensions.iam_enforcement import enable

ALL_AT_ONCE = "CodeDeployDefault.LambdaAllAtOnce"
LAMBDA = "arn:aws:lambda:us-east-1:123456789012:function"
ALIAS_ACTIONS = ["lambda:GetAlias", "lambda:UpdateAlias"]


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


def _allow(resources: list[str], effect: str = "Allow") -> str:
    statement = {"Effect": effect, "Action": ALIAS_ACTIONS, "Resource": resources}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def _service_role(
    account: Account, inline: tuple[str, ...] = (), managed: tuple[str, ...] = ()
) -> str:
    """A role CodeDeploy may assume, with these inline and attached policy documents."""
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
    return arn


def _group(account: Account, role_arn: str) -> None:
    account.cd.create_application(applicationName=APP, computePlatform="Lambda")
    account.cd.create_deployment_group(
        applicationName=APP,
        deploymentGroupName=GROUP,
        serviceRoleArn=role_arn,
        deploymentConfigName=ALL_AT_ONCE,
        **rollback_on("DEPLOYMENT_FAILURE"),
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
