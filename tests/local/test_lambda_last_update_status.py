"""Functions are Active with LastUpdateStatus Successful after every update, so waiters return."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function

FAST = {"Delay": 1, "MaxAttempts": 1}


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    created = create_function(clients)
    assert created["State"] == "Active"
    assert "LastUpdateStatus" not in created
    return clients.client("lambda")


def assert_finished(config: dict[str, Any]) -> None:
    assert (config["State"], config["LastUpdateStatus"]) == ("Active", "Successful")


def test_every_update_reports_a_finished_update(lam: Any) -> None:
    assert_finished(lam.update_function_code(FunctionName="fn", ZipFile=code("a = 1\n")))
    assert_finished(lam.get_function(FunctionName="fn")["Configuration"])
    assert_finished(lam.update_function_configuration(FunctionName="fn", Timeout=5))
    assert_finished(lam.get_function_configuration(FunctionName="fn"))
    assert_finished(lam.publish_version(FunctionName="fn"))
    assert_finished(lam.get_function_configuration(FunctionName="fn", Qualifier="1"))


def test_boto3_waiters_return_at_once_after_each_update(lam: Any) -> None:
    lam.get_waiter("function_active_v2").wait(FunctionName="fn", WaiterConfig=FAST)
    lam.update_function_code(FunctionName="fn", ZipFile=code("a = 1\n"))
    lam.get_waiter("function_updated_v2").wait(FunctionName="fn", WaiterConfig=FAST)
    lam.update_function_configuration(FunctionName="fn", MemorySize=256)
    lam.get_waiter("function_updated_v2").wait(FunctionName="fn", WaiterConfig=FAST)
    version = lam.publish_version(FunctionName="fn")["Version"]
    lam.get_waiter("published_version_active").wait(
        FunctionName="fn", Qualifier=version, WaiterConfig=FAST
    )
