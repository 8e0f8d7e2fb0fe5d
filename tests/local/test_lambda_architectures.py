"""Architectures read back as configured and change only through UpdateFunctionCode (as on AWS).

AWS Lambda API reference, CreateFunction and UpdateFunctionCode, parameter `Architectures`: "The
instruction set architecture that the function supports. Enter a string array with one of the valid
values (arm64 or x86_64). The default value is x86_64." UpdateFunctionConfiguration has no
`Architectures` parameter. Developer guide, "Lambda function versions": a version holds "all the
function settings" of `$LATEST` when it was published.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    role = create_function(clients)["Role"]
    client = clients.client("lambda")
    client.create_function(
        FunctionName="arm",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code()},
        Architectures=["arm64"],
    )
    return client


def test_an_arm64_function_reads_back_arm64_everywhere(lam: Any) -> None:
    version = lam.publish_version(FunctionName="arm")

    assert version["Architectures"] == ["arm64"]
    assert lam.get_function_configuration(FunctionName="arm")["Architectures"] == ["arm64"]
    assert lam.get_function(FunctionName="arm", Qualifier="1")["Configuration"][
        "Architectures"
    ] == ["arm64"]
    listed = lam.list_versions_by_function(FunctionName="arm")["Versions"]
    assert [v["Architectures"] for v in listed] == [["arm64"], ["arm64"]]


def test_default_architecture_is_x86_64(lam: Any) -> None:
    assert lam.get_function_configuration(FunctionName="fn")["Architectures"] == ["x86_64"]


def test_update_function_code_changes_the_architecture(lam: Any) -> None:
    lam.publish_version(FunctionName="arm")

    result = lam.update_function_code(
        FunctionName="arm", ZipFile=code("x = 1\n"), Architectures=["x86_64"]
    )

    assert result["Architectures"] == ["x86_64"]
    assert lam.get_function_configuration(FunctionName="arm")["Architectures"] == ["x86_64"]
    one = lam.get_function_configuration(FunctionName="arm", Qualifier="1")
    assert one["Architectures"] == ["arm64"]
    assert lam.publish_version(FunctionName="arm")["Architectures"] == ["x86_64"]


def test_an_architecture_change_alone_publishes_a_new_version(lam: Any) -> None:
    first = lam.publish_version(FunctionName="arm")
    lam.update_function_code(FunctionName="arm", ZipFile=code(), Architectures=["x86_64"])

    second = lam.publish_version(FunctionName="arm")

    assert (second["Version"], second["CodeSha256"]) == ("2", first["CodeSha256"])


def test_a_dry_run_leaves_the_architecture(lam: Any) -> None:
    lam.update_function_code(
        FunctionName="arm", ZipFile=code("x = 1\n"), Architectures=["x86_64"], DryRun=True
    )
    assert lam.get_function_configuration(FunctionName="arm")["Architectures"] == ["arm64"]


def test_an_unknown_architecture_is_refused_and_changes_nothing(lam: Any) -> None:
    before = lam.get_function_configuration(FunctionName="arm")
    with pytest.raises(ClientError) as info:
        lam.update_function_code(FunctionName="arm", ZipFile=code("x = 1\n"), Architectures=["z"])
    assert info.value.response["Error"]["Code"] == "ValidationException"
    after = lam.get_function_configuration(FunctionName="arm")
    assert (after["Architectures"], after["CodeSha256"]) == (["arm64"], before["CodeSha256"])


def test_update_function_configuration_has_no_architectures(lam: Any) -> None:
    with pytest.raises(ParamValidationError):
        lam.update_function_configuration(FunctionName="arm", Architectures=["x86_64"])
