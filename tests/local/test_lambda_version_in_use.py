"""Lambda refuses to delete a version an alias routes to.

AWS behaviour (Lambda API reference, DeleteFunction,
https://docs.aws.amazon.com/lambda/latest/api/API_DeleteFunction.html: `Qualifier` "Specify a
version to delete. You can't delete a version that an alias references.", error
`ResourceConflictException`, HTTP 409): DeleteFunction(FunctionName, Qualifier=N) while an alias
points at N, as its FunctionVersion or in its RoutingConfig's AdditionalVersionWeights, fails with
"Unable to delete version because the following aliases reference it: [live]" and the version
stays; once no alias routes to it, it is deleted.
"""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function

IN_USE = "Unable to delete version because the following aliases reference it: [live]"


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    create_function(clients)
    client = clients.client("lambda")
    client.publish_version(FunctionName="fn")
    client.update_function_code(FunctionName="fn", ZipFile=code("v = 2\n"))
    client.publish_version(FunctionName="fn")
    return client


def _versions(lam: Any) -> list[str]:
    return [v["Version"] for v in lam.list_versions_by_function(FunctionName="fn")["Versions"]]


def _conflict(lam: Any, qualifier: str) -> tuple[str, str, int]:
    with pytest.raises(ClientError) as caught:
        lam.delete_function(FunctionName="fn", Qualifier=qualifier)
    response = caught.value.response
    return (
        response["Error"]["Code"],
        response["Error"]["Message"],
        response["ResponseMetadata"]["HTTPStatusCode"],
    )


def test_the_version_an_alias_points_at_cannot_be_deleted(lam: Any) -> None:
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")

    assert _conflict(lam, "1") == ("ResourceConflictException", IN_USE, 409)
    assert _versions(lam) == ["$LATEST", "1", "2"]


def test_a_version_weighted_in_the_routing_config_cannot_be_deleted(lam: Any) -> None:
    lam.create_alias(
        FunctionName="fn",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 0.1}},
    )

    assert _conflict(lam, "2") == ("ResourceConflictException", IN_USE, 409)
    assert _versions(lam) == ["$LATEST", "1", "2"]


def test_a_version_no_alias_routes_to_is_deleted(lam: Any) -> None:
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="2")

    lam.delete_function(FunctionName="fn", Qualifier="1")

    assert _versions(lam) == ["$LATEST", "2"]


def test_once_the_alias_moves_away_the_version_can_go(lam: Any) -> None:
    lam.create_alias(FunctionName="fn", Name="live", FunctionVersion="1")
    lam.update_alias(FunctionName="fn", Name="live", FunctionVersion="2")

    lam.delete_function(FunctionName="fn", Qualifier="1")

    assert _versions(lam) == ["$LATEST", "2"]
