"""The artifact store against botocore's Stubber: which answers mean "upload it"."""

from __future__ import annotations

import boto3
import pytest
from botocore.stub import Stubber

from twophase.aws.s3_client import ArtifactStore
from twophase.errors import AwsError


def s3() -> tuple[ArtifactStore, Stubber]:
    client = boto3.client(
        "s3", region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    return ArtifactStore(client), Stubber(client)


@pytest.mark.parametrize("status", [404, 403])
def test_a_missing_key_or_one_the_caller_cannot_list_is_absent(status: int) -> None:
    store, stub = s3()
    stub.add_client_error(
        "head_object",
        service_error_code=str(status),
        http_status_code=status,
        expected_params={"Bucket": "b", "Key": "shop/dev/api/x.zip"},
    )
    with stub:
        assert store.exists("b", "shop/dev/api/x.zip") is False


def test_a_present_key_exists_and_other_errors_surface() -> None:
    store, stub = s3()
    stub.add_response("head_object", {}, {"Bucket": "b", "Key": "k"})
    stub.add_client_error("head_object", service_error_code="500", http_status_code=500)
    with stub:
        assert store.exists("b", "k") is True
        with pytest.raises(AwsError, match="s3:HeadObject"):
            store.exists("b", "k")


def test_put_bytes_sends_exactly_the_key_and_body() -> None:
    store, stub = s3()
    stub.add_response("put_object", {}, {"Bucket": "b", "Key": "dummies/x.zip", "Body": b"zip"})
    with stub:
        store.put_bytes("b", "dummies/x.zip", b"zip")
    stub.assert_no_pending_responses()
