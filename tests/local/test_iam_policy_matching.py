"""With enforcement on, policies match as IAM matches them, and implied reads are checked too.

AWS behaviour:
- IAM user guide, "IAM JSON policy elements: Resource"
  (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html):
  in a resource ARN `*` matches any combination of characters and `?` any single character; no
  other character is special, so `function:NAME:$LATEST` names `$LATEST` and `a.zip` does not
  match `aXzip`. "...: NotResource" matches every resource but the listed ones. Action names are
  case insensitive.
- IAM user guide, "Condition operators": `StringLike` on `s3:prefix` holds only when the request
  has that prefix; a ListObjects(V2) without a prefix has no `s3:prefix` key, so the condition
  fails and the statement does not apply. A statement whose condition fails does not deny: another
  statement may still allow.
- S3 API reference, CopyObject
  (https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html): "you must have read
  access to the source object and write access to the destination bucket": `s3:GetObject` on the
  `x-amz-copy-source` object, as well as `s3:PutObject` on the destination.
- Lambda API reference, UpdateFunctionCode (`S3Bucket`, `S3Key`): Lambda reads the object with the
  caller's permissions; without `s3:GetObject` on it the call fails with `AccessDeniedException`
  "Your access has been denied by S3, please make sure your request credentials have permission to
  GetObject for BUCKET/KEY. ..." and the code stays.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_iam_enforcement import FUNCTION, user_clients
from tests.local.test_lambda_revision_id import code, create_function
from twophase.aws.session import Clients
from twophase.local.extensions.iam_enforcement import enable

BUCKET = "artifacts"
API = "shop/local/api/"
WORKER = "shop/local/worker/"
OBJECTS = f"arn:aws:s3:::{BUCKET}"


@pytest.fixture
def admin(local_aws: LocalAwsHandle) -> Iterator[Clients]:
    clients = local_aws.clients()
    for name in ("A", "B"):
        create_function(clients, name)
    lam = clients.client("lambda")
    lam.publish_version(FunctionName="A")
    lam.create_alias(FunctionName="A", Name="live", FunctionVersion="1")
    s3 = clients.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key in (f"{API}a.zip", f"{API}aXzip", f"{WORKER}w.zip"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=code(f"# {key}\n"))
    enable(True)
    try:
        yield clients
    finally:
        enable(False)


def as_user(
    admin: Clients, local_aws: LocalAwsHandle, *statements: dict[str, Any]
) -> dict[str, Any]:
    """Clients of a new IAM user `alice` holding one inline policy made of `statements`."""
    clients = user_clients(admin, local_aws.endpoint_url, "alice", statements[0])
    document = {"Version": "2012-10-17", "Statement": list(statements)}
    admin.client("iam").put_user_policy(
        UserName="alice", PolicyName="only", PolicyDocument=json.dumps(document)
    )
    return {"s3": clients.client("s3"), "lambda": clients.client("lambda")}


def refused(call: Any, code: str = "AccessDenied") -> Mapping[str, Any]:
    with pytest.raises(ClientError) as info:
        call()
    response: Mapping[str, Any] = info.value.response
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 403
    assert response["Error"]["Code"] == code
    return response


def allow(actions: list[str], resources: list[str], **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resources, **extra}


# -- (a) CopyObject needs read access to the copy source ----------------------------------------


def test_copy_object_needs_get_object_on_the_source(
    admin: Clients, local_aws: LocalAwsHandle
) -> None:
    alice = as_user(
        admin, local_aws, allow(["s3:GetObject", "s3:PutObject"], [f"{OBJECTS}/{API}*"])
    )["s3"]
    steal = {"Bucket": BUCKET, "Key": f"{WORKER}w.zip"}
    refused(lambda: alice.copy_object(Bucket=BUCKET, Key=f"{API}stolen.zip", CopySource=steal))
    listed = admin.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=f"{API}stolen")
    assert listed["KeyCount"] == 0

    own = {"Bucket": BUCKET, "Key": f"{API}a.zip"}
    alice.copy_object(Bucket=BUCKET, Key=f"{API}copy.zip", CopySource=own)
    assert alice.get_object(Bucket=BUCKET, Key=f"{API}copy.zip")["Body"].read()


# -- (b) ListObjects evaluates the s3:prefix condition --------------------------------------------


def _prefix(*prefixes: str) -> dict[str, Any]:
    condition = {"StringLike": {"s3:prefix": [f"{p}*" for p in prefixes]}}
    return allow(["s3:ListBucket"], [OBJECTS], Condition=condition)


def test_listing_is_allowed_only_under_the_prefix_the_condition_names(
    admin: Clients, local_aws: LocalAwsHandle
) -> None:
    alice = as_user(admin, local_aws, _prefix(API))["s3"]
    refused(lambda: alice.list_objects_v2(Bucket=BUCKET))
    refused(lambda: alice.list_objects(Bucket=BUCKET))
    refused(lambda: alice.list_objects_v2(Bucket=BUCKET, Prefix=WORKER))
    refused(lambda: alice.list_objects_v2(Bucket=BUCKET, Prefix="shop/"))
    keys = [o["Key"] for o in alice.list_objects_v2(Bucket=BUCKET, Prefix=API)["Contents"]]
    assert keys == [f"{API}a.zip", f"{API}aXzip"]
    assert alice.list_objects(Bucket=BUCKET, Prefix=f"{API}a")["Contents"]


def test_a_failed_condition_does_not_deny_what_another_statement_allows(
    admin: Clients, local_aws: LocalAwsHandle
) -> None:
    alice = as_user(admin, local_aws, _prefix(API), _prefix(WORKER))["s3"]
    assert alice.list_objects_v2(Bucket=BUCKET, Prefix=API)["KeyCount"] == 2
    assert alice.list_objects_v2(Bucket=BUCKET, Prefix=WORKER)["KeyCount"] == 1
    refused(lambda: alice.list_objects_v2(Bucket=BUCKET))


# -- (c) UpdateFunctionCode from S3 needs read access to the object -------------------------------


def test_update_function_code_from_s3_needs_get_object_on_it(
    admin: Clients, local_aws: LocalAwsHandle
) -> None:
    alice = as_user(
        admin,
        local_aws,
        allow(["lambda:UpdateFunctionCode"], [f"{FUNCTION}:A"]),
        allow(["s3:GetObject", "s3:PutObject"], [f"{OBJECTS}/{API}*"]),
    )["lambda"]
    lam = admin.client("lambda")
    before = lam.get_function_configuration(FunctionName="A")["CodeSha256"]
    error = refused(
        lambda: alice.update_function_code(
            FunctionName="A", S3Bucket=BUCKET, S3Key=f"{WORKER}w.zip"
        ),
        "AccessDeniedException",
    )
    assert error["Error"]["Message"] == (
        "Your access has been denied by S3, please make sure your request credentials have "
        f"permission to GetObject for {BUCKET}/{WORKER}w.zip. S3 Error Code: AccessDenied. "
        "S3 Error Message: Access Denied"
    )
    assert lam.get_function_configuration(FunctionName="A")["CodeSha256"] == before

    updated = alice.update_function_code(FunctionName="A", S3Bucket=BUCKET, S3Key=f"{API}a.zip")
    assert updated["CodeSha256"] != before


# -- (d) ARNs match as IAM matches them -------------------------------------------------------


def test_dollar_in_a_resource_is_a_plain_character(
    admin: Clients, local_aws: LocalAwsHandle
) -> None:
    """The deployer policy's shape: prune versions, never `$LATEST` (which takes the function)."""
    alice = as_user(
        admin,
        local_aws,
        allow(["lambda:DeleteFunction"], [f"{FUNCTION}:A:*"]),
        {"Effect": "Deny", "Action": "lambda:DeleteFunction", "Resource": f"{FUNCTION}:A:$LATEST"},
    )["lambda"]
    refused(
        lambda: alice.delete_function(FunctionName="A", Qualifier="$LATEST"),
        "AccessDeniedException",
    )
    assert admin.client("lambda").get_function(FunctionName="A")["Code"]


def test_question_mark_is_one_character_and_dot_only_a_dot(
    admin: Clients, local_aws: LocalAwsHandle
) -> None:
    clients = as_user(
        admin,
        local_aws,
        allow(["lambda:GetFunction"], [f"{FUNCTION}:?"]),
        allow(["s3:GetObject"], [f"{OBJECTS}/{API}a.zip"]),
    )
    alice, s3 = clients["lambda"], clients["s3"]
    assert alice.get_function(FunctionName="A")["Configuration"]["FunctionName"] == "A"
    assert alice.get_function(FunctionName="B")["Configuration"]["FunctionName"] == "B"
    refused(lambda: alice.get_function(FunctionName="A", Qualifier="live"), "AccessDeniedException")

    assert s3.get_object(Bucket=BUCKET, Key=f"{API}a.zip")["Body"].read()
    refused(lambda: s3.get_object(Bucket=BUCKET, Key=f"{API}aXzip"))


def test_not_resource_and_case_insensitive_actions(
    admin: Clients, local_aws: LocalAwsHandle
) -> None:
    alice = as_user(
        admin,
        local_aws,
        {"Effect": "Allow", "Action": "LAMBDA:getfunction", "NotResource": f"{FUNCTION}:B"},
    )["lambda"]
    assert alice.get_function(FunctionName="A")["Configuration"]["FunctionName"] == "A"
    refused(lambda: alice.get_function(FunctionName="B"), "AccessDeniedException")
