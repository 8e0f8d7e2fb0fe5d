"""Published versions are immutable snapshots whose numbers only grow (as on AWS)."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function
from twophase.build.detzip import code_sha256


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    create_function(clients)
    return clients.client("lambda")


def test_version_numbers_are_never_reused_after_a_delete(lam: Any) -> None:
    assert lam.publish_version(FunctionName="fn")["Version"] == "1"
    lam.update_function_code(FunctionName="fn", ZipFile=code("a = 1\n"))
    assert lam.publish_version(FunctionName="fn")["Version"] == "2"
    lam.delete_function(FunctionName="fn", Qualifier="2")
    lam.update_function_code(FunctionName="fn", ZipFile=code("b = 1\n"))
    assert lam.publish_version(FunctionName="fn")["Version"] == "3"


def test_publishing_unchanged_code_returns_the_existing_version(lam: Any) -> None:
    first = lam.publish_version(FunctionName="fn")
    lam.update_function_code(FunctionName="fn", ZipFile=code())  # same bytes again
    again = lam.publish_version(FunctionName="fn")
    assert again["Version"] == first["Version"] == "1"
    assert len(lam.list_versions_by_function(FunctionName="fn")["Versions"]) == 2


def test_published_version_is_a_snapshot_later_updates_do_not_change(lam: Any) -> None:
    lam.publish_version(FunctionName="fn")
    published = lam.get_function(FunctionName="fn", Qualifier="1")
    lam.update_function_code(FunctionName="fn", ZipFile=code("changed = True\n"))
    lam.update_function_configuration(
        FunctionName="fn", MemorySize=1024, Environment={"Variables": {"A": "1"}}
    )
    assert lam.publish_version(FunctionName="fn")["Version"] == "2"
    lam.update_function_code(FunctionName="fn", ZipFile=code("third = True\n"))
    now = lam.get_function(FunctionName="fn", Qualifier="1")
    assert now["Configuration"]["CodeSha256"] == published["Configuration"]["CodeSha256"]
    assert now["Configuration"]["MemorySize"] == 128
    assert "Environment" not in now["Configuration"]
    assert now["Code"] == published["Code"]
    two = lam.get_function(FunctionName="fn", Qualifier="2")["Configuration"]
    assert two["CodeSha256"] == code_sha256(code("changed = True\n"))
    assert two["Environment"] == {"Variables": {"A": "1"}}


def test_configuration_change_alone_publishes_a_new_version(lam: Any) -> None:
    lam.publish_version(FunctionName="fn")
    lam.update_function_configuration(FunctionName="fn", Timeout=30)
    assert lam.publish_version(FunctionName="fn")["Version"] == "2"


def test_publish_description_is_the_versions_description(lam: Any) -> None:
    lam.publish_version(FunctionName="fn", Description="release one")
    listed = lam.list_versions_by_function(FunctionName="fn")["Versions"]
    assert [(v["Version"], v["Description"]) for v in listed] == [
        ("$LATEST", ""),
        ("1", "release one"),
    ]
    got = lam.get_function(FunctionName="fn", Qualifier="1")["Configuration"]
    assert got["Description"] == "release one"


def test_update_code_with_publish_returns_the_new_version(lam: Any) -> None:
    lam.publish_version(FunctionName="fn")
    result = lam.update_function_code(FunctionName="fn", ZipFile=code("p = 1\n"), Publish=True)
    assert result["Version"] == "2"
    assert result["CodeSha256"] == code_sha256(code("p = 1\n"))
    one = lam.get_function(FunctionName="fn", Qualifier="1")["Configuration"]
    assert one["CodeSha256"] == code_sha256(code())
