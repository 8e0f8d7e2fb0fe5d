"""Control-plane calls past a rate are refused with 429 TooManyRequestsException, as AWS does.

AWS behaviour (Lambda developer guide, "Lambda quotas", API request rate limits; Lambda API
reference, "TooManyRequestsException"): control-plane requests are limited per account and
region; a request over the limit fails with HTTP 429 `TooManyRequestsException`, `Type: User`,
`Reason: CallerRateLimitExceeded`, and changes nothing. Invoke is not a control-plane call.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import create_function
from twophase.local.extensions.lambda_throttling import (
    WINDOW_SECONDS,
    lambda_rate,
    throttle_lambda,
)

RATE = 3


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Iterator[Any]:
    """A Lambda client that never retries, on an embedded AWS throttling at RATE calls/s."""
    clients = local_aws.clients()
    create_function(clients)
    config = Config(retries={"mode": "standard", "total_max_attempts": 1})
    client = clients.session.create_client(
        "lambda", region_name="us-east-1", endpoint_url=local_aws.endpoint_url, config=config
    )
    time.sleep(WINDOW_SECONDS)  # create_function's own calls are out of the window
    throttle_lambda(RATE)
    try:
        yield client
    finally:
        throttle_lambda(None)


def test_calls_past_the_rate_are_refused_as_aws_does(lam: Any) -> None:
    for _ in range(RATE):
        lam.get_function_configuration(FunctionName="fn")
    with pytest.raises(ClientError) as refused:
        lam.update_function_configuration(FunctionName="fn", Timeout=9)

    response: dict[str, Any] = dict(refused.value.response)
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 429
    assert response["Error"]["Code"] == "TooManyRequestsException"
    assert response["Error"]["Message"] == "Rate exceeded"
    assert (response["Type"], response["Reason"]) == ("User", "CallerRateLimitExceeded")
    time.sleep(WINDOW_SECONDS)
    assert lam.get_function_configuration(FunctionName="fn")["Timeout"] != 9  # nothing changed


def test_invoke_is_not_counted_and_the_rate_turns_off(lam: Any) -> None:
    for _ in range(RATE):
        lam.get_function_configuration(FunctionName="fn")
    assert lam.invoke(FunctionName="fn")["StatusCode"] == 200
    with pytest.raises(ClientError):
        lam.list_versions_by_function(FunctionName="fn")

    throttle_lambda(None)
    assert lambda_rate() is None
    for _ in range(2 * RATE):
        lam.get_function_configuration(FunctionName="fn")


def test_a_rate_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        throttle_lambda(0)
