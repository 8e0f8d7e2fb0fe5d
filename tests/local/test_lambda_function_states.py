"""Inactive and Pending functions and versions refuse what AWS refuses, and recover as on AWS.

AWS Lambda developer guide, "Lambda function states": "Inactive – A function becomes inactive when
it has been idle long enough for Lambda to reclaim the external resources that were configured for
it. When you try to invoke a function that is inactive, the invocation fails and Lambda sets the
function to pending state until the function resources are recreated." "Pending – ... Lambda does
not invoke a function during pending state. Any invocations or other API actions that operate on
the function will fail." "The following operations fail while function creation is pending:
Invoke, UpdateFunctionCode, UpdateFunctionConfiguration, PublishVersion." AWS Compute Blog,
"Tracking the state of Lambda functions": "Functions can only be updated if they are in the Active
or Inactive state." Lambda API reference, Invoke errors: `CodeArtifactUserPendingException`
(409), "Wait for the function's State to become Active and try the request again";
ResourceConflictException (409), "another operation is in progress".
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function
from twophase.local.extensions.lambda_function_states import make_inactive, pending_for

PENDING = (
    "The operation cannot be performed at this time. "
    "The function is currently in the following state: Pending"
)
HANDLER = "def handler(event, context):\n    return {'ok': True}\n"


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    create_function(clients)
    client = clients.client("lambda")
    client.update_function_code(FunctionName="fn", ZipFile=code(HANDLER))
    return client


@pytest.fixture
def arn(lam: Any) -> str:
    return str(lam.get_function_configuration(FunctionName="fn")["FunctionArn"])


def refused(call: Callable[[], Any]) -> tuple[int, str, str]:
    with pytest.raises(ClientError) as info:
        call()
    error = info.value.response
    return (
        int(error["ResponseMetadata"]["HTTPStatusCode"]),
        str(error["Error"]["Code"]),
        str(error["Error"]["Message"]),
    )


def state(lam: Any, qualifier: str = "$LATEST") -> tuple[str, str]:
    config = lam.get_function_configuration(FunctionName="fn", Qualifier=qualifier)
    return config["State"], config["LastUpdateStatus"]


def test_unmarked_functions_stay_active(lam: Any) -> None:
    lam.publish_version(FunctionName="fn")
    assert state(lam) == state(lam, "1") == ("Active", "Successful")
    assert lam.invoke(FunctionName="fn")["StatusCode"] == 200


def test_an_idle_function_is_inactive_and_its_last_update_stays_successful(
    lam: Any, arn: str
) -> None:
    make_inactive(arn)

    config = lam.get_function(FunctionName="fn")["Configuration"]
    assert (config["State"], config["LastUpdateStatus"]) == ("Inactive", "Successful")
    assert config["StateReasonCode"] == "Idle"
    assert state(lam) == ("Inactive", "Successful")  # reading does not wake it


def test_invoking_an_inactive_function_fails_then_it_is_pending_then_active(
    lam: Any, arn: str
) -> None:
    make_inactive(arn, wake_reads=2)

    status, code_, _ = refused(lambda: lam.invoke(FunctionName="fn"))

    assert (status, code_) == (409, "CodeArtifactUserPendingException")
    pending = lam.get_function_configuration(FunctionName="fn")
    assert (pending["State"], pending["StateReasonCode"]) == ("Pending", "Restoring")
    assert state(lam) == ("Pending", "Successful")
    assert state(lam) == ("Active", "Successful")
    assert lam.invoke(FunctionName="fn")["StatusCode"] == 200


def test_invoking_a_pending_function_is_a_conflict(lam: Any, arn: str) -> None:
    pending_for(arn, reads=1)

    assert refused(lambda: lam.invoke(FunctionName="fn")) == (
        409,
        "ResourceConflictException",
        PENDING,
    )


@pytest.mark.parametrize(
    "mutation",
    [
        lambda lam: lam.update_function_code(FunctionName="fn", ZipFile=code("x = 1\n")),
        lambda lam: lam.update_function_configuration(FunctionName="fn", MemorySize=256),
        lambda lam: lam.publish_version(FunctionName="fn"),
    ],
    ids=["UpdateFunctionCode", "UpdateFunctionConfiguration", "PublishVersion"],
)
def test_updating_a_pending_function_is_a_conflict_and_changes_nothing(
    lam: Any, arn: str, mutation: Callable[[Any], Any]
) -> None:
    before = lam.get_function_configuration(FunctionName="fn")
    pending_for(arn, reads=2)

    assert refused(lambda: mutation(lam)) == (409, "ResourceConflictException", PENDING)

    after = lam.get_function_configuration(FunctionName="fn")  # read 1 of 2
    assert (after["CodeSha256"], after["MemorySize"]) == (before["CodeSha256"], 128)
    assert after["RevisionId"] == before["RevisionId"]
    assert len(lam.list_versions_by_function(FunctionName="fn")["Versions"]) == 1
    assert state(lam) == ("Pending", "Successful")  # read 2 of 2
    mutation(lam)  # Active now: accepted


def test_pending_lasts_exactly_the_given_number_of_reads(lam: Any, arn: str) -> None:
    pending_for(arn, reads=3)

    seen = [state(lam)[0] for _ in range(4)]

    assert seen == ["Pending", "Pending", "Pending", "Active"]


def test_the_function_active_waiter_waits_out_pending(lam: Any, arn: str) -> None:
    pending_for(arn, reads=2)

    lam.get_waiter("function_active_v2").wait(
        FunctionName="fn", WaiterConfig={"Delay": 0, "MaxAttempts": 3}
    )

    assert state(lam) == ("Active", "Successful")


def test_update_code_on_an_inactive_function_is_accepted_and_activates_it(
    lam: Any, arn: str
) -> None:
    make_inactive(arn)

    result = lam.update_function_code(FunctionName="fn", ZipFile=code(HANDLER + "# v2\n"))

    assert (result["State"], result["LastUpdateStatus"]) == ("Active", "Successful")
    assert state(lam) == ("Active", "Successful")
    assert lam.invoke(FunctionName="fn")["StatusCode"] == 200


def test_update_configuration_on_an_inactive_function_is_accepted_and_activates_it(
    lam: Any, arn: str
) -> None:
    make_inactive(arn)

    result = lam.update_function_configuration(FunctionName="fn", Timeout=9)

    assert (result["State"], result["Timeout"]) == ("Active", 9)


def test_publishing_from_an_inactive_function_is_accepted(lam: Any, arn: str) -> None:
    make_inactive(arn)

    version = lam.publish_version(FunctionName="fn")

    assert (version["Version"], version["State"]) == ("1", "Active")
    assert state(lam, "1") == ("Active", "Successful")


def test_a_new_version_can_start_pending_and_become_active(lam: Any, arn: str) -> None:
    pending_for(f"{arn}:1", reads=1)

    published = lam.publish_version(FunctionName="fn")

    assert published["State"] == "Pending"
    assert state(lam) == ("Active", "Successful")  # $LATEST is not the version
    assert state(lam, "1") == ("Pending", "Successful")
    lam.get_waiter("published_version_active").wait(
        FunctionName="fn", Qualifier="1", WaiterConfig={"Delay": 0, "MaxAttempts": 2}
    )
    assert state(lam, "1") == ("Active", "Successful")


def test_a_pending_version_refuses_invoke_and_aliases_but_latest_does_not(
    lam: Any, arn: str
) -> None:
    lam.publish_version(FunctionName="fn")
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    lam.update_function_code(FunctionName="fn", ZipFile=code(HANDLER + "# v2\n"))
    pending_for(f"{arn}:2", reads=1)
    lam.publish_version(FunctionName="fn")

    status, code_, message = refused(
        lambda: lam.update_alias(FunctionName="fn", Name="live", FunctionVersion="2")
    )
    assert (status, code_) == (409, "ResourceConflictException")
    assert "is currently in the following state: 'Pending'" in message
    weighted = {"AdditionalVersionWeights": {"2": 0.1}}
    assert refused(
        lambda: lam.update_alias(FunctionName="fn", Name="live", RoutingConfig=weighted)
    )[:2] == (409, "ResourceConflictException")
    assert refused(lambda: lam.create_alias(FunctionName="fn", Name="next", FunctionVersion="2"))[
        :2
    ] == (409, "ResourceConflictException")
    assert refused(lambda: lam.invoke(FunctionName="fn", Qualifier="2"))[:2] == (
        409,
        "ResourceConflictException",
    )
    assert lam.get_alias(FunctionName="fn", Name="live")["FunctionVersion"] == "1"
    assert lam.invoke(FunctionName="fn", Qualifier="live")["StatusCode"] == 200
    assert lam.invoke(FunctionName="fn")["StatusCode"] == 200

    assert state(lam, "2") == ("Pending", "Successful")  # the one read: Active after it
    lam.update_alias(FunctionName="fn", Name="live", FunctionVersion="2")
    assert lam.invoke(FunctionName="fn", Qualifier="live")["ExecutedVersion"] == "2"


def test_invoking_an_inactive_version_through_its_alias_wakes_that_version(
    lam: Any, arn: str
) -> None:
    lam.publish_version(FunctionName="fn")
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    make_inactive(f"{arn}:1")

    status, code_, _ = refused(lambda: lam.invoke(FunctionName="fn", Qualifier="live"))

    assert (status, code_) == (409, "CodeArtifactUserPendingException")
    assert state(lam, "live") == ("Pending", "Successful")
    assert state(lam) == ("Active", "Successful")
    assert lam.invoke(FunctionName="fn", Qualifier="live")["StatusCode"] == 200


def test_a_deleted_and_recreated_function_forgets_its_marks(
    local_aws: LocalAwsHandle, lam: Any, arn: str
) -> None:
    make_inactive(arn)
    lam.delete_function(FunctionName="fn")

    create_function(local_aws.clients())

    assert state(lam) == ("Active", "Successful")
