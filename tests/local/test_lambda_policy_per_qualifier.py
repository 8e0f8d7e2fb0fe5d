"""The function, each version and each alias has a resource-based policy of its own.

AWS behaviour (Lambda developer guide, "Using Lambda aliases in event sources and permissions
policies", https://docs.aws.amazon.com/lambda/latest/dg/using-aliases.html: "The scope of that
permission depends on whether you apply it to an alias, a version, or the entire function";
Lambda API reference, AddPermission, GetPolicy, RemovePermission: `Qualifier` "Specify a version or
alias to add permissions to a published version of the function"): AddPermission with
`Qualifier=live` adds the statement to the `live` alias's policy only; GetPolicy(Qualifier=live)
returns it, GetPolicy() and GetPolicy of the version `live` points to or of another alias do not
(ResourceNotFoundException when they hold nothing); RemovePermission takes it out of that policy
only; deleting the alias deletes its policy. CloudFormation's AWS::Lambda::Permission on an alias
ARN does the same, and deleting the resource removes the statement.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, role_resource
from tests.local.test_lambda_revision_id import create_function

FN = "arn:aws:lambda:us-east-1:123456789012:function:A"


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    create_function(clients, "A")
    lam = clients.client("lambda")
    lam.publish_version(FunctionName="A")
    lam.create_alias(FunctionName="A", Name="live", FunctionVersion="1")
    lam.create_alias(FunctionName="A", Name="next", FunctionVersion="1")
    return lam


def grant(lam: Any, sid: str, **qualifier: str) -> dict[str, Any]:
    response = lam.add_permission(
        FunctionName="A",
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        **qualifier,
    )
    statement: dict[str, Any] = json.loads(response["Statement"])
    return statement


def sids(lam: Any, **qualifier: str) -> list[str] | None:
    """The statement ids of one policy; None when GetPolicy answers ResourceNotFoundException."""
    try:
        policy = json.loads(lam.get_policy(FunctionName="A", **qualifier)["Policy"])
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "ResourceNotFoundException"
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 404
        return None
    return [s["Sid"] for s in policy["Statement"]]


def test_a_statement_on_an_alias_is_in_that_alias_policy_only(lam: Any) -> None:
    statement = grant(lam, "live-only", Qualifier="live")
    assert statement["Resource"] == f"{FN}:live"

    assert sids(lam, Qualifier="live") == ["live-only"]
    assert sids(lam) is None
    assert sids(lam, Qualifier="1") is None  # the version live points to
    assert sids(lam, Qualifier="next") is None
    assert sids(lam, Qualifier="$LATEST") is None


def test_each_policy_takes_its_own_statements_even_with_the_same_id(lam: Any) -> None:
    assert grant(lam, "s")["Resource"] == FN
    assert grant(lam, "s", Qualifier="live")["Resource"] == f"{FN}:live"
    assert grant(lam, "s", Qualifier="1")["Resource"] == f"{FN}:1"
    lam.add_permission(
        FunctionName="A:next",
        StatementId="n",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
    )
    assert [sids(lam), sids(lam, Qualifier="live"), sids(lam, Qualifier="1")] == [["s"]] * 3
    assert sids(lam, Qualifier="next") == ["n"]

    with pytest.raises(ClientError) as info:
        grant(lam, "s", Qualifier="live")
    assert info.value.response["Error"]["Code"] == "ResourceConflictException"
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 409


def test_remove_permission_changes_the_policy_its_qualifier_names(lam: Any) -> None:
    grant(lam, "s")
    grant(lam, "s", Qualifier="live")
    lam.remove_permission(FunctionName="A", StatementId="s", Qualifier="live")
    assert (sids(lam), sids(lam, Qualifier="live")) == (["s"], None)
    with pytest.raises(ClientError) as info:
        lam.remove_permission(FunctionName="A", StatementId="s", Qualifier="next")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_an_unknown_qualifier_is_not_found(lam: Any) -> None:
    with pytest.raises(ClientError) as info:
        grant(lam, "s", Qualifier="beta")
    assert info.value.response["Error"]["Code"] == "ResourceNotFoundException"


def test_a_deleted_alias_takes_its_policy_with_it(lam: Any) -> None:
    grant(lam, "s", Qualifier="live")
    lam.delete_alias(FunctionName="A", Name="live")
    lam.create_alias(FunctionName="A", Name="live", FunctionVersion="1")
    assert sids(lam, Qualifier="live") is None


def test_cloudformation_permission_on_an_alias_lands_in_its_policy_and_leaves_it(
    local_aws: LocalAwsHandle,
) -> None:
    clients = local_aws.clients()
    cfn, lam = clients.client("cloudformation"), clients.client("lambda")
    permission = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": {"Ref": "Live"},
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
        },
    }
    template: dict[str, Any] = {
        "Resources": {
            "Role": role_resource(),
            "Fn": {
                "Type": "AWS::Lambda::Function",
                "Properties": {
                    "FunctionName": "A",
                    "Runtime": "python3.12",
                    "Handler": "index.handler",
                    "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                    "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"},
                },
            },
            "Ver": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
            "Live": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "FunctionVersion": {"Fn::GetAtt": ["Ver", "Version"]},
                    "Name": "live",
                },
            },
        }
    }
    cfn.create_stack(
        StackName="s",
        TemplateBody=body(
            {**template, "Resources": {**template["Resources"], "Invoke": permission}}
        ),
    )
    assert final_status(cfn, "s") == "CREATE_COMPLETE"
    [sid] = sids(lam, Qualifier="live") or []
    assert (sids(lam), sids(lam, Qualifier="1")) == (None, None)

    cfn.update_stack(StackName="s", TemplateBody=body(template))
    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert sids(lam, Qualifier="live") is None, sid
