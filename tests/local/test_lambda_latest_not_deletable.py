"""DeleteFunction with the `$LATEST` qualifier is refused; the function stays whole.

AWS behaviour (Lambda API reference, DeleteFunction,
https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html, `Qualifier`: "Specify a
version to delete"; `$LATEST` goes only with the function): DeleteFunction(Qualifier=$LATEST)
answers `InvalidParameterValueException` (HTTP 400) "$LATEST
version cannot be deleted without deleting the function." and changes nothing.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import create_function


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    create_function(clients, "fn")
    lam = clients.client("lambda")
    lam.publish_version(FunctionName="fn")
    return lam


def test_latest_cannot_be_deleted_on_its_own(lam: Any) -> None:
    before = lam.get_function(FunctionName="fn")["Configuration"]
    with pytest.raises(ClientError) as info:
        lam.delete_function(FunctionName="fn", Qualifier="$LATEST")
    error = info.value.response
    assert error["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert error["Error"]["Code"] == "InvalidParameterValueException"
    assert error["Error"]["Message"] == (
        "$LATEST version cannot be deleted without deleting the function."
    )
    assert lam.get_function(FunctionName="fn")["Configuration"] == before
    versions = lam.list_versions_by_function(FunctionName="fn")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1"]


def test_deleting_the_function_takes_latest_with_it(lam: Any) -> None:
    lam.delete_function(FunctionName="fn")
    assert lam.list_functions()["Functions"] == []
