"""Helpers for the metric, alarm and CodeDeploy tests: an account, functions with versions."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

from tests.conftest import LocalAwsHandle
from twophase.build.detzip import Entry, build_zip

# Raises when the event asks it to; otherwise answers as an HTTP function would, 500 included.
RELEASE = """
def handler(event, context):
    if event.get("fail"):
        raise RuntimeError("release {n} failed")
    return {{"statusCode": event.get("status", 200), "release": {n}}}
"""


class Account:
    """Clients of a clean embedded AWS, with a role for functions."""

    def __init__(self, local_aws: LocalAwsHandle) -> None:
        self.clients = local_aws.clients()
        self.lam = self.clients.client("lambda")
        self.cw = self.clients.client("cloudwatch")
        self.cd = self.clients.client("codedeploy")
        trust = {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": "lambda.amazonaws.com"},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
        self.role = self._role(trust)

    def _role(self, trust: dict[str, Any]) -> str:
        iam = self.clients.client("iam")
        role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(trust))
        return str(role["Role"]["Arn"])

    def function(self, name: str, source: str = RELEASE.format(n=1)) -> None:
        code = build_zip([Entry("app.py", source.encode())])
        self.lam.create_function(
            FunctionName=name,
            Runtime="python3.12",
            Role=self.role,
            Handler="app.handler",
            Code={"ZipFile": code},
            Timeout=30,
        )

    def release(self, name: str, source: str) -> str:
        """Put `source` on $LATEST and publish it: the new version's number."""
        self.lam.update_function_code(
            FunctionName=name, ZipFile=build_zip([Entry("app.py", source.encode())])
        )
        return str(self.lam.publish_version(FunctionName=name)["Version"])

    def invoke(self, name: str, event: dict[str, Any] | None = None) -> dict[str, Any]:
        response = self.lam.invoke(FunctionName=name, Payload=json.dumps(event or {}))
        return {**response, "Body": json.loads(response["Payload"].read())}

    def alias(self, name: str, alias: str) -> dict[str, Any]:
        return dict(self.lam.get_alias(FunctionName=name, Name=alias))


def wait_for(check: Callable[[], Any], timeout: float = 10.0, every: float = 0.05) -> Any:
    """Poll `check` until it returns something truthy; fail after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout} s: {check}")
        time.sleep(every)
