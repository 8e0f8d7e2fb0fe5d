"""The direct reads (twophase.aws.direct) answer what boto3 answers, on the embedded AWS.

`status` and `releases` read Lambda's version and alias lists and CloudFormation's GetTemplate
without botocore when the target is plain; these tests hold the direct clients to boto3's
answers, pagination, refusals and signatures, through the same server.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, cast

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_iam_enforcement import user_clients
from tests.local.test_lambda_revision_id import code, create_function
from twophase.aws.direct import DirectCloudFormation, DirectLambda, Transport
from twophase.aws.direct_credentials import direct_target
from twophase.aws.errors import ServiceError
from twophase.aws.lambda_client import LambdaClient
from twophase.aws.session import Clients, Target
from twophase.aws.stack_template import get_template
from twophase.errors import AccessDeniedError, NotFoundError
from twophase.local.extensions.iam_enforcement import enable

ACCOUNT = "123456789012"
ARN = f"arn:aws:lambda:us-east-1:{ACCOUNT}:function:fn"
TEMPLATE = {
    "Description": "café, a small stack",
    "Resources": {"Queue": {"Type": "AWS::SQS::Queue"}},
    "Outputs": {"Url": {"Value": {"Ref": "Queue"}}},
}


def stripped(answer: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in answer.items() if k != "ResponseMetadata"}


@pytest.fixture
def clients(local_aws: LocalAwsHandle) -> Clients:
    return local_aws.clients()


@pytest.fixture
def boto_lambda(clients: Clients) -> Any:
    """`fn` with three published versions and four aliases, one of them weighted."""
    create_function(clients)
    lam = clients.client("lambda")
    for n in (1, 2, 3):
        lam.update_function_code(FunctionName="fn", ZipFile=code(f"release = {n}\n"))
        lam.publish_version(FunctionName="fn", Description=f"release {n}")
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1", Description="prod")
    lam.create_alias(FunctionName="fn", Name="next", FunctionVersion="2")
    lam.create_alias(FunctionName="fn", Name="beta", FunctionVersion="2")
    lam.create_alias(
        FunctionName="fn",
        Name="canary",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {"3": 0.1}},
    )
    return lam


@pytest.fixture
def direct_lambda(clients: Clients) -> DirectLambda:
    reader = clients.reader("lambda")
    assert isinstance(reader, DirectLambda)  # the embedded AWS's keys are plain
    return reader


@pytest.fixture
def direct_cfn(clients: Clients) -> DirectCloudFormation:
    reader = clients.reader("cloudformation")
    assert isinstance(reader, DirectCloudFormation)
    return reader


def without_nulls(answer: Any) -> Any:
    """`answer` without null members: botocore leaves a member out when AWS sends it as null."""
    if isinstance(answer, dict):
        return {k: without_nulls(v) for k, v in answer.items() if v is not None}
    if isinstance(answer, list):
        return [without_nulls(item) for item in answer]
    return answer


def test_lists_equal_boto3s(boto_lambda: Any, direct_lambda: DirectLambda) -> None:
    """ListVersionsByFunction and ListAliases
    (https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html,
    https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html)."""
    versions = direct_lambda.list_versions_by_function(FunctionName="fn")
    aliases = direct_lambda.list_aliases(FunctionName="fn")

    assert without_nulls(versions) == stripped(
        boto_lambda.list_versions_by_function(FunctionName="fn")
    )
    assert without_nulls(aliases) == stripped(boto_lambda.list_aliases(FunctionName="fn"))
    assert [v["Version"] for v in versions["Versions"]] == ["$LATEST", "1", "2", "3"]
    assert [v["Description"] for v in versions["Versions"][1:]] == [
        "release 1",
        "release 2",
        "release 3",
    ]
    canary = next(a for a in aliases["Aliases"] if a["Name"] == "canary")
    assert canary["RoutingConfig"] == {"AdditionalVersionWeights": {"3": 0.1}}
    assert len(aliases["Aliases"]) == 4


def test_null_members_are_left_out_as_boto3_does(
    boto_lambda: Any, direct_lambda: DirectLambda
) -> None:
    """The same answers, member for member: a caller may read `answer.get(key, default)`."""
    assert direct_lambda.list_versions_by_function(FunctionName="fn") == stripped(
        boto_lambda.list_versions_by_function(FunctionName="fn")
    )
    assert direct_lambda.list_aliases(FunctionName="fn") == stripped(
        boto_lambda.list_aliases(FunctionName="fn")
    )


@pytest.mark.parametrize("operation", ["list_versions_by_function", "list_aliases"])
def test_pages_equal_boto3s(boto_lambda: Any, direct_lambda: DirectLambda, operation: str) -> None:
    """MaxItems bounds a page; NextMarker leads to the next one, absent on the last
    (https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html)."""
    ours = list(direct_lambda.get_paginator(operation).paginate(FunctionName="fn", MaxItems=1))
    theirs = boto_lambda.get_paginator(operation).paginate(FunctionName="fn", MaxItems=1)

    assert [without_nulls(page) for page in ours] == [stripped(page) for page in theirs]
    assert len(ours) > 1 and all("NextMarker" in page for page in ours[:-1])
    assert "NextMarker" not in ours[-1]


def test_the_function_version_filter_equals_boto3s(
    boto_lambda: Any, direct_lambda: DirectLambda
) -> None:
    """ListAliases' FunctionVersion: only the aliases that point to that version
    (https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html)."""
    ours = direct_lambda.list_aliases(FunctionName="fn", FunctionVersion="2")
    pages = direct_lambda.get_paginator("list_aliases").paginate(
        FunctionName="fn", FunctionVersion="2", MaxItems=1
    )

    theirs = boto_lambda.list_aliases(FunctionName="fn", FunctionVersion="2")
    assert without_nulls(ours) == stripped(theirs)
    assert {a["Name"] for a in ours["Aliases"]} == {"beta", "canary", "next"}
    assert [a for page in pages for a in page["Aliases"]] == ours["Aliases"]


def test_the_thin_client_reads_the_same_through_either(
    boto_lambda: Any, direct_lambda: DirectLambda
) -> None:
    ours, theirs = LambdaClient(cast(Any, direct_lambda)), LambdaClient(boto_lambda)

    assert ours.list_aliases("fn") == theirs.list_aliases("fn")
    assert ours.list_versions("fn", include_latest=True) == theirs.list_versions(
        "fn", include_latest=True
    )


def test_a_missing_function_is_resource_not_found(
    clients: Clients, direct_lambda: DirectLambda
) -> None:
    """A function that does not exist: 404 ResourceNotFoundException
    (https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html#API_ListAliases_Errors)."""
    with pytest.raises(ServiceError) as ours:
        direct_lambda.list_aliases(FunctionName="nope")
    with pytest.raises(ClientError) as theirs:
        clients.client("lambda").list_aliases(FunctionName="nope")

    assert ours.value.response["Error"] == theirs.value.response["Error"]
    assert ours.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert ours.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    with pytest.raises(NotFoundError, match="nope"):
        LambdaClient(cast(Any, direct_lambda)).list_aliases("nope")
    with pytest.raises(NotFoundError, match="nope"):
        LambdaClient(cast(Any, direct_lambda)).list_versions("nope")


def test_a_refusal_reads_as_botocores(clients: Clients, direct_lambda: DirectLambda) -> None:
    """Callers match a refusal's text, as botocore words it ("An error occurred (Code) when
    calling the Op operation: Message"), e.g. twophase.aws.cloudformation's "does not exist"."""
    with pytest.raises(ServiceError) as ours:
        direct_lambda.list_versions_by_function(FunctionName="nope")
    with pytest.raises(ClientError) as theirs:
        clients.client("lambda").list_versions_by_function(FunctionName="nope")

    assert str(ours.value) == str(theirs.value)


@pytest.fixture
def stack(clients: Clients) -> str:
    clients.client("cloudformation").create_stack(
        StackName="app-dev", TemplateBody=json.dumps(TEMPLATE)
    )
    return "app-dev"


def test_get_template_equals_boto3s(
    clients: Clients, direct_cfn: DirectCloudFormation, stack: str
) -> None:
    """GetTemplate returns the template as submitted; boto3 decodes a JSON body into a mapping
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_GetTemplate.html)."""
    ours = direct_cfn.get_template(StackName=stack, TemplateStage="Original")
    theirs = clients.client("cloudformation").get_template(
        StackName=stack, TemplateStage="Original"
    )

    assert json.loads(ours["TemplateBody"]) == theirs["TemplateBody"] == TEMPLATE
    assert ours["StagesAvailable"] == theirs.get("StagesAvailable", [])
    boto_cfn = clients.client("cloudformation")
    assert get_template(cast(Any, direct_cfn), stack) == get_template(boto_cfn, stack)


def test_a_missing_stack_is_a_validation_error(
    clients: Clients, direct_cfn: DirectCloudFormation
) -> None:
    """GetTemplate of a stack that does not exist: 400 ValidationError
    (https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/CommonErrors.html)."""
    with pytest.raises(ServiceError) as ours:
        direct_cfn.get_template(StackName="nope")
    with pytest.raises(ClientError) as theirs:
        clients.client("cloudformation").get_template(StackName="nope")

    assert ours.value.response["Error"]["Code"] == "ValidationError"
    assert ours.value.response["Error"]["Message"] == theirs.value.response["Error"]["Message"]
    assert ours.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


# --- signatures and rights, with IAM enforcement on ---------------------------------------------


@pytest.fixture
def enforced(boto_lambda: Any, stack: str) -> Iterator[None]:
    enable(True)
    try:
        yield
    finally:
        enable(False)


def direct_as(local_aws: LocalAwsHandle, access_key: str, secret_key: str) -> DirectLambda:
    target = Target(
        "us-east-1",
        endpoint_url=local_aws.endpoint_url,
        local=True,
        access_key=access_key,
        secret_key=secret_key,
    )
    found = direct_target(target)
    assert found is not None
    return DirectLambda(Transport(found, "lambda"))


def test_signed_reads_pass_enforcement(
    enforced: None, local_aws: LocalAwsHandle, clients: Clients
) -> None:
    """AWS verifies every request's SigV4 signature
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html); a direct
    read, bodiless GET or posted form, is accepted as boto3's is."""
    keys = local_aws.credentials
    root = direct_as(local_aws, keys.access_key_id, keys.secret_access_key)

    assert len(root.list_aliases(FunctionName="fn")["Aliases"]) == 4
    assert len(root.list_versions_by_function(FunctionName="fn")["Versions"]) == 4
    cfn = clients.reader("cloudformation")
    body: Any = cfn.get_template(StackName="app-dev")["TemplateBody"]  # a str, read directly
    assert json.loads(body) == TEMPLATE


def test_a_wrong_secret_is_refused(enforced: None, local_aws: LocalAwsHandle) -> None:
    """A signature made with another secret does not match; Lambda answers 403
    InvalidSignatureException (https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html,
    https://docs.aws.amazon.com/IAM/latest/UserGuide/signature-v4-troubleshooting.html)."""
    wrong = direct_as(local_aws, local_aws.credentials.access_key_id, "not-the-secret")

    with pytest.raises(ServiceError) as info:
        wrong.list_aliases(FunctionName="fn")

    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert info.value.response["Error"]["Code"] == "InvalidSignatureException"


def test_a_user_without_the_right_is_denied(
    enforced: None, local_aws: LocalAwsHandle, clients: Clients
) -> None:
    """An identity-based policy grants lambda:ListVersionsByFunction, not lambda:ListAliases:
    403 AccessDeniedException for the latter
    (https://docs.aws.amazon.com/lambda/latest/dg/lambda-api-permissions-ref.html)."""
    statement = {
        "Effect": "Allow",
        "Action": "lambda:ListVersionsByFunction",
        "Resource": f"{ARN}",
    }
    user = user_clients(clients, local_aws.endpoint_url, "carol", statement)
    direct = user.reader("lambda")
    assert isinstance(direct, DirectLambda)

    assert len(direct.list_versions_by_function(FunctionName="fn")["Versions"]) == 4
    with pytest.raises(ServiceError) as info:
        direct.list_aliases(FunctionName="fn")
    assert info.value.response["Error"]["Code"] == "AccessDeniedException"
    with pytest.raises(AccessDeniedError, match="lambda:ListAliases"):
        LambdaClient(direct).list_aliases("fn")
