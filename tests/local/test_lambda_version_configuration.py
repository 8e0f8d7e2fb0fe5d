"""A published version freezes `$LATEST`'s configuration, not only its code (as on AWS).

AWS Lambda developer guide, "Lambda function versions": "A function version includes the following
information: the function code and all associated dependencies; the Lambda runtime that invokes the
function; all the function settings, including the environment variables"; and "you can't change
the code or settings of a version" once published. API reference, UpdateFunctionConfiguration:
"These settings can vary between versions of a function and are locked when you publish a
version". PublishVersion: "Lambda doesn't publish a version if the function's configuration and
code haven't changed since the last version".
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function

CHANGES: dict[str, dict[str, Any]] = {
    "MemorySize": {"MemorySize": 1024},
    "Timeout": {"Timeout": 30},
    "Environment": {"Environment": {"Variables": {"STAGE": "two"}}},
    "Handler": {"Handler": "app.other"},
    "Runtime": {"Runtime": "python3.13"},
    "EphemeralStorage": {"EphemeralStorage": {"Size": 2048}},
    "LoggingConfig": {"LoggingConfig": {"LogFormat": "JSON", "LogGroup": "/custom/fn"}},
    "TracingConfig": {"TracingConfig": {"Mode": "Active"}},
}


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    create_function(clients)
    client = clients.client("lambda")
    client.update_function_configuration(
        FunctionName="fn", Environment={"Variables": {"STAGE": "one"}}
    )
    return client


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_a_version_keeps_its_configuration_after_latest_changes(lam: Any, field: str) -> None:
    published = lam.publish_version(FunctionName="fn")
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion=published["Version"])

    changed = lam.update_function_configuration(FunctionName="fn", **CHANGES[field])

    assert changed.get(field) != published.get(field)
    for qualifier in (published["Version"], "live"):
        now = lam.get_function_configuration(FunctionName="fn", Qualifier=qualifier)
        assert now.get(field) == published.get(field), qualifier
    listed = lam.list_versions_by_function(FunctionName="fn")["Versions"]
    assert listed[1].get(field) == published.get(field)


@pytest.mark.parametrize("field", sorted(CHANGES))
def test_a_configuration_change_alone_publishes_a_version_with_it(lam: Any, field: str) -> None:
    first = lam.publish_version(FunctionName="fn")
    changed = lam.update_function_configuration(FunctionName="fn", **CHANGES[field])

    second = lam.publish_version(FunctionName="fn")

    assert second["Version"] == "2"
    assert second["CodeSha256"] == first["CodeSha256"]
    assert second.get(field) == changed.get(field)
    got = lam.get_function_configuration(FunctionName="fn", Qualifier="2")
    assert got.get(field) == changed.get(field)


def test_environment_variables_are_not_shared_between_latest_and_a_version(lam: Any) -> None:
    lam.publish_version(FunctionName="fn")
    lam.update_function_configuration(
        FunctionName="fn", Environment={"Variables": {"STAGE": "one", "EXTRA": "x"}}
    )
    lam.update_function_configuration(FunctionName="fn", Environment={"Variables": {}})

    one = lam.get_function_configuration(FunctionName="fn", Qualifier="1")
    assert one["Environment"] == {"Variables": {"STAGE": "one"}}
    assert "Environment" not in lam.get_function_configuration(FunctionName="fn")


def test_a_layer_change_is_frozen_in_the_version_published_before(lam: Any) -> None:
    layer = lam.publish_layer_version(LayerName="deps", Content={"ZipFile": code("dep = 1\n")})
    lam.publish_version(FunctionName="fn")

    lam.update_function_configuration(FunctionName="fn", Layers=[layer["LayerVersionArn"]])
    two = lam.publish_version(FunctionName="fn")

    assert lam.get_function_configuration(FunctionName="fn", Qualifier="1")["Layers"] == []
    assert [x["Arn"] for x in two["Layers"]] == [layer["LayerVersionArn"]]


def test_publishing_with_nothing_changed_returns_the_latest_version(lam: Any) -> None:
    lam.publish_version(FunctionName="fn")
    lam.update_function_configuration(FunctionName="fn", MemorySize=512)
    second = lam.publish_version(FunctionName="fn")

    again = lam.publish_version(FunctionName="fn")

    assert again["Version"] == second["Version"] == "2"
    assert again["RevisionId"] == second["RevisionId"]
    assert len(lam.list_versions_by_function(FunctionName="fn")["Versions"]) == 3


def test_setting_a_value_back_publishes_nothing_new(lam: Any) -> None:
    first = lam.publish_version(FunctionName="fn")
    lam.update_function_configuration(FunctionName="fn", Timeout=30)
    lam.update_function_configuration(FunctionName="fn", Timeout=first["Timeout"])
    lam.update_function_code(FunctionName="fn", ZipFile=code())  # the same bytes again

    assert lam.publish_version(FunctionName="fn")["Version"] == "1"


def test_publish_after_code_and_configuration_change_freezes_both(lam: Any) -> None:
    lam.publish_version(FunctionName="fn")
    pushed = lam.update_function_code(FunctionName="fn", ZipFile=code("v = 2\n"))
    lam.update_function_configuration(FunctionName="fn", MemorySize=256)

    two = lam.publish_version(FunctionName="fn")
    lam.update_function_configuration(FunctionName="fn", MemorySize=2048)

    got = lam.get_function_configuration(FunctionName="fn", Qualifier=two["Version"])
    assert (got["CodeSha256"], got["MemorySize"]) == (pushed["CodeSha256"], 256)
