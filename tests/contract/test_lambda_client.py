"""The thin Lambda client against botocore's Stubber: exact parameters, translations, retries."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError, NoCredentialsError
from botocore.stub import Stubber

from twophase.aws.errors import UpdateInProgress
from twophase.aws.lambda_client import AliasState, CodeSource, LambdaClient, VersionInUse
from twophase.aws.lambda_errors import translate_error
from twophase.aws.lambda_waits import WaitTimeout
from twophase.errors import (
    AccessDeniedError,
    AwsError,
    ConflictError,
    CredentialsError,
    ExitStatus,
    NotFoundError,
    UsageError,
)

FN = "shop-dev-api"
SHA = "n4bQgYhMfWWaL+qgxVrQFaO/TxsrC4Is0V1sFbDwCgg="
IN_PROGRESS = (
    "The operation cannot be performed at this time. An update is in progress for resource"
)


def config(status: str = "Successful", revision: str = "r2", **extra: Any) -> dict[str, Any]:
    return {
        "FunctionName": FN,
        "Version": "$LATEST",
        "CodeSha256": SHA,
        "RevisionId": revision,
        "LastUpdateStatus": status,
        **extra,
    }


@pytest.fixture
def boto_lambda() -> Any:
    return boto3.client(
        "lambda", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y"
    )


@pytest.fixture
def stub(boto_lambda: Any) -> Iterator[Stubber]:
    with Stubber(boto_lambda) as stubber:
        yield stubber
        stubber.assert_no_pending_responses()


@pytest.fixture
def sleeps() -> list[float]:
    return []


def pauses_are(sleeps: list[float], longest: list[float]) -> bool:
    """Each pause is its bound, shortened by a jitter of at most a quarter."""
    return len(sleeps) == len(longest) and all(
        0.75 * bound <= pause <= bound for pause, bound in zip(sleeps, longest, strict=True)
    )


@pytest.fixture
def client(boto_lambda: Any, sleeps: list[float]) -> LambdaClient:
    return LambdaClient(boto_lambda, sleep=sleeps.append, conflict_attempts=3, wait_polls=3)


def test_update_code_sends_the_revision_it_read_and_returns_when_successful(
    client: LambdaClient, stub: Stubber, sleeps: list[float]
) -> None:
    stub.add_response(
        "update_function_code",
        config(revision="r2"),
        {"FunctionName": FN, "ZipFile": b"zip-bytes", "RevisionId": "r1"},
    )
    state = client.update_code(FN, CodeSource(zip_bytes=b"zip-bytes"), "r1")
    assert (state.revision_id, state.code_sha256) == ("r2", SHA)
    assert sleeps == []


def test_update_code_from_s3_waits_until_the_update_finishes(
    client: LambdaClient, stub: Stubber, sleeps: list[float]
) -> None:
    stub.add_response(
        "update_function_code",
        config("InProgress", "r2"),
        {"FunctionName": FN, "S3Bucket": "bucket", "S3Key": "k.zip", "RevisionId": "r1"},
    )
    stub.add_response(
        "get_function_configuration", config("InProgress", "r2"), {"FunctionName": FN}
    )
    stub.add_response(
        "get_function_configuration", config("Successful", "r3"), {"FunctionName": FN}
    )
    state = client.update_code(FN, CodeSource(s3_bucket="bucket", s3_key="k.zip"), "r1")
    assert state.revision_id == "r3"
    assert pauses_are(sleeps, [0.05])  # a short first pause (twophase.aws.polling)


def test_a_failed_update_reports_lambdas_reason(client: LambdaClient, stub: Stubber) -> None:
    stub.add_response("update_function_code", config("InProgress"), None)
    failed = config("Failed", LastUpdateStatusReason="Unzipped size must be smaller than 262144000")
    stub.add_response("get_function_configuration", failed, {"FunctionName": FN})
    with pytest.raises(AwsError, match="Unzipped size must be smaller") as info:
        client.update_code(FN, CodeSource(image_uri="123.dkr.ecr/x:1"), "r1")
    assert not isinstance(info.value, WaitTimeout)


def test_waiting_is_bounded(client: LambdaClient, stub: Stubber, sleeps: list[float]) -> None:
    for _ in range(3 * 3):  # wait_polls x wait_attempts
        stub.add_response("get_function_configuration", config("InProgress"), {"FunctionName": FN})
    with pytest.raises(WaitTimeout, match="still updating"):
        client.wait_updated(FN)
    assert len(sleeps) == 3 * 2 + 2  # between polls, and between attempts


def test_publish_version_carries_code_sha_revision_and_record(
    client: LambdaClient, stub: Stubber
) -> None:
    params = {"FunctionName": FN, "CodeSha256": SHA, "RevisionId": "r3", "Description": '{"tp":1}'}
    stub.add_response("publish_version", config(Version="7"), params)
    state = client.publish_version(FN, code_sha256=SHA, revision_id="r3", description='{"tp":1}')
    assert state.version == "7"


def test_update_alias_carries_revision_and_routing(client: LambdaClient, stub: Stubber) -> None:
    params = {
        "FunctionName": FN,
        "Name": "live",
        "FunctionVersion": "6",
        "RevisionId": "a1",
        "RoutingConfig": {"AdditionalVersionWeights": {"7": 0.1}},
        "Description": '{"tp":1,"h":["5"]}',
    }
    response = {
        "Name": "live",
        "FunctionVersion": "6",
        "RevisionId": "a2",
        "RoutingConfig": {"AdditionalVersionWeights": {"7": 0.1}},
    }
    stub.add_response("update_alias", response, params)
    state = client.update_alias(
        FN,
        "live",
        version="6",
        revision_id="a1",
        weights={"7": 0.1},
        description='{"tp":1,"h":["5"]}',
    )
    assert state == AliasState("live", "6", "a2", "", {"7": 0.1})


def test_reads_pass_the_qualifier(client: LambdaClient, stub: Stubber) -> None:
    stub.add_response(
        "get_function_configuration", config(Version="4"), {"FunctionName": FN, "Qualifier": "next"}
    )
    stub.add_response(
        "get_alias",
        {"Name": "next", "FunctionVersion": "4", "RevisionId": "a9"},
        {"FunctionName": FN, "Name": "next"},
    )
    assert client.get_configuration(FN, "next").version == "4"
    assert client.get_alias(FN, "next").revision_id == "a9"


def test_list_versions_follows_pages_and_drops_latest(client: LambdaClient, stub: Stubber) -> None:
    stub.add_response(
        "list_versions_by_function",
        {"Versions": [config(), config(Version="1")], "NextMarker": "m"},
        {"FunctionName": FN},
    )
    stub.add_response(
        "list_versions_by_function",
        {"Versions": [config(Version="2")]},
        {"FunctionName": FN, "Marker": "m"},
    )
    assert [v.version for v in client.list_versions(FN)] == ["1", "2"]


def test_a_stale_revision_is_a_conflict_and_never_retried(
    client: LambdaClient, stub: Stubber, sleeps: list[float]
) -> None:
    stub.add_client_error(
        "update_function_code",
        service_error_code="PreconditionFailedException",
        service_message="The Revision Id provided does not match the latest Revision Id.",
        http_status_code=412,
    )
    with pytest.raises(ConflictError, match="shop-dev-api changed under you"):
        client.update_code(FN, CodeSource(zip_bytes=b"z"), "stale")
    assert sleeps == []


def test_a_resource_conflict_that_is_not_an_update_is_a_conflict(
    client: LambdaClient, stub: Stubber, sleeps: list[float]
) -> None:
    stub.add_client_error(
        "publish_version",
        service_error_code="ResourceConflictException",
        service_message="CodeSha256 does not match",
        http_status_code=409,
    )
    # Before calling it a conflict, the client looks for its own version (none here).
    stub.add_response("list_versions_by_function", {"Versions": []}, {"FunctionName": FN})
    with pytest.raises(ConflictError, match="lambda:PublishVersion"):
        client.publish_version(FN, code_sha256=SHA, revision_id="r", description="")
    assert sleeps == []


STALE_SHA = (
    "CodeSHA256 (abc) is different from current CodeSHA256 in $LATEST (def). "
    "Please try again with the CodeSHA256 in $LATEST."
)


def test_a_stale_code_sha_is_a_400_on_aws_and_a_conflict_here(
    client: LambdaClient, stub: Stubber, sleeps: list[float]
) -> None:
    """AWS answers PublishVersion(CodeSha256=stale) with 400 InvalidParameterValueException, not
    412 (Lambda API reference, PublishVersion, `CodeSha256`): a conflict (exit 4), never a usage
    error, and never retried."""
    stub.add_client_error(
        "publish_version", "InvalidParameterValueException", STALE_SHA, http_status_code=400
    )
    stub.add_response("list_versions_by_function", {"Versions": []}, {"FunctionName": FN})
    with pytest.raises(ConflictError, match=r"\$LATEST changed under you") as caught:
        client.publish_version(FN, code_sha256=SHA, revision_id="r", description="d")
    assert caught.value.exit_status == ExitStatus.CONFLICT
    assert sleeps == []


def test_another_invalid_parameter_stays_a_usage_error(client: LambdaClient, stub: Stubber) -> None:
    stub.add_client_error(
        "publish_version", "InvalidParameterValueException", "Description too long", 400
    )
    with pytest.raises(UsageError):
        client.publish_version(FN, code_sha256=SHA, revision_id="r", description="d")


def test_a_publish_whose_answer_was_lost_is_recognised_by_its_record(
    client: LambdaClient, stub: Stubber
) -> None:
    """botocore retried a PublishVersion whose first answer was lost: the retry's RevisionId is
    stale (the first attempt published). The version carrying our exact record is ours."""
    stub.add_client_error("publish_version", "PreconditionFailedException", "stale", 412)
    mine = config(Version="7", Description='{"tp":1,"a":"x"}')
    other = config(Version="6", Description='{"tp":1,"a":"y"}')
    stub.add_response(
        "list_versions_by_function", {"Versions": [config(), other, mine]}, {"FunctionName": FN}
    )
    found = client.publish_version(
        FN, code_sha256=SHA, revision_id="r", description='{"tp":1,"a":"x"}'
    )
    assert found.version == "7"


def test_an_alias_found_where_we_asked_after_a_failed_precondition_is_success(
    client: LambdaClient, stub: Stubber
) -> None:
    stub.add_client_error("update_alias", "PreconditionFailedException", "stale", 412)
    stub.add_response(
        "get_alias",
        {"Name": "next", "FunctionVersion": "3", "RevisionId": "a9", "Description": "h"},
        {"FunctionName": FN, "Name": "next"},
    )
    state = client.update_alias(FN, "next", version="3", revision_id="a1", description="h")
    assert (state.function_version, state.revision_id) == ("3", "a9")


def test_an_alias_found_elsewhere_after_a_failed_precondition_is_a_conflict(
    client: LambdaClient, stub: Stubber
) -> None:
    stub.add_client_error("update_alias", "PreconditionFailedException", "stale", 412)
    stub.add_response(
        "get_alias",
        {"Name": "next", "FunctionVersion": "4", "RevisionId": "a9"},
        {"FunctionName": FN, "Name": "next"},
    )
    with pytest.raises(ConflictError):
        client.update_alias(FN, "next", version="3", revision_id="a1")


def test_a_code_update_found_on_latest_after_a_failed_precondition_is_success(
    client: LambdaClient, stub: Stubber
) -> None:
    stub.add_client_error("update_function_code", "PreconditionFailedException", "stale", 412)
    stub.add_response("get_function_configuration", config(), {"FunctionName": FN})
    stub.add_response("get_function_configuration", config(revision="r3"), {"FunctionName": FN})
    state = client.update_code(FN, CodeSource(zip_bytes=b"z"), "r1", code_sha256=SHA)
    assert state.revision_id == "r3"


def test_a_code_update_meeting_other_code_is_a_conflict(
    client: LambdaClient, stub: Stubber
) -> None:
    stub.add_client_error("update_function_code", "PreconditionFailedException", "stale", 412)
    stub.add_response(
        "get_function_configuration", config(CodeSha256="other="), {"FunctionName": FN}
    )
    with pytest.raises(ConflictError):
        client.update_code(FN, CodeSource(zip_bytes=b"z"), "r1", code_sha256=SHA)


PENDING = (
    "The operation cannot be performed at this time. The function is currently in the "
    "following state: Pending"
)


def test_a_pending_function_is_retried_like_an_update_in_progress(
    client: LambdaClient, stub: Stubber, sleeps: list[float]
) -> None:
    stub.add_client_error("update_alias", "ResourceConflictException", PENDING, 409)
    stub.add_response("update_alias", {"Name": "next", "FunctionVersion": "3", "RevisionId": "a2"})
    assert client.update_alias(FN, "next", version="3", revision_id="a1").revision_id == "a2"
    assert len(sleeps) == 1


def test_wait_active_polls_until_the_function_is_active_and_says_so_once(
    boto_lambda: Any, stub: Stubber, sleeps: list[float]
) -> None:
    said: list[str] = []
    client = LambdaClient(boto_lambda, sleep=sleeps.append, wait_polls=5, on_wait=said.append)
    for state in ("Inactive", "Pending", "Active"):
        stub.add_response("get_function_configuration", config(State=state), {"FunctionName": FN})
    assert client.wait_active(FN).state == "Active"
    assert said == [f"{FN}: waiting for it to become Active (Inactive)"]
    assert pauses_are(sleeps, [0.05, 0.0575])  # short, growing (twophase.aws.polling)


def test_update_in_progress_is_retried_then_succeeds(
    client: LambdaClient, stub: Stubber, sleeps: list[float]
) -> None:
    for _ in range(2):
        stub.add_client_error(
            "update_alias", "ResourceConflictException", IN_PROGRESS, http_status_code=409
        )
    stub.add_response("update_alias", {"Name": "next", "FunctionVersion": "3", "RevisionId": "a2"})
    state = client.update_alias(FN, "next", version="3", revision_id="a1")
    assert state.revision_id == "a2"
    assert len(sleeps) == 2


def test_update_in_progress_retries_are_bounded(
    client: LambdaClient, stub: Stubber, sleeps: list[float]
) -> None:
    for _ in range(3):
        stub.add_client_error(
            "publish_version", "ResourceConflictException", IN_PROGRESS, http_status_code=409
        )
    with pytest.raises(UpdateInProgress, match="is being updated"):
        client.publish_version(FN, code_sha256=SHA, revision_id="r", description="")
    assert len(sleeps) == 2


def test_access_denied_names_action_and_resource(client: LambdaClient, stub: Stubber) -> None:
    stub.add_client_error("get_alias", "AccessDeniedException", "not authorized", 403)
    with pytest.raises(AccessDeniedError) as info:
        client.get_alias(FN, "live")
    assert info.value.message == "not allowed to call lambda:GetAlias on alias live of shop-dev-api"
    assert info.value.hint is not None and "twophase policy" in info.value.hint


def test_missing_function_hints_at_infra_up(client: LambdaClient, stub: Stubber) -> None:
    stub.add_client_error("get_function_configuration", "ResourceNotFoundException", "nope", 404)
    with pytest.raises(NotFoundError) as info:
        client.get_configuration(FN)
    assert "twophase infra up -e ENV" in str(info.value)


def test_botocore_errors_are_translated() -> None:
    creds = translate_error(NoCredentialsError(), action="lambda:GetAlias", resource=FN)
    assert isinstance(creds, CredentialsError)
    unreachable = EndpointConnectionError(endpoint_url="https://lambda.example")
    assert isinstance(translate_error(unreachable, action="lambda:GetAlias", resource=FN), AwsError)


def test_invoke_asks_for_the_log_tail_and_reports_a_raised_error(
    client: LambdaClient, stub: Stubber
) -> None:
    import base64
    import io

    from botocore.response import StreamingBody

    body = b'{"errorMessage": "boom", "errorType": "ValueError"}'
    stub.add_response(
        "invoke",
        {
            "StatusCode": 200,
            "FunctionError": "Unhandled",
            "ExecutedVersion": "7",
            "LogResult": base64.b64encode(b"START\nboom\nEND\n").decode(),
            "Payload": StreamingBody(io.BytesIO(body), len(body)),
        },
        {"FunctionName": FN, "Qualifier": "live", "Payload": b"{}", "LogType": "Tail"},
    )
    result = client.invoke(FN, "live", b"{}")
    assert (result.status, result.executed_version, result.function_error) == (
        200,
        "7",
        "Unhandled",
    )
    assert result.payload == body and result.log_tail == "START\nboom\nEND\n"


def test_invoking_a_missing_alias_is_not_found(client: LambdaClient, stub: Stubber) -> None:
    stub.add_client_error("invoke", "ResourceNotFoundException", "Function not found", 404)
    with pytest.raises(NotFoundError, match="lambda:InvokeFunction"):
        client.invoke(FN, "beta", b"{}")


def test_a_pending_version_in_lambdas_quoted_form_is_retried_too(
    client: LambdaClient, stub: Stubber, sleeps: list[float]
) -> None:
    quoted = (
        "The operation cannot be performed at this time. The function version 3 is currently "
        "in the following state: 'Pending'"
    )
    stub.add_client_error("update_alias", "ResourceConflictException", quoted, 409)
    stub.add_response("update_alias", {"Name": "next", "FunctionVersion": "3", "RevisionId": "a2"})
    assert client.update_alias(FN, "next", version="3", revision_id="a1").revision_id == "a2"


@pytest.mark.parametrize(
    ("code", "message"),
    [
        ("CodeArtifactUserPendingException", "Lambda is initializing your function"),
        ("ResourceConflictException", PENDING),
    ],
)
def test_invoking_a_function_that_is_not_ready_says_so_and_is_no_conflict(
    client: LambdaClient, stub: Stubber, code: str, message: str
) -> None:
    stub.add_client_error("invoke", code, message, 409)
    with pytest.raises(AwsError, match="is not ready yet") as caught:
        client.invoke(FN, "live", b"{}")
    assert not isinstance(caught.value, ConflictError)


# --- deleting a version (prune) -------------------------------------------------------------------


def test_delete_version_always_sends_the_qualifier(client: LambdaClient, stub: Stubber) -> None:
    stub.add_response("delete_function", {}, {"FunctionName": FN, "Qualifier": "3"})
    client.delete_version(FN, "3")


@pytest.mark.parametrize("version", ["$LATEST", "live", ""])
def test_delete_version_never_deletes_the_function_or_latest(
    client: LambdaClient, stub: Stubber, version: str
) -> None:
    with pytest.raises(ValueError, match="not a published version"):
        client.delete_version(FN, version)  # no call: the stubber has nothing queued


def test_a_version_an_alias_references_is_version_in_use(
    client: LambdaClient, stub: Stubber, sleeps: list[float]
) -> None:
    stub.add_client_error(
        "delete_function",
        service_error_code="ResourceConflictException",
        service_message="Unable to delete version because the following aliases reference it: "
        "[live]",
        http_status_code=409,
    )
    with pytest.raises(VersionInUse) as refused:
        client.delete_version(FN, "3")
    assert "shop-dev-api:3" in str(refused.value) and refused.value.hint == "an alias points to it"
    assert sleeps == []


def test_a_version_already_gone_is_not_found(client: LambdaClient, stub: Stubber) -> None:
    stub.add_client_error("delete_function", "ResourceNotFoundException", "Function not found", 404)
    with pytest.raises(NotFoundError, match=r"shop-dev-api:3 not found \(lambda:DeleteFunction\)"):
        client.delete_version(FN, "3")
