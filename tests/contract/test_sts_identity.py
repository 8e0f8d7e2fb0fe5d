"""The caller's identity against botocore's Stubber: asked once per access key, then cached."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import boto3
import pytest
from botocore.stub import Stubber

from twophase.aws.identity import CACHE_NAME, CallerIdentity
from twophase.aws.session import Clients, Target
from twophase.errors import CredentialsError

if TYPE_CHECKING:
    from mypy_boto3_sts.client import STSClient

ARN = "arn:aws:iam::123456789012:user/ana"
ANSWER = {"Account": "123456789012", "Arn": ARN, "UserId": "AIDAEXAMPLE"}


def sts() -> tuple[STSClient, Stubber]:
    client = boto3.client(
        "sts", region_name="eu-west-1", aws_access_key_id="k", aws_secret_access_key="s"
    )
    return client, Stubber(client)


def test_the_first_run_asks_sts_and_later_runs_with_the_same_key_do_not(tmp_path: Path) -> None:
    client, stub = sts()
    stub.add_response("get_caller_identity", ANSWER, {})
    with stub:
        assert CallerIdentity(client, lambda: "aws\0AKIAONE", tmp_path).arn() == ARN
        # A new run (a new object), same endpoint and key: the Stubber has nothing left to answer.
        assert CallerIdentity(client, lambda: "aws\0AKIAONE", tmp_path).arn() == ARN
    stub.assert_no_pending_responses()
    assert "AKIAONE" not in (tmp_path / CACHE_NAME).read_text()


def test_another_key_or_endpoint_asks_again(tmp_path: Path) -> None:
    client, stub = sts()
    other = {**ANSWER, "Arn": "arn:aws:iam::123456789012:user/bo"}
    stub.add_response("get_caller_identity", ANSWER, {})
    stub.add_response("get_caller_identity", other, {})
    stub.add_response("get_caller_identity", ANSWER, {})
    with stub:
        assert CallerIdentity(client, lambda: "aws\0AKIAONE", tmp_path).arn() == ARN
        assert CallerIdentity(client, lambda: "aws\0AKIATWO", tmp_path).arn() == other["Arn"]
        assert CallerIdentity(client, lambda: "http://x\0AKIAONE", tmp_path).arn() == ARN
        assert CallerIdentity(client, lambda: "aws\0AKIATWO", tmp_path).arn() == other["Arn"]
    stub.assert_no_pending_responses()


def test_one_run_asks_once_even_without_a_cache(tmp_path: Path) -> None:
    client, stub = sts()
    stub.add_response("get_caller_identity", ANSWER, {})
    stub.add_response("get_caller_identity", ANSWER, {})
    identity = CallerIdentity(client, lambda: None, tmp_path)
    with stub:
        assert identity.arn() == identity.arn() == ARN
    assert not (tmp_path / CACHE_NAME).exists()
    with pytest.raises(AssertionError):
        stub.assert_no_pending_responses()  # the second answer was never needed


@pytest.mark.parametrize("damage", ["{not json", "[1, 2]", json.dumps({"x": 5})])
def test_a_damaged_cache_means_asking_again(tmp_path: Path, damage: str) -> None:
    (tmp_path / CACHE_NAME).write_text(damage)
    client, stub = sts()
    stub.add_response("get_caller_identity", ANSWER, {})
    with stub:
        assert CallerIdentity(client, lambda: "aws\0AKIAONE", tmp_path).arn() == ARN
    stub.assert_no_pending_responses()


def test_a_failure_is_one_error_and_nothing_is_cached(tmp_path: Path) -> None:
    client, stub = sts()
    stub.add_client_error("get_caller_identity", service_error_code="ExpiredToken")
    with stub, pytest.raises(CredentialsError, match="ExpiredToken"):
        CallerIdentity(client, lambda: "aws\0AKIAONE", tmp_path).arn()
    assert not (tmp_path / CACHE_NAME).exists()


def test_the_credential_key_names_the_endpoint_and_the_access_key() -> None:
    local = Clients(
        Target("us-east-1", endpoint_url="http://127.0.0.1:4566", access_key="AK", secret_key="s")
    )

    assert local.credential_key() == "http://127.0.0.1:4566\0AK"


def test_an_unknown_profile_is_a_credentials_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "config").write_text("[profile known]\nregion = eu-west-1\n")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "credentials"))

    with pytest.raises(CredentialsError, match="'missing' not found"):
        Clients(Target("eu-west-1", profile="missing")).client("lambda")
    monkeypatch.setenv("AWS_PROFILE", "gone")
    with pytest.raises(CredentialsError, match="'gone' not found"):
        Clients(Target("eu-west-1")).client("lambda")
    assert Clients(Target("eu-west-1", profile="known")).client("lambda").meta.region_name == (
        "eu-west-1"
    )
