"""With enforcement on, a policy scoped to one function allows it and denies the others."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function
from twophase.aws.session import Clients, Target
from twophase.local.extensions.iam_enforcement import enable

ACCOUNT = "123456789012"
FUNCTION = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function"
ALICE_ACTIONS = [
    "lambda:GetFunction",
    "lambda:GetFunctionConfiguration",
    "lambda:UpdateFunctionCode",
    "lambda:PublishVersion",
    "lambda:GetAlias",
    "lambda:UpdateAlias",
]


@pytest.fixture
def admin(local_aws: LocalAwsHandle) -> Iterator[Clients]:
    clients = local_aws.clients()
    for name in ("A", "B"):
        create_function(clients, name)
        clients.client("lambda").publish_version(FunctionName=name)
        clients.client("lambda").create_alias(FunctionName=name, Name="live", FunctionVersion="1")
    enable(True)
    try:
        yield clients
    finally:
        enable(False)


def user_clients(
    admin: Clients, endpoint_url: str, user: str, statement: dict[str, Any]
) -> Clients:
    """Clients signed with a new IAM user's key; the user holds one inline policy."""
    iam = admin.client("iam")
    iam.create_user(UserName=user)
    policy = json.dumps({"Version": "2012-10-17", "Statement": [statement]})
    iam.put_user_policy(UserName=user, PolicyName="only", PolicyDocument=policy)
    key = iam.create_access_key(UserName=user)["AccessKey"]
    target = Target(
        region="us-east-1",
        endpoint_url=endpoint_url,
        local=True,
        access_key=key["AccessKeyId"],
        secret_key=key["SecretAccessKey"],
    )
    return Clients(target)


@pytest.fixture
def alice(admin: Clients, local_aws: LocalAwsHandle) -> Any:
    statement = {
        "Effect": "Allow",
        "Action": ALICE_ACTIONS,
        "Resource": [f"{FUNCTION}:A", f"{FUNCTION}:A:*"],
    }
    return user_clients(admin, local_aws.endpoint_url, "alice", statement).client("lambda")


def denied(call: Callable[[], Any]) -> Mapping[str, Any]:
    with pytest.raises(ClientError) as info:
        call()
    response: Mapping[str, Any] = info.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Code"] == "AccessDeniedException"
    return response


def test_alice_can_push_function_a_including_qualified_calls(alice: Any) -> None:
    config = alice.get_function(FunctionName="A")["Configuration"]
    alice.get_function_configuration(FunctionName="A")
    alice.get_function(FunctionName="A", Qualifier="1")
    alice.get_function_configuration(FunctionName="A:live")
    updated = alice.update_function_code(
        FunctionName="A", ZipFile=code("pushed = 1\n"), RevisionId=config["RevisionId"]
    )
    version = alice.publish_version(FunctionName="A", CodeSha256=updated["CodeSha256"])
    alias = alice.get_alias(FunctionName="A", Name="live")
    alice.update_alias(
        FunctionName="A",
        Name="live",
        FunctionVersion=version["Version"],
        RevisionId=alias["RevisionId"],
    )
    assert alice.get_alias(FunctionName="A", Name="live")["FunctionVersion"] == "2"


def test_alice_is_denied_function_b(alice: Any) -> None:
    response = denied(lambda: alice.get_function(FunctionName="B"))
    assert f"{FUNCTION}:B" in response["Error"]["Message"]
    denied(lambda: alice.update_function_code(FunctionName="B", ZipFile=code("x = 1\n")))
    denied(lambda: alice.get_alias(FunctionName="B", Name="live"))
    denied(lambda: alice.publish_version(FunctionName="B"))


def test_alice_is_denied_what_her_policy_does_not_grant_on_a(alice: Any, admin: Clients) -> None:
    denied(lambda: alice.update_function_configuration(FunctionName="A", MemorySize=512))
    denied(lambda: alice.delete_function(FunctionName="A"))
    denied(
        lambda: alice.add_permission(
            FunctionName="A",
            StatementId="s",
            Action="lambda:InvokeFunction",
            Principal="apigateway.amazonaws.com",
        )
    )
    lam = admin.client("lambda")
    assert lam.get_function_configuration(FunctionName="A")["MemorySize"] == 128


def test_admin_keys_keep_full_access(alice: Any, admin: Clients) -> None:
    lam = admin.client("lambda")
    lam.update_function_configuration(FunctionName="B", MemorySize=512)
    lam.get_function(FunctionName="B", Qualifier="live")
    lam.delete_alias(FunctionName="B", Name="live")
    lam.delete_function(FunctionName="B")
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["A"]
    assert "alice" in [u["UserName"] for u in admin.client("iam").list_users()["Users"]]


def test_unknown_keys_are_refused(admin: Clients, local_aws: LocalAwsHandle) -> None:
    target = Target(
        region="us-east-1",
        endpoint_url=local_aws.endpoint_url,
        local=True,
        access_key="AKIAUNKNOWNKEY000000",
        secret_key="nope",
    )
    with pytest.raises(ClientError) as info:
        Clients(target).client("lambda").get_function(FunctionName="A")
    assert info.value.response["Error"]["Code"] == "UnrecognizedClientException"


def test_with_enforcement_off_everything_is_allowed_again(alice: Any) -> None:
    enable(False)
    alice.update_function_configuration(FunctionName="B", MemorySize=512)
    alice.delete_function(FunctionName="B")


def test_cloudformation_actions_are_checked_against_the_stack(
    admin: Clients, local_aws: LocalAwsHandle
) -> None:
    template = json.dumps({"Resources": {"Q": {"Type": "AWS::SQS::Queue"}}})
    cfn = admin.client("cloudformation")
    for name in ("app-a", "app-b"):
        cfn.create_stack(StackName=name, TemplateBody=template)
    statement = {
        "Effect": "Allow",
        "Action": "cloudformation:DescribeStacks",
        "Resource": f"arn:aws:cloudformation:us-east-1:{ACCOUNT}:stack/app-a/*",
    }
    bob = user_clients(admin, local_aws.endpoint_url, "bob", statement).client("cloudformation")
    assert bob.describe_stacks(StackName="app-a")["Stacks"][0]["StackName"] == "app-a"
    with pytest.raises(ClientError) as info:
        bob.describe_stacks(StackName="app-b")
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
