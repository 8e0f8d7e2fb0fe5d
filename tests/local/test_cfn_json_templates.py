"""AWS behaviour (CloudFormation User Guide, "Template formats",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/template-formats.html): a template is
JSON or YAML, and both read to the same mapping. The embedded AWS reads JSON as JSON (fast) and
anything else as YAML, short-form tags included."""

from __future__ import annotations

import importlib
import json
from typing import Any

import pytest
import yaml

from tests.conftest import LocalAwsHandle
from tests.local._cfn import final_status, outputs
from twophase.local.extensions import cfn_json_templates
from twophase.local.extensions.cfn_json_templates import JsonFirstYaml

TEMPLATE = {
    "Parameters": {"Name": {"Type": "String", "Default": "café"}},
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "t"}}},
    "Outputs": {"Arn": {"Value": {"Ref": "Topic"}}, "Name": {"Value": {"Ref": "Name"}}},
}
YAML_TEMPLATE = """
Resources:
  Topic:
    Type: AWS::SNS::Topic
    Properties: {TopicName: y}
Outputs:
  Arn: {Value: !Ref Topic}
"""


def test_a_json_template_reads_as_yaml_would_read_it() -> None:
    for text in (json.dumps(TEMPLATE), json.dumps(TEMPLATE, indent=2, ensure_ascii=True)):
        assert JsonFirstYaml.load(text, yaml.Loader) == yaml.load(text, Loader=yaml.Loader)


def test_json_and_yaml_templates_both_deploy(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    cfn.create_stack(StackName="json", TemplateBody=json.dumps(TEMPLATE))
    cfn.create_stack(StackName="yaml", TemplateBody=YAML_TEMPLATE)

    assert final_status(cfn, "json") == final_status(cfn, "yaml") == "CREATE_COMPLETE"
    assert outputs(cfn, "json")["Name"] == "café"
    assert outputs(cfn, "yaml")["Arn"].endswith(":y")


def test_once_installed_moto_reads_templates_json_first(local_aws: LocalAwsHandle) -> None:
    modules = [importlib.import_module(n) for n in cfn_json_templates._MODULES]
    installed = [m.yaml for m in modules]
    assert all(isinstance(y, JsonFirstYaml) for y in installed)
    cfn_json_templates.install()  # again: the same loader stays
    assert [m.yaml for m in modules] == installed


def test_a_json_stack_never_reaches_the_yaml_parser(
    local_aws: LocalAwsHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    parsed: list[str] = []
    load = yaml.load

    def counted(stream: Any, Loader: Any = None) -> Any:
        parsed.append(str(stream)[:20])
        return load(stream, Loader=Loader)

    monkeypatch.setattr(yaml, "load", counted)
    cfn = local_aws.clients().client("cloudformation")
    cfn.create_stack(StackName="json", TemplateBody=json.dumps(TEMPLATE))
    assert final_status(cfn, "json") == "CREATE_COMPLETE"
    assert parsed == []

    cfn.create_stack(StackName="yaml", TemplateBody=YAML_TEMPLATE)  # the spy sees YAML
    assert final_status(cfn, "yaml") == "CREATE_COMPLETE"
    assert parsed
