"""The one translation of AWS's refusals: botocore's ClientError and a direct read's ServiceError
become the same twophase error, with the same exit status and the AWS code kept reachable."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from twophase.aws.errors import ServiceError, aws_call, error_code, translate
from twophase.errors import (
    AccessDeniedError,
    AwsError,
    ConflictError,
    CredentialsError,
    NotFoundError,
    TwophaseError,
)

CASES = [
    ("AccessDeniedException", AccessDeniedError),
    ("ResourceNotFoundException", NotFoundError),
    ("PreconditionFailedException", ConflictError),
    ("ExpiredTokenException", CredentialsError),
    # Keys AWS does not know, or a secret that does not match them:
    # https://docs.aws.amazon.com/lambda/latest/api/CommonErrors.html
    ("UnrecognizedClientException", CredentialsError),
    ("InvalidSignatureException", CredentialsError),
    ("SignatureDoesNotMatch", CredentialsError),
    ("SomethingElse", AwsError),
]


@pytest.mark.parametrize(("code", "kind"), CASES)
def test_either_refusal_becomes_the_same_error(code: str, kind: type[TwophaseError]) -> None:
    boto = ClientError({"Error": {"Code": code, "Message": "said AWS"}}, "ListAliases")
    direct = ServiceError("ListAliases", 400, code, "said AWS")
    from_boto = translate(boto, "lambda:ListAliases", "shop-dev-api")
    from_direct = translate(direct, "lambda:ListAliases", "shop-dev-api")
    assert type(from_boto) is type(from_direct) is kind
    assert str(from_boto) == str(from_direct)
    assert from_boto.exit_status == from_direct.exit_status


def test_aws_call_translates_a_direct_refusal_and_keeps_its_code() -> None:
    with pytest.raises(NotFoundError) as info, aws_call("lambda:ListAliases", "shop-dev-api"):
        raise ServiceError("ListAliases", 404, "ResourceNotFoundException", "Function not found")
    assert error_code(info.value) == "ResourceNotFoundException"


def test_aws_call_lets_other_exceptions_through() -> None:
    with pytest.raises(KeyError), aws_call("lambda:ListAliases"):
        raise KeyError("not AWS's")
