"""Functions and aliases carry a RevisionId that changes on every mutation (as on AWS)."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from twophase.build.detzip import Entry, build_zip


def code(body: str = "def handler(event, context):\n    return 1\n") -> bytes:
    return build_zip([Entry("app.py", body.encode())])


def create_function(clients: Any, name: str = "fn") -> dict[str, Any]:
    iam = clients.client("iam")
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
    try:
        role = iam.get_role(RoleName="fn-role")["Role"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="fn-role", AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"
        ]
    result: dict[str, Any] = clients.client("lambda").create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="app.handler",
        Code={"ZipFile": code()},
    )
    return result


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    create_function(clients)
    return clients.client("lambda")


def test_function_responses_carry_the_same_revision_id(lam: Any) -> None:
    rev = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    assert rev
    assert lam.get_function_configuration(FunctionName="fn")["RevisionId"] == rev
    versions = lam.list_versions_by_function(FunctionName="fn")["Versions"]
    assert versions[0]["RevisionId"] == rev


def test_code_update_changes_the_revision_id_and_returns_the_new_one(lam: Any) -> None:
    before = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    updated = lam.update_function_code(FunctionName="fn", ZipFile=code("x = 2\n"))
    assert updated["RevisionId"] != before
    assert (
        lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"] == updated["RevisionId"]
    )


def test_configuration_update_changes_the_revision_id(lam: Any) -> None:
    before = lam.get_function_configuration(FunctionName="fn")["RevisionId"]
    updated = lam.update_function_configuration(FunctionName="fn", MemorySize=512)
    assert updated["RevisionId"] != before
    assert lam.get_function_configuration(FunctionName="fn")["RevisionId"] == updated["RevisionId"]


def test_publish_changes_the_function_revision_and_gives_the_version_its_own(lam: Any) -> None:
    before = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    version = lam.publish_version(FunctionName="fn")
    after = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    assert after != before
    assert version["RevisionId"] not in (before, after)
    assert (
        lam.get_function(FunctionName="fn", Qualifier="1")["Configuration"]["RevisionId"]
        == (version["RevisionId"])
    )


def test_alias_update_changes_its_revision_id(lam: Any) -> None:
    lam.publish_version(FunctionName="fn")
    created = lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    assert created["RevisionId"]
    assert lam.get_alias(FunctionName="fn", Name="live")["RevisionId"] == created["RevisionId"]
    updated = lam.update_alias(FunctionName="fn", Name="live", Description="moved")
    assert updated["RevisionId"] != created["RevisionId"]
    assert lam.get_alias(FunctionName="fn", Name="live")["RevisionId"] == updated["RevisionId"]
    listed = lam.list_aliases(FunctionName="fn")["Aliases"]
    assert [a["RevisionId"] for a in listed] == [updated["RevisionId"]]
