"""AWS behaviour (Lambda API reference, ListVersionsByFunction, Errors,
https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html): listing the
versions of a function that does not exist fails with ResourceNotFoundException (HTTP 404)."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle


def test_the_versions_of_a_missing_function_are_not_found(local_aws: LocalAwsHandle) -> None:
    lam = local_aws.clients().client("lambda")
    with pytest.raises(ClientError) as caught:
        lam.list_versions_by_function(FunctionName="nope")
    error = caught.value.response["Error"]
    assert error["Code"] == "ResourceNotFoundException"
    assert error["Message"].startswith("Function not found: arn:aws:lambda:")
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


@pytest.mark.parametrize(
    "name", ["nope", "arn:aws:lambda:us-east-1:123456789012:function:nope"], ids=["name", "arn"]
)
def test_the_error_names_the_missing_functions_arn(local_aws: LocalAwsHandle, name: str) -> None:
    """AWS: ResourceNotFoundException "Function not found: <the function's ARN>", whether the
    request names the function or gives its ARN.
    https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html"""
    lam = local_aws.clients().client("lambda")
    with pytest.raises(ClientError) as caught:
        lam.list_versions_by_function(FunctionName=name)
    assert caught.value.response["Error"]["Message"] == (
        "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"
    )
