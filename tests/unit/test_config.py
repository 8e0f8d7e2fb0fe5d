"""Loading a valid twophase.yml, the YAML line map, ${} references and the JSON schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from twophase.config import refs
from twophase.config.load import load_config
from twophase.config.schema import config_json_schema
from twophase.config.template import load_template
from twophase.config.yamlnodes import load_yaml
from twophase.errors import ConfigError

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "twophase.yml.example"


def test_example_loads_with_defaults_applied() -> None:
    config = load_config(EXAMPLE)
    assert config.root == REPO
    assert set(config.environments) == {"local", "dev", "prod"}
    assert config.environments["local"].is_local
    assert config.environments["prod"].protected
    api = config.function("api")
    assert (api.runtime, api.memory, api.timeout, api.architecture) == (
        "python3.12",
        512,
        10,
        "arm64",
    )
    assert api.source == REPO / "examples/shop/services/api"
    assert api.source.is_dir()
    worker = config.function("worker")
    assert worker.runtime_family == "nodejs"
    assert worker.trigger is not None and worker.trigger.kind == "queue"
    assert config.function_name("prod", "worker") == "shop-prod-worker"
    assert config.stack_name("dev") == "shop-dev"
    assert "OrdersTable" in config.shared_template()["Resources"]


def test_relative_paths_resolve_against_the_config_folder(tmp_path: Path) -> None:
    (tmp_path / "app" / "code").mkdir(parents=True)
    (tmp_path / "app" / "twophase.yml").write_text(
        "app: a\nenvironments: {dev: {}}\nfunctions:\n  f: {handler: m.h, source: code}\n"
    )
    config = load_config(tmp_path / "app" / "twophase.yml")
    assert config.function("f").source == tmp_path / "app" / "code"


def test_yaml_lines_are_recorded_per_key_and_item() -> None:
    data, lines = load_yaml("a:\n  b: 1\n  c:\n    - x\n    - y\n")
    assert data == {"a": {"b": 1, "c": ["x", "y"]}}
    assert lines[("a", "b")] == 2
    assert lines[("a", "c", 1)] == 5


def test_cloudformation_short_forms_and_dates(tmp_path: Path) -> None:
    path = tmp_path / "t.yaml"
    path.write_text(
        "AWSTemplateFormatVersion: 2010-09-09\n"
        "Resources:\n"
        "  Q:\n    Type: AWS::SQS::Queue\n"
        "    Properties:\n"
        "      QueueName: !Sub '${AWS::StackName}-q'\n"
        "      Tags:\n"
        "        - {Key: a, Value: !GetAtt T.Arn}\n"
        "        - {Key: b, Value: !Join ['-', [!Ref X, !Select [0, !GetAZs '']]]}\n"
        "        - {Key: c, Value: !If [C, !Base64 x, !Ref 'AWS::NoValue']}\n"
    )
    template = load_template(path)
    assert template["AWSTemplateFormatVersion"] == "2010-09-09"
    tags = template["Resources"]["Q"]["Properties"]["Tags"]
    assert tags[0]["Value"] == {"Fn::GetAtt": ["T", "Arn"]}
    assert tags[1]["Value"] == {
        "Fn::Join": ["-", [{"Ref": "X"}, {"Fn::Select": [0, {"Fn::GetAZs": ""}]}]]
    }
    assert tags[2]["Value"] == {"Fn::If": ["C", {"Fn::Base64": "x"}, {"Ref": "AWS::NoValue"}]}


def test_json_template(tmp_path: Path) -> None:
    path = tmp_path / "t.json"
    path.write_text('{"Resources": {"T": {"Type": "AWS::SNS::Topic"}}}')
    assert load_template(path)["Resources"]["T"]["Type"] == "AWS::SNS::Topic"
    path.write_text('{"Resources": {\n  "T": }')
    with pytest.raises(ConfigError, match=r"t.json \(line 2\): invalid JSON"):
        load_template(path)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("plain", "plain"),
        ("${OrdersTable}", {"Ref": "OrdersTable"}),
        ("${OrdersTable.Arn}", {"Fn::GetAtt": ["OrdersTable", "Arn"]}),
        ("${AWS::Region}", {"Ref": "AWS::Region"}),
        ("${A}-${B}", {"Fn::Sub": "${A}-${B}"}),
        ("arn:${AWS::Partition}:s3:::b/*", {"Fn::Sub": "arn:${AWS::Partition}:s3:::b/*"}),
        (["${A}", {"k": "${B.Arn}"}], [{"Ref": "A"}, {"k": {"Fn::GetAtt": ["B", "Arn"]}}]),
    ],
)
def test_resolve(value: object, expected: object) -> None:
    assert refs.resolve(value) == expected


def test_check_ref() -> None:
    template = {"Resources": {"Table": {"Type": "X"}}, "Parameters": {"Stage": {}}}
    assert refs.check_ref("Table", template) is None
    assert refs.check_ref("Table.Arn", template) is None
    assert refs.check_ref("Stage", template) is None
    assert refs.check_ref("AWS::Region", template) is None
    assert "names no resource" in str(refs.check_ref("Tabel", template))
    assert "has no attributes" in str(refs.check_ref("Stage.Arn", template))
    assert refs.find_refs("${!Literal} ${A} ${B.Arn}") == ["A", "B.Arn"]


def test_json_schema_describes_the_file() -> None:
    schema = config_json_schema()
    assert schema["title"] == "twophase.yml"
    assert set(schema["required"]) == {"app", "environments", "functions"}
    assert "root" not in schema["properties"]
    function = schema["$defs"]["Function"]
    assert function["additionalProperties"] is False
    assert function["properties"]["memory"]["description"]
    runtimes = next(b for b in function["properties"]["runtime"]["anyOf"] if "enum" in b)
    assert "java21" in runtimes["enum"]
