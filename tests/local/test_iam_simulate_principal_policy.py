"""IAM's policy simulator (`SimulatePrincipalPolicy`) and the root user's caller identity.

AWS behaviour: the simulator evaluates a user's or role's identity policies (inline, attached, a
user's groups') per action and resource (`allowed`, `explicitDeny`, `implicitDeny`); an unknown
principal is `NoSuchEntity`; a role's permissions boundary caps what its policies allow; the call
is authorised on the simulated principal's ARN. Root keys' `GetCallerIdentity` is
`arn:aws:iam::ACCOUNT:root`. Its answers are the ones the embedded AWS's IAM enforcement gives.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_iam_enforcement import user_clients
from tests.local.test_lambda_revision_id import create_function
from twophase.aws.session import Clients
from twophase.local.extensions.iam_enforcement import enable

ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"
PUSH = ["lambda:UpdateFunctionCode", "lambda:PublishVersion", "lambda:UpdateAlias"]


def _policy(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def _allow(actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources}


def _decisions(iam: Any, arn: str, actions: list[str], resources: list[str]) -> dict[str, str]:
    pages = iam.get_paginator("simulate_principal_policy").paginate(
        PolicySourceArn=arn, ActionNames=actions, ResourceArns=resources
    )
    results = [r for page in pages for r in page["EvaluationResults"]]
    return {f"{r['EvalActionName']} {r['EvalResourceName']}": r["EvalDecision"] for r in results}


@pytest.fixture
def admin(local_aws: LocalAwsHandle) -> Clients:
    return local_aws.clients()


def test_root_keys_are_the_account_root_user(admin: Clients) -> None:
    identity = admin.client("sts").get_caller_identity()
    assert identity["Arn"] == f"arn:aws:iam::{ACCOUNT}:root"
    assert identity["UserId"] == identity["Account"] == ACCOUNT


def test_a_user_policy_scoped_to_one_function(admin: Clients) -> None:
    iam = admin.client("iam")
    iam.create_user(UserName="alice")
    own = [f"{FUNCTION}:A", f"{FUNCTION}:A:*"]
    deny = {"Effect": "Deny", "Action": "lambda:UpdateAlias", "Resource": f"{FUNCTION}:A:live"}
    iam.put_user_policy(
        UserName="alice", PolicyName="push-a", PolicyDocument=_policy(_allow(PUSH, own), deny)
    )
    arn = iam.get_user(UserName="alice")["User"]["Arn"]
    got = _decisions(iam, arn, ["lambda:UpdateAlias"], [f"{FUNCTION}:A:next", f"{FUNCTION}:A:live"])
    assert got == {
        f"lambda:UpdateAlias {FUNCTION}:A:next": "allowed",
        f"lambda:UpdateAlias {FUNCTION}:A:live": "explicitDeny",
    }
    got = _decisions(iam, arn, PUSH, [f"{FUNCTION}:B"])
    assert set(got.values()) == {"implicitDeny"}


def test_group_and_attached_policies_count(admin: Clients) -> None:
    iam = admin.client("iam")
    iam.create_user(UserName="carol")
    iam.create_group(GroupName="web")
    iam.add_user_to_group(GroupName="web", UserName="carol")
    iam.put_group_policy(
        GroupName="web",
        PolicyName="code",
        PolicyDocument=_policy(_allow(["lambda:UpdateFunctionCode"], [f"{FUNCTION}:A"])),
    )
    managed = iam.create_policy(
        PolicyName="publish", PolicyDocument=_policy(_allow(["lambda:PublishVersion"], ["*"]))
    )["Policy"]["Arn"]
    iam.attach_user_policy(UserName="carol", PolicyArn=managed)
    arn = iam.get_user(UserName="carol")["User"]["Arn"]
    got = _decisions(
        iam, arn, ["lambda:UpdateFunctionCode", "lambda:PublishVersion"], [f"{FUNCTION}:A"]
    )
    assert set(got.values()) == {"allowed"}


def test_a_role_with_an_attached_policy(admin: Clients) -> None:
    iam = admin.client("iam")
    trust = _policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    arn = iam.create_role(RoleName="web-team", Path="/teams/", AssumeRolePolicyDocument=trust)[
        "Role"
    ]["Arn"]
    managed = iam.create_policy(
        PolicyName="push-a", PolicyDocument=_policy(_allow(PUSH, [f"{FUNCTION}:A*"]))
    )["Policy"]["Arn"]
    iam.attach_role_policy(RoleName="web-team", PolicyArn=managed)
    got = _decisions(iam, arn, PUSH, [f"{FUNCTION}:A", f"{FUNCTION}:B"])
    assert {k: v for k, v in got.items() if v == "allowed"} == {
        f"{action} {FUNCTION}:A": "allowed" for action in PUSH
    }


def test_a_roles_permissions_boundary_caps_what_its_policies_allow(admin: Clients) -> None:
    """AWS: a permissions boundary sets the most an entity's identity policies can grant; the
    simulation uses the boundary attached to the entity: an action the boundary does not allow is
    `implicitDeny`, one it denies `explicitDeny`, whatever the identity policies allow.
    https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
    """
    iam = admin.client("iam")
    trust = _policy({"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"})
    boundary = iam.create_policy(
        PolicyName="boundary",
        PolicyDocument=_policy(
            _allow(["lambda:UpdateFunctionCode", "lambda:PublishVersion"], ["*"]),
            {"Effect": "Deny", "Action": "lambda:PublishVersion", "Resource": f"{FUNCTION}:B"},
        ),
    )["Policy"]["Arn"]
    arn = iam.create_role(
        RoleName="bounded", AssumeRolePolicyDocument=trust, PermissionsBoundary=boundary
    )["Role"]["Arn"]
    iam.put_role_policy(
        RoleName="bounded", PolicyName="push", PolicyDocument=_policy(_allow(PUSH, ["*"]))
    )
    got = _decisions(iam, arn, PUSH, [f"{FUNCTION}:A", f"{FUNCTION}:B"])
    assert got == {
        f"lambda:UpdateFunctionCode {FUNCTION}:A": "allowed",
        f"lambda:UpdateFunctionCode {FUNCTION}:B": "allowed",
        f"lambda:PublishVersion {FUNCTION}:A": "allowed",
        f"lambda:PublishVersion {FUNCTION}:B": "explicitDeny",
        f"lambda:UpdateAlias {FUNCTION}:A": "implicitDeny",
        f"lambda:UpdateAlias {FUNCTION}:B": "implicitDeny",
    }


def test_a_role_cloudformation_made_is_simulated_with_its_inline_policies(
    admin: Clients,
) -> None:
    """AWS: a role's inline policies are its identity policies however the role was made; one
    CloudFormation made (`AWS::IAM::Role` `Policies`) is simulated as one made through IAM.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-iam-role.html
    https://docs.aws.amazon.com/IAM/latest/APIReference/API_SimulatePrincipalPolicy.html
    """
    trust = {"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}
    role = {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "RoleName": "made",
            "AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": [trust]},
            "Policies": [
                {
                    "PolicyName": "push-a",
                    "PolicyDocument": json.loads(_policy(_allow(PUSH, [f"{FUNCTION}:A"]))),
                }
            ],
        },
    }
    cfn = admin.client("cloudformation")
    cfn.create_stack(
        StackName="made",
        TemplateBody=json.dumps({"Resources": {"Role": role}}),
        Capabilities=["CAPABILITY_NAMED_IAM"],
    )
    iam = admin.client("iam")
    arn = iam.get_role(RoleName="made")["Role"]["Arn"]
    got = _decisions(iam, arn, ["lambda:UpdateAlias"], [f"{FUNCTION}:A", f"{FUNCTION}:B"])
    assert got == {
        f"lambda:UpdateAlias {FUNCTION}:A": "allowed",
        f"lambda:UpdateAlias {FUNCTION}:B": "implicitDeny",
    }


def test_an_unknown_principal_is_no_such_entity(admin: Clients) -> None:
    with pytest.raises(ClientError) as info:
        admin.client("iam").simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/nobody", ActionNames=PUSH
        )
    assert info.value.response["Error"]["Code"] == "NoSuchEntity"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.fixture
def enforced(admin: Clients) -> Iterator[Clients]:
    for name in ("A", "B"):
        create_function(admin, name)
    enable(True)
    try:
        yield admin
    finally:
        enable(False)


def test_simulation_agrees_with_enforcement_and_is_authorised_on_the_principal(
    enforced: Clients, local_aws: LocalAwsHandle
) -> None:
    own = f"arn:aws:iam::{ACCOUNT}:user/dave"
    statement = _allow(["lambda:GetFunction"], [f"{FUNCTION}:A"])
    dave = user_clients(enforced, local_aws.endpoint_url, "dave", statement)
    enforced.client("iam").put_user_policy(
        UserName="dave",
        PolicyName="simulate-myself",
        PolicyDocument=_policy(_allow(["iam:SimulatePrincipalPolicy"], [own])),
    )
    iam = dave.client("iam")
    got = _decisions(iam, own, ["lambda:GetFunction"], [f"{FUNCTION}:A", f"{FUNCTION}:B"])
    assert got == {
        f"lambda:GetFunction {FUNCTION}:A": "allowed",
        f"lambda:GetFunction {FUNCTION}:B": "implicitDeny",
    }
    lam = dave.client("lambda")
    lam.get_function(FunctionName="A")  # allowed, as simulated
    with pytest.raises(ClientError) as denied:
        lam.get_function(FunctionName="B")
    assert denied.value.response["Error"]["Code"] == "AccessDeniedException"
    enforced.client("iam").create_user(UserName="erin")
    with pytest.raises(ClientError) as other:
        iam.simulate_principal_policy(
            PolicySourceArn=f"arn:aws:iam::{ACCOUNT}:user/erin", ActionNames=PUSH
        )
    assert other.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
