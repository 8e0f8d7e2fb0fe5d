"""A stack's deployed template, read on its own.

Phase two reads one thing of CloudFormation: the template, where phase one recorded each dummy's
CodeSha256 (see twophase.release.dummy_versions). Reading it here spares phase two's commands
building the types of twophase.aws.cloudformation (a tenth of `status`'s own start-up time);
phase one's client reads the template through this module too.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from twophase.aws.errors import aws_call
from twophase.errors import AwsError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.client import CloudFormationClient


def get_template(client: CloudFormationClient, name: str) -> dict[str, Any]:
    """The stack's original template (botocore parses a JSON body into a mapping)."""
    with aws_call("cloudformation:GetTemplate", name):
        answer = client.get_template(StackName=name, TemplateStage="Original")
    body: object = answer["TemplateBody"]
    return parse_template(json.dumps(body) if isinstance(body, Mapping) else str(body))


def parse_template(body: str) -> dict[str, Any]:
    """Stacks twophase deploys hold JSON templates (see twophase.infra.render)."""
    try:
        parsed = json.loads(body)
    except ValueError as exc:
        raise AwsError(
            "the deployed template is not JSON: this stack was not deployed by twophase",
            hint="use a different app name or environment",
        ) from exc
    if not isinstance(parsed, dict):
        raise AwsError("the deployed template is not a mapping")
    return parsed
