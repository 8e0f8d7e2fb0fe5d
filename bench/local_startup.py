"""Benchmark: start the embedded AWS as a subprocess until it answers, then create a stack like the
example app's (three functions with S3 code, versions and aliases, a queue with a DLQ, an HTTP API).

Run: .venv/bin/python bench/local_startup.py   (prints medians of 5 runs)
"""

from __future__ import annotations

import io
import json
import os
import statistics
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

RUNS = 5


def _zip() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("index.py", "def handler(event, context):\n    return {'statusCode': 501}\n")
    return buf.getvalue()


def _template() -> dict[str, Any]:
    resources: dict[str, Any] = {
        "Role": {
            "Type": "AWS::IAM::Role",
            "Properties": {"AssumeRolePolicyDocument": {"Version": "2012-10-17", "Statement": []}},
        },
        "Dlq": {"Type": "AWS::SQS::Queue", "Properties": {}},
        "Jobs": {
            "Type": "AWS::SQS::Queue",
            "Properties": {
                "RedrivePolicy": {
                    "deadLetterTargetArn": {"Fn::GetAtt": ["Dlq", "Arn"]},
                    "maxReceiveCount": 5,
                }
            },
        },
        "Http": {
            "Type": "AWS::ApiGatewayV2::Api",
            "Properties": {"Name": "shop", "ProtocolType": "HTTP"},
        },
        "Stage": {
            "Type": "AWS::ApiGatewayV2::Stage",
            "Properties": {"ApiId": {"Ref": "Http"}, "StageName": "$default", "AutoDeploy": True},
        },
    }
    for name in ("api", "worker", "nightly"):
        fn = name.capitalize()
        resources[fn] = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "FunctionName": f"shop-{name}",
                "Runtime": "python3.12",
                "Handler": "index.handler",
                "Role": {"Fn::GetAtt": ["Role", "Arn"]},
                "Code": {"S3Bucket": "artifacts", "S3Key": "dummy.zip"},
            },
        }
        resources[f"{fn}Version"] = {
            "Type": "AWS::Lambda::Version",
            "Properties": {"FunctionName": {"Ref": fn}},
        }
        resources[f"{fn}Live"] = {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "FunctionName": {"Ref": fn},
                "FunctionVersion": {"Fn::GetAtt": [f"{fn}Version", "Version"]},
                "Name": "live",
            },
        }
    resources["Integration"] = {
        "Type": "AWS::ApiGatewayV2::Integration",
        "Properties": {
            "ApiId": {"Ref": "Http"},
            "IntegrationType": "AWS_PROXY",
            "IntegrationUri": {"Ref": "ApiLive"},
            "PayloadFormatVersion": "2.0",
        },
    }
    resources["Route"] = {
        "Type": "AWS::ApiGatewayV2::Route",
        "Properties": {
            "ApiId": {"Ref": "Http"},
            "RouteKey": "ANY /{proxy+}",
            "Target": {"Fn::Sub": "integrations/${Integration}"},
        },
    }
    return {
        "Resources": resources,
        "Outputs": {"Url": {"Value": {"Fn::GetAtt": ["Http", "ApiEndpoint"]}}},
    }


def _client(service: str, endpoint: str) -> Any:
    import boto3

    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="twophase-local",
        aws_secret_access_key="twophase-local-secret",
    )


def one_run(template: str, artifact: bytes) -> tuple[float, float]:
    from twophase.local import lifecycle

    t0 = time.perf_counter()
    endpoint = lifecycle.start().endpoint
    started = time.perf_counter() - t0
    try:
        s3, cfn = _client("s3", endpoint), _client("cloudformation", endpoint)
        t1 = time.perf_counter()
        s3.create_bucket(Bucket="artifacts")
        s3.put_object(Bucket="artifacts", Key="dummy.zip", Body=artifact)
        cfn.create_stack(StackName="shop-local", TemplateBody=template)
        status = cfn.describe_stacks(StackName="shop-local")["Stacks"][0]["StackStatus"]
        created = time.perf_counter() - t1
        if status != "CREATE_COMPLETE":
            raise SystemExit(f"stack ended {status}")
    finally:
        lifecycle.stop()
    return started, created


def main() -> None:
    os.environ.pop("TWOPHASE_LOCAL_ENDPOINT", None)
    template, artifact = json.dumps(_template()), _zip()
    with tempfile.TemporaryDirectory() as home:
        os.environ["TWOPHASE_HOME"] = home
        runs = [one_run(template, artifact) for _ in range(RUNS)]
    start = statistics.median(r[0] for r in runs)
    create = statistics.median(r[1] for r in runs)
    total = statistics.median(r[0] + r[1] for r in runs)
    print(f"embedded AWS start until it answers: {start:.3f} s (median of {RUNS})")
    print(f"create example-app stack (S3 upload + CreateStack): {create:.3f} s (median of {RUNS})")
    print(f"start + create: {total:.3f} s (median of {RUNS}; target < 3 s)")


if __name__ == "__main__":
    main()
