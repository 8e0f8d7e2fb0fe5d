"""CloudFormation and Lambda: code kept on updates, aliases, versions, alias permissions."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, outputs, role_resource, zip_bytes

BUCKET = "artifacts"


def _function(code: dict[str, Any], memory: int = 128) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": "api",
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "MemorySize": memory,
            "Code": code,
        },
    }


def _template(code: dict[str, Any], memory: int = 128, **extra: Any) -> dict[str, Any]:
    return {"Resources": {"Role": role_resource(), "Fn": _function(code, memory), **extra}}


@pytest.fixture
def aws(local_aws: LocalAwsHandle) -> dict[str, Any]:
    clients = local_aws.clients()
    s3 = clients.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    s3.put_object(Bucket=BUCKET, Key="dummy.zip", Body=zip_bytes("def handler(e, c): pass\n"))
    return {n: clients.client(n) for n in ("cloudformation", "lambda")}


S3_CODE = {"S3Bucket": BUCKET, "S3Key": "dummy.zip"}


def test_update_changing_only_memory_keeps_code_pushed_out_of_band(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    cfn.create_stack(StackName="s", TemplateBody=body(_template(S3_CODE)))
    pushed = lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("pushed = 1\n"))

    cfn.update_stack(StackName="s", TemplateBody=body(_template(S3_CODE, memory=512)))

    config = lam.get_function_configuration(FunctionName="api")
    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert config["CodeSha256"] == pushed["CodeSha256"]
    assert config["MemorySize"] == 512


def test_update_with_inline_code_changes_configuration_only(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    inline = {"ZipFile": "def handler(event, context):\n    return 501\n"}
    cfn.create_stack(StackName="s", TemplateBody=body(_template(inline)))
    before = lam.get_function_configuration(FunctionName="api")["CodeSha256"]

    cfn.update_stack(StackName="s", TemplateBody=body(_template(inline, memory=256)))

    config = lam.get_function_configuration(FunctionName="api")
    assert (config["CodeSha256"], config["MemorySize"]) == (before, 256)


def test_update_that_changes_code_applies_it(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    cfn.create_stack(StackName="s", TemplateBody=body(_template({"ZipFile": "a = 1\n"})))
    before = lam.get_function_configuration(FunctionName="api")["CodeSha256"]

    cfn.update_stack(StackName="s", TemplateBody=body(_template({"ZipFile": "a = 2\n"})))

    assert lam.get_function_configuration(FunctionName="api")["CodeSha256"] != before


def _with_alias(version_props: dict[str, Any] | None = None, memory: int = 128) -> dict[str, Any]:
    version = {"FunctionName": {"Ref": "Fn"}, **(version_props or {})}
    return {
        **_template(S3_CODE, memory),
        "Outputs": {
            "AliasRef": {"Value": {"Ref": "Live"}},
            "AliasArn": {"Value": {"Fn::GetAtt": ["Live", "AliasArn"]}},
            "VersionRef": {"Value": {"Ref": "Ver"}},
            "VersionNumber": {"Value": {"Fn::GetAtt": ["Ver", "Version"]}},
        },
    } | {
        "Resources": {
            **_template(S3_CODE, memory)["Resources"],
            "Ver": {"Type": "AWS::Lambda::Version", "Properties": version},
            "Live": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "Fn"},
                    "FunctionVersion": {"Fn::GetAtt": ["Ver", "Version"]},
                    "Name": "live",
                    "Description": "serving",
                },
            },
        }
    }


def test_alias_and_version_resolve_to_arns_and_exist(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]

    cfn.create_stack(StackName="s", TemplateBody=body(_with_alias()))

    alias = lam.get_alias(FunctionName="api", Name="live")
    out = outputs(cfn, "s")
    assert out["AliasRef"] == alias["AliasArn"] == out["AliasArn"]
    assert alias["AliasArn"].endswith(":function:api:live")
    assert (alias["FunctionVersion"], alias["Description"]) == ("1", "serving")
    assert out["VersionNumber"] == "1"
    assert out["VersionRef"].endswith(":function:api:1")


def test_update_leaves_an_alias_moved_out_of_band_and_its_version_alone(
    aws: dict[str, Any],
) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    cfn.create_stack(StackName="s", TemplateBody=body(_with_alias()))
    lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("v2 = 1\n"))
    v2 = lam.publish_version(FunctionName="api")["Version"]
    lam.update_alias(FunctionName="api", Name="live", FunctionVersion=v2)

    cfn.update_stack(StackName="s", TemplateBody=body(_with_alias(memory=1024)))

    assert lam.get_alias(FunctionName="api", Name="live")["FunctionVersion"] == v2
    versions = [v["Version"] for v in lam.list_versions_by_function(FunctionName="api")["Versions"]]
    assert versions == ["$LATEST", "1", v2]


def test_changing_alias_properties_updates_it_and_deleting_the_stack_removes_it(
    aws: dict[str, Any],
) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    cfn.create_stack(StackName="s", TemplateBody=body(_with_alias()))
    changed = copy.deepcopy(_with_alias())
    changed["Resources"]["Live"]["Properties"]["Description"] = "moved by the template"

    cfn.update_stack(StackName="s", TemplateBody=body(changed))
    assert lam.get_alias(FunctionName="api", Name="live")["Description"] == "moved by the template"

    cfn.delete_stack(StackName="s")
    assert lam.list_functions()["Functions"] == []


def test_version_with_a_changed_description_is_republished(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    cfn.create_stack(StackName="s", TemplateBody=body(_with_alias()))
    lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("v2 = 1\n"))

    cfn.update_stack(StackName="s", TemplateBody=body(_with_alias({"Description": "second"})))

    assert outputs(cfn, "s")["VersionNumber"] == "2"
    assert lam.get_function(FunctionName="api", Qualifier="2")["Configuration"]["Description"] == (
        "second"
    )


def test_version_with_a_code_sha_that_is_not_latest_fails_the_stack(aws: dict[str, Any]) -> None:
    cfn = aws["cloudformation"]

    cfn.create_stack(StackName="s", TemplateBody=body(_with_alias({"CodeSha256": "0" * 44})))

    assert final_status(cfn, "s") == "ROLLBACK_COMPLETE"


def test_permission_on_an_alias_lands_in_the_alias_policy(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    template = _with_alias()
    template["Resources"]["Invoke"] = {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "FunctionName": {"Ref": "Live"},
            "Action": "lambda:InvokeFunction",
            "Principal": "events.amazonaws.com",
            "SourceArn": "arn:aws:events:us-east-1:123456789012:rule/nightly",
        },
    }

    cfn.create_stack(StackName="s", TemplateBody=body(template))

    policy = json.loads(lam.get_policy(FunctionName="api", Qualifier="live")["Policy"])
    [statement] = policy["Statement"]
    assert statement["Principal"] == {"Service": "events.amazonaws.com"}
    assert statement["Resource"].endswith(":function:api:live")
    assert final_status(cfn, "s") == "CREATE_COMPLETE"


def _arm(template: dict[str, Any], architectures: list[str] | None) -> dict[str, Any]:
    changed = copy.deepcopy(template)
    props = changed["Resources"]["Fn"]["Properties"]
    if architectures is None:
        props.pop("Architectures", None)
    else:
        props["Architectures"] = architectures
    return changed


def test_update_changing_architectures_reapplies_the_templates_code(aws: dict[str, Any]) -> None:
    """AWS: Lambda changes a function's architecture only through UpdateFunctionCode (which takes
    `Architectures`; UpdateFunctionConfiguration does not), so CloudFormation calls it with the
    template's `Code` and the new architecture: code pushed out of band is replaced."""
    cfn, lam = aws["cloudformation"], aws["lambda"]
    cfn.create_stack(StackName="s", TemplateBody=body(_arm(_template(S3_CODE), ["x86_64"])))
    template_sha = lam.get_function_configuration(FunctionName="api")["CodeSha256"]
    lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("pushed = 1\n"))

    cfn.update_stack(StackName="s", TemplateBody=body(_arm(_template(S3_CODE), ["arm64"])))

    config = lam.get_function_configuration(FunctionName="api")
    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert (config["Architectures"], config["CodeSha256"]) == (["arm64"], template_sha)


def test_removing_architectures_moves_back_to_x86_64_with_the_templates_code(
    aws: dict[str, Any],
) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    inline = {"ZipFile": "def handler(event, context):\n    return 1\n"}
    cfn.create_stack(StackName="s", TemplateBody=body(_arm(_template(inline), ["arm64"])))
    pushed = lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("pushed = 1\n"))

    cfn.update_stack(StackName="s", TemplateBody=body(_arm(_template(inline), None)))

    config = lam.get_function_configuration(FunctionName="api")
    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert config["Architectures"] == ["x86_64"]
    assert config["CodeSha256"] != pushed["CodeSha256"]  # the template's inline code again


def test_update_keeping_architectures_keeps_code_pushed_out_of_band(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    cfn.create_stack(StackName="s", TemplateBody=body(_arm(_template(S3_CODE), ["arm64"])))
    pushed = lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("pushed = 1\n"))

    cfn.update_stack(StackName="s", TemplateBody=body(_arm(_template(S3_CODE, 512), ["arm64"])))

    config = lam.get_function_configuration(FunctionName="api")
    assert (config["Architectures"], config["CodeSha256"]) == (["arm64"], pushed["CodeSha256"])
    assert config["MemorySize"] == 512
