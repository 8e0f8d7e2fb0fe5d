"""Helpers for the CloudFormation extension tests: deploy a template and wait for a final status."""

from __future__ import annotations

import io
import json
import zipfile
from typing import Any

ROLE_ARN = "arn:aws:iam::123456789012:role/lambda-role"


def zip_bytes(source: str, name: str = "index.py") -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), source)
    return buf.getvalue()


def final_status(cfn: Any, stack: str) -> str:
    status: str = cfn.describe_stacks(StackName=stack)["Stacks"][0]["StackStatus"]
    return status


def outputs(cfn: Any, stack: str) -> dict[str, str]:
    found = cfn.describe_stacks(StackName=stack)["Stacks"][0].get("Outputs", [])
    return {o["OutputKey"]: o["OutputValue"] for o in found}


def body(template: dict[str, Any]) -> str:
    return json.dumps(template)


def role_resource() -> dict[str, Any]:
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "AssumeRolePolicyDocument": {
                "Version": "2012-10-17",
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            }
        },
    }
