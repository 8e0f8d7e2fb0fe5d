"""CloudFormation applies `AWS::S3::BucketPolicy` to its bucket, and deletes it with the resource.

AWS behaviour (CloudFormation template reference, AWS::S3::BucketPolicy,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-s3-bucketpolicy.html:
"Applies an Amazon S3 bucket policy to an Amazon S3 bucket"; `Bucket` "Update requires:
Replacement", `PolicyDocument` "Update requires: No interruption"): creating the resource puts
`PolicyDocument` as the bucket's policy (GetBucketPolicy returns it), changing the document puts
the new one, moving it to another bucket puts it there and deletes the old bucket's policy, and
deleting the resource deletes the bucket's policy. S3 then enforces the policy (moto's object
requests check it; with `iam_enforcement` conditions such as `aws:SecureTransport` are evaluated).

moto 5.2.5 does not know the type: it warns "Tried to parse AWS::S3::BucketPolicy but it's not
supported" and the bucket keeps no policy.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

from moto.core.common_models import CloudFormationModel

from twophase.local.extensions._cfn_common import defer_cleanup, refresh_model_map


def _s3(account_id: str, region_name: str) -> Any:
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    return s3_backends[account_id][get_partition(region_name)]


def _document(props: dict[str, Any]) -> bytes:
    document = props["PolicyDocument"]
    text = document if isinstance(document, str) else json.dumps(document)
    return text.encode()


class CfnBucketPolicy(CloudFormationModel):
    """One bucket's policy, as a CloudFormation resource backed by moto's S3 backend."""

    def __init__(self, physical_id: str, bucket: str) -> None:
        self.physical_id = physical_id
        self.bucket = bucket

    @property
    def physical_resource_id(self) -> str:
        return self.physical_id

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::S3::BucketPolicy"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> CfnBucketPolicy:
        props = cloudformation_json["Properties"]
        bucket = str(props["Bucket"])
        _s3(account_id, region_name).put_bucket_policy(bucket, _document(props))
        return cls(resource_name, bucket)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: CfnBucketPolicy,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> CfnBucketPolicy:
        props = cloudformation_json["Properties"]
        if str(props["Bucket"]) == original_resource.bucket:
            _s3(account_id, region_name).put_bucket_policy(
                original_resource.bucket, _document(props)
            )
            return original_resource
        replacement = cls.create_from_cloudformation_json(
            new_resource_name, cloudformation_json, account_id, region_name
        )
        defer_cleanup(original_resource, lambda: original_resource.delete(account_id, region_name))
        return replacement

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        cls(resource_name, str(cloudformation_json["Properties"]["Bucket"])).delete(
            account_id, region_name
        )

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.s3.exceptions import MissingBucket

        with contextlib.suppress(MissingBucket):  # the bucket went first: its policy with it
            _s3(account_id, region_name).delete_bucket_policy(self.bucket)


def install() -> None:
    refresh_model_map()
