"""The app's artifact bucket: a small stack of its own, created before the app stack.

It holds the dummy artifacts, large pushed artifacts and large templates. It lives in its own stack
(`twophase.names.artifact_stack_name`) so that `infra down` can keep it while deleting the app
stack. The bucket is versioned, encrypted, blocks public access and refuses plain HTTP.
"""

from __future__ import annotations

import json
from typing import Any

from twophase.names import ARTIFACT_BUCKET_OUTPUT


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
        "Outputs": {ARTIFACT_BUCKET_OUTPUT: {"Value": {"Ref": "ArtifactBucket"}}},
    }
    return json.dumps(template, indent=2, sort_keys=True) + "\n"
