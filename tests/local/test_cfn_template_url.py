"""AWS behaviour: a template over 51,200 bytes is read from the S3 object its TemplateURL names."""

from __future__ import annotations

import json

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._cfn import final_status
from twophase.local.extensions.cfn_template_url import object_at

# Over CloudFormation's 51,200-byte limit for TemplateBody.
LARGE = {
    "Metadata": {"Padding": "x" * 60_000},
    "Resources": {"Topic": {"Type": "AWS::SNS::Topic", "Properties": {"TopicName": "big"}}},
}


def test_a_large_template_is_read_from_the_embedded_s3_by_its_url(
    local_aws: LocalAwsHandle,
) -> None:
    clients = local_aws.clients()
    s3, cfn = clients.client("s3"), clients.client("cloudformation")
    s3.create_bucket(Bucket="artifacts")
    s3.put_object(Bucket="artifacts", Key="templates/big.json", Body=json.dumps(LARGE).encode())
    url = f"{local_aws.endpoint_url}/artifacts/templates/big.json"

    change_set = cfn.create_change_set(
        StackName="big", ChangeSetName="c1", ChangeSetType="CREATE", TemplateURL=url
    )
    cfn.execute_change_set(ChangeSetName=change_set["Id"], StackName="big")

    assert final_status(cfn, "big") == "CREATE_COMPLETE"
    assert [
        t["TopicArn"].rsplit(":", 1)[1] for t in clients.client("sns").list_topics()["Topics"]
    ] == ["big"]


def test_a_url_naming_no_object_is_a_validation_error(local_aws: LocalAwsHandle) -> None:
    from botocore.exceptions import ClientError

    cfn = local_aws.clients().client("cloudformation")
    url = f"{local_aws.endpoint_url}/nowhere/templates/missing.json"

    with pytest.raises(ClientError) as info:
        cfn.create_change_set(
            StackName="s", ChangeSetName="c1", ChangeSetType="CREATE", TemplateURL=url
        )
    assert info.value.response["Error"]["Code"] == "ValidationError"
    assert "s3://nowhere/templates/missing.json does not exist" in str(info.value)


@pytest.mark.parametrize(
    ("url", "where"),
    [
        ("http://127.0.0.1:4566/artifacts/templates/a.json", ("artifacts", "templates/a.json")),
        ("https://s3.eu-west-1.amazonaws.com/artifacts/a.json", None),
        ("https://artifacts.s3.eu-west-1.amazonaws.com/a.json", None),
        ("http://127.0.0.1:4566/artifacts", None),
        ("http://127.0.0.1:4566/artifacts/a%20b.json", ("artifacts", "a b.json")),
    ],
)
def test_only_urls_off_amazonaws_com_are_read_path_style(url: str, where: object) -> None:
    assert object_at(url) == where
