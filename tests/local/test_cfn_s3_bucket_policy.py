"""CloudFormation applies `AWS::S3::BucketPolicy`: GetBucketPolicy returns it, S3 enforces it, and
deleting the resource deletes it.

AWS behaviour (CloudFormation template reference, AWS::S3::BucketPolicy,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucketpolicy.html:
"Applies an Amazon S3 bucket policy to an Amazon S3 bucket"; `Bucket` "Update requires:
Replacement", `PolicyDocument` "Update requires: No interruption"): the document becomes the
bucket's policy, a changed document replaces it, removing the resource (or deleting the stack)
deletes it. S3 enforces it: a Deny statement refuses the objects it names to everyone, and a
`Bool aws:SecureTransport false` Deny (twophase's artifact bucket) refuses plain HTTP only, which
the embedded AWS's loopback endpoint is not counted as.
"""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status
from twophase.infra.artifact_store import artifact_stack_template

BUCKET = "shared"


def _deny(prefix: str) -> dict[str, Any]:
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "NoSecrets",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{BUCKET}/{prefix}/*",
            }
        ],
    }


def _template(document: dict[str, Any] | None) -> dict[str, Any]:
    resources: dict[str, Any] = {"Queue": {"Type": "AWS::SQS::Queue"}}
    if document is not None:
        resources["Policy"] = {
            "Type": "AWS::S3::BucketPolicy",
            "Properties": {"Bucket": BUCKET, "PolicyDocument": document},
        }
    return {"Resources": resources}


@pytest.fixture
def aws(local_aws: LocalAwsHandle) -> dict[str, Any]:
    clients = local_aws.clients()
    s3 = clients.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key in ("secret/a", "other/a"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"x")
    return {"s3": s3, "cloudformation": clients.client("cloudformation")}


def _policy(s3: Any, bucket: str = BUCKET) -> dict[str, Any] | None:
    try:
        found: dict[str, Any] = json.loads(s3.get_bucket_policy(Bucket=bucket)["Policy"])
    except ClientError as exc:
        assert exc.response["Error"]["Code"] == "NoSuchBucketPolicy"
        return None
    return found


def _readable(s3: Any, key: str) -> bool:
    try:
        s3.get_object(Bucket=BUCKET, Key=key)
    except ClientError as exc:
        assert exc.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        return False
    return True


def test_the_policy_is_applied_enforced_changed_and_removed(aws: dict[str, Any]) -> None:
    s3, cfn = aws["s3"], aws["cloudformation"]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cfn.create_stack(StackName="s", TemplateBody=body(_template(_deny("secret"))))
    assert final_status(cfn, "s") == "CREATE_COMPLETE"
    assert not [w for w in caught if "BucketPolicy" in str(w.message)]
    assert _policy(s3) == _deny("secret")
    assert (_readable(s3, "secret/a"), _readable(s3, "other/a")) == (False, True)

    cfn.update_stack(StackName="s", TemplateBody=body(_template(_deny("other"))))
    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert _policy(s3) == _deny("other")
    assert (_readable(s3, "secret/a"), _readable(s3, "other/a")) == (True, False)

    cfn.update_stack(StackName="s", TemplateBody=body(_template(None)))
    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert _policy(s3) is None
    assert _readable(s3, "other/a")


def test_deleting_the_stack_deletes_the_policy(aws: dict[str, Any]) -> None:
    s3, cfn = aws["s3"], aws["cloudformation"]
    cfn.create_stack(StackName="s", TemplateBody=body(_template(_deny("secret"))))
    cfn.delete_stack(StackName="s")
    assert _policy(s3) is None
    assert _readable(s3, "secret/a")


def test_the_artifact_bucket_refuses_plain_http_only(aws: dict[str, Any]) -> None:
    """twophase's artifact stack: a retained bucket whose policy denies insecure transport."""
    s3, cfn = aws["s3"], aws["cloudformation"]
    cfn.create_stack(StackName="art", TemplateBody=artifact_stack_template("art-bucket"))
    assert final_status(cfn, "art") == "CREATE_COMPLETE"
    [statement] = (_policy(s3, "art-bucket") or {})["Statement"]
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert statement["Resource"] == ["arn:aws:s3:::art-bucket", "arn:aws:s3:::art-bucket/*"]
    s3.put_object(Bucket="art-bucket", Key="k", Body=b"code")
    assert s3.get_object(Bucket="art-bucket", Key="k")["Body"].read() == b"code"

    cfn.delete_stack(StackName="art")
    assert s3.head_bucket(Bucket="art-bucket")  # DeletionPolicy: Retain
    assert _policy(s3, "art-bucket") is None
