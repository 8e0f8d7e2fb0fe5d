"""CloudFormation creates a Lambda function with every template property (as on AWS).

AWS CloudFormation template reference, AWS::Lambda::Function: `Architectures` ("The instruction set
architecture that the function supports"), `EphemeralStorage`, `LoggingConfig`, `TracingConfig`,
`KmsKeyArn`, `PackageType` are the function's settings, as if given to CreateFunction; the
versions published from it (AWS::Lambda::Version) carry them too.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, role_resource

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


def _template(**props: Any) -> dict[str, Any]:
    function = {
        "FunctionName": "api",
        "Runtime": "python3.12",
        "Handler": "index.handler",
        "Role": {"Fn::GetAtt": ["Role", "Arn"]},
        "Code": {"ZipFile": "def handler(event, context):\n    return 1\n"},
        **props,
    }
    return {
        "Resources": {
            "Role": role_resource(),
            "Fn": {"Type": "AWS::Lambda::Function", "Properties": function},
            "Ver": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Fn"}}},
        }
    }


@pytest.fixture
def aws(local_aws: LocalAwsHandle) -> dict[str, Any]:
    clients = local_aws.clients()
    return {n: clients.client(n) for n in ("cloudformation", "lambda")}


def test_an_arm64_function_from_a_template_reads_back_arm64(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]

    cfn.create_stack(StackName="s", TemplateBody=body(_template(Architectures=["arm64"])))

    assert final_status(cfn, "s") == "CREATE_COMPLETE"
    assert lam.get_function_configuration(FunctionName="api")["Architectures"] == ["arm64"]
    one = lam.get_function_configuration(FunctionName="api", Qualifier="1")
    assert one["Architectures"] == ["arm64"]
    listed = lam.list_versions_by_function(FunctionName="api")["Versions"]
    assert [v["Architectures"] for v in listed] == [["arm64"], ["arm64"]]


def test_template_settings_are_the_functions_settings(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    settings = {
        "EphemeralStorage": {"Size": 1024},
        "LoggingConfig": {"LogGroup": "/custom/api", "LogFormat": "JSON"},
        "TracingConfig": {"Mode": "Active"},
        "KmsKeyArn": KEY,
    }

    cfn.create_stack(StackName="s", TemplateBody=body(_template(**settings)))

    for qualifier in ("$LATEST", "1"):
        config = lam.get_function_configuration(FunctionName="api", Qualifier=qualifier)
        assert config["EphemeralStorage"] == {"Size": 1024}
        assert config["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/custom/api"}
        assert config["TracingConfig"] == {"Mode": "Active"}
        assert config["KMSKeyArn"] == KEY


def test_a_stack_update_applies_changed_settings(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    cfn.create_stack(StackName="s", TemplateBody=body(_template(EphemeralStorage={"Size": 1024})))

    changed = _template(EphemeralStorage={"Size": 4096}, KmsKeyArn=KEY)
    cfn.update_stack(StackName="s", TemplateBody=body(changed))

    config = lam.get_function_configuration(FunctionName="api")
    assert (config["EphemeralStorage"], config["KMSKeyArn"]) == ({"Size": 4096}, KEY)


def test_package_type_image_is_kept(aws: dict[str, Any]) -> None:
    cfn, lam = aws["cloudformation"], aws["lambda"]
    template = _template(PackageType="Image", Code={"ImageUri": "1.dkr.ecr/app:1"})
    del template["Resources"]["Fn"]["Properties"]["Runtime"]
    del template["Resources"]["Fn"]["Properties"]["Handler"]

    cfn.create_stack(StackName="s", TemplateBody=body(template))

    assert lam.get_function_configuration(FunctionName="api")["PackageType"] == "Image"
