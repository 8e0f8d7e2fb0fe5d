"""The app's artifact bucket: a small stack of its own, created before the app stack.

It holds the dummy artifacts, large pushed artifacts and large templates. It lives in its own stack
(`<app>-<env>-artifacts`) so that `infra down` can keep it while deleting the app stack.
The bucket is versioned, encrypted, blocks public access and refuses plain HTTP.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

MAX_BUCKET_NAME = 63


def artifact_stack_name(app_stack: str) -> str:
    return f"{app_stack}-artifacts"


def artifact_bucket_name(app: str, env: str, account: str, region: str) -> str:
    """Deterministic and globally unique per account and region; shortened with a hash if long."""
    name = f"{app}-{env}-artifacts-{account}-{region}"
    if len(name) <= MAX_BUCKET_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: MAX_BUCKET_NAME - 11].rstrip('-')}-{digest}"


def artifact_stack_template(bucket: str) -> str:
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "twophase artifact bucket (dummies, large artifacts, templates)",
        "Resources": {
            "ArtifactBucket": {
                "Type": "AWS::S3::Bucket",
                "DeletionPolicy": "Retain",
                "UpdateReplacePolicy": "Retain",
                "Properties": {
                    "BucketName": bucket,
                    "VersioningConfiguration": {"Status": "Enabled"},
                    "BucketEncryption": {
                        "ServerSideEncryptionConfiguration": [
                            {"ServerSideEncryptionByDefault": {"SSEAlgorithm": "AES256"}}
                        ]
                    },
                    "PublicAccessBlockConfiguration": {
                        "BlockPublicAcls": True,
                        "BlockPublicPolicy": True,
                        "IgnorePublicAcls": True,
                        "RestrictPublicBuckets": True,
                    },
                },
            },
            "ArtifactBucketPolicy": {
                "Type": "AWS::S3::BucketPolicy",
                "Properties": {
                    "Bucket": {"Ref": "ArtifactBucket"},
                    "PolicyDocument": {
                        "Version": "2012-10-17",
                        "Statement": [
                            {
                                "Sid": "DenyInsecureTransport",
                                "Effect": "Deny",
                                "Principal": "*",
                                "Action": "s3:*",
                                "Resource": [
                                    {"Fn::GetAtt": ["ArtifactBucket", "Arn"]},
                                    {"Fn::Sub": "${ArtifactBucket.Arn}/*"},
                                ],
                                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                            }
                        ],
                    },
                },
            },
        },
        "Outputs": {"ArtifactBucket": {"Value": {"Ref": "ArtifactBucket"}}},
    }
    return json.dumps(template, indent=2, sort_keys=True) + "\n"
