"""A stale RevisionId fails with 412, a stale CodeSha256 with 400, and neither changes anything.

AWS Lambda API reference, PublishVersion: `RevisionId` "Only update the function if the revision ID
matches the ID that's specified" (else `PreconditionFailedException`, HTTP 412); `CodeSha256` "Only
publish a version if the hash value matches the value that's specified" (else
`InvalidParameterValueException`, HTTP 400, naming both hashes).
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from threading import Barrier
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function
from twophase.build.detzip import code_sha256

STALE_REVISION = (
    "The Revision Id provided does not match the latest Revision Id. "
    "Call the GetFunction/GetAlias API to retrieve the latest Revision Id"
)


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    create_function(clients)
    return clients.client("lambda")


def precondition_failure(call: Callable[[], Any]) -> str:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 412
    assert error["Error"]["Code"] == "PreconditionFailedException"
    return str(error["Error"]["Message"])


def test_update_code_with_stale_revision_fails_and_keeps_the_code(lam: Any) -> None:
    stale = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    lam.update_function_code(FunctionName="fn", ZipFile=code("a = 1\n"))
    sha = lam.get_function(FunctionName="fn")["Configuration"]["CodeSha256"]
    message = precondition_failure(
        lambda: lam.update_function_code(
            FunctionName="fn", ZipFile=code("b = 2\n"), RevisionId=stale
        )
    )
    assert message == STALE_REVISION
    assert lam.get_function(FunctionName="fn")["Configuration"]["CodeSha256"] == sha


def test_update_code_with_current_revision_succeeds(lam: Any) -> None:
    rev = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    result = lam.update_function_code(FunctionName="fn", ZipFile=code("a = 1\n"), RevisionId=rev)
    assert result["CodeSha256"] == code_sha256(code("a = 1\n"))


def test_update_configuration_with_stale_revision_fails(lam: Any) -> None:
    stale = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    lam.update_function_configuration(FunctionName="fn", Timeout=9)
    precondition_failure(
        lambda: lam.update_function_configuration(
            FunctionName="fn", MemorySize=1024, RevisionId=stale
        )
    )
    assert lam.get_function_configuration(FunctionName="fn")["MemorySize"] == 128


def test_publish_with_stale_revision_fails(lam: Any) -> None:
    stale = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    lam.update_function_code(FunctionName="fn", ZipFile=code("a = 1\n"))
    precondition_failure(lambda: lam.publish_version(FunctionName="fn", RevisionId=stale))
    assert len(lam.list_versions_by_function(FunctionName="fn")["Versions"]) == 1


def test_publish_with_other_code_sha_is_an_invalid_parameter_with_aws_message(lam: Any) -> None:
    current = lam.get_function(FunctionName="fn")["Configuration"]["CodeSha256"]
    with pytest.raises(ClientError) as info:
        lam.publish_version(FunctionName="fn", CodeSha256="not-this-one")
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert error["Error"]["Message"] == (
        f"CodeSHA256 (not-this-one) is different from current CodeSHA256 in $LATEST ({current}). "
        "Please try again with the CodeSHA256 in $LATEST."
    )
    assert len(lam.list_versions_by_function(FunctionName="fn")["Versions"]) == 1


def test_publish_with_matching_code_sha_and_revision_publishes(lam: Any) -> None:
    config = lam.get_function(FunctionName="fn")["Configuration"]
    version = lam.publish_version(
        FunctionName="fn", CodeSha256=config["CodeSha256"], RevisionId=config["RevisionId"]
    )
    assert version["Version"] == "1"


def test_update_alias_with_stale_revision_fails_and_keeps_the_target(lam: Any) -> None:
    lam.publish_version(FunctionName="fn")
    lam.update_function_code(FunctionName="fn", ZipFile=code("a = 1\n"))
    lam.publish_version(FunctionName="fn")
    stale = lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")["RevisionId"]
    lam.update_alias(FunctionName="fn", Name="live", Description="touched")
    precondition_failure(
        lambda: lam.update_alias(
            FunctionName="fn", Name="live", FunctionVersion="2", RevisionId=stale
        )
    )
    assert lam.get_alias(FunctionName="fn", Name="live")["FunctionVersion"] == "1"


def race(calls: list[Callable[[], Any]]) -> list[int]:
    """Run the calls at the same instant; the HTTP status of each."""
    barrier = Barrier(len(calls))

    def run(call: Callable[[], Any]) -> int:
        barrier.wait()
        try:
            call()
        except ClientError as exc:
            return int(exc.response["ResponseMetadata"]["HTTPStatusCode"])
        return 200

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_racing_code_updates_with_one_revision_let_exactly_one_win(lam: Any) -> None:
    rev = lam.get_function(FunctionName="fn")["Configuration"]["RevisionId"]
    statuses = race(
        [
            partial(
                lam.update_function_code,
                FunctionName="fn",
                ZipFile=code(f"n = {i}\n"),
                RevisionId=rev,
            )
            for i in range(8)
        ]
    )
    assert sorted(statuses) == [200] + [412] * 7


def test_racing_alias_updates_with_one_revision_let_exactly_one_win(lam: Any) -> None:
    lam.publish_version(FunctionName="fn")
    rev = lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")["RevisionId"]
    statuses = race(
        [
            partial(
                lam.update_alias,
                FunctionName="fn",
                Name="live",
                Description=f"writer {i}",
                RevisionId=rev,
            )
            for i in range(8)
        ]
    )
    assert sorted(statuses) == [200] + [412] * 7
