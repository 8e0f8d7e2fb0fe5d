"""An update held `InProgress` for a set time reads back InProgress, then Successful, and refuses
the next update meanwhile.

AWS behaviour (Lambda developer guide, "Lambda function states", LastUpdateStatus; Lambda API
reference, UpdateFunctionCode, UpdateFunctionConfiguration, PublishVersion): an update answers
`LastUpdateStatus: InProgress` and settles within a second or a few; until then another update or
PublishVersion fails with `ResourceConflictException` "An update is in progress for resource";
published versions stay as they were.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function
from twophase.aws.lambda_client import LambdaClient
from twophase.local.extensions.lambda_update_settle import settle_seconds, settle_updates

SETTLE = 0.4


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Iterator[Any]:
    clients = local_aws.clients()
    create_function(clients)
    settle_updates(SETTLE)
    try:
        yield clients.client("lambda")
    finally:
        settle_updates(0)


def _status(lam: Any, **qualifier: str) -> str:
    config = lam.get_function_configuration(FunctionName="fn", **qualifier)
    return str(config["LastUpdateStatus"])


def _conflict(error: ClientError) -> tuple[str, str]:
    return error.response["Error"]["Code"], error.response["Error"]["Message"]


def test_an_update_is_in_progress_until_it_settles_and_refuses_the_next(lam: Any) -> None:
    version = lam.publish_version(FunctionName="fn")["Version"]
    started = time.monotonic()
    answer = lam.update_function_code(FunctionName="fn", ZipFile=code("a = 1\n"))

    assert answer["LastUpdateStatus"] == "InProgress"
    assert _status(lam) == "InProgress"
    assert _status(lam, Qualifier=version) == "Successful"
    for refused in (
        lambda: lam.update_function_code(FunctionName="fn", ZipFile=code("b = 1\n")),
        lambda: lam.update_function_configuration(FunctionName="fn", Timeout=9),
        lambda: lam.publish_version(FunctionName="fn"),
    ):
        with pytest.raises(ClientError) as error:
            refused()
        kind, message = _conflict(error.value)
        assert kind == "ResourceConflictException"
        assert message.startswith("The operation cannot be performed at this time. An update is")
        assert message.endswith(":function:fn")

    lam.get_waiter("function_updated_v2").wait(
        FunctionName="fn", WaiterConfig={"Delay": 1, "MaxAttempts": 5}
    )
    assert time.monotonic() - started >= SETTLE
    assert _status(lam) == "Successful"
    assert lam.update_function_configuration(FunctionName="fn", Timeout=9)["Timeout"] == 9
    assert _status(lam) == "InProgress"  # a configuration update is held too


def test_a_refused_update_holds_nothing(lam: Any) -> None:
    with pytest.raises(ClientError):
        lam.update_function_code(FunctionName="fn", ZipFile=code("a = 1\n"), RevisionId="stale")
    assert _status(lam) == "Successful"
    settle_updates(0)
    assert settle_seconds() == 0
    lam.update_function_code(FunctionName="fn", ZipFile=code("a = 1\n"))
    assert _status(lam) == "Successful"


def test_twophase_waits_for_the_settle_with_short_polls(lam: Any) -> None:
    revision = lam.get_function_configuration(FunctionName="fn")["RevisionId"]
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        time.sleep(seconds)

    from twophase.aws.lambda_client import CodeSource

    client = LambdaClient(lam, sleep=sleep)
    started = time.monotonic()
    state = client.update_code("fn", CodeSource(zip_bytes=code("c = 1\n")), revision)
    waited = time.monotonic() - started

    assert state.last_update_status == "Successful"
    assert waited >= SETTLE  # held InProgress for the settle, as AWS does
    # What the client adds is its own pauses' overshoot (the calls' time depends on the load):
    assert sum(sleeps) < SETTLE + 0.3
    assert sleeps[0] <= 0.1 and max(sleeps) <= 1.0
