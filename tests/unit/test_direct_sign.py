"""The direct reads' SigV4 signature is the one botocore's `SigV4Auth` computes for the same
request, so AWS accepts it wherever it accepts boto3's.

Reference: "Create a signed AWS API request",
https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pytest
from botocore.auth import SigV4Auth
from botocore.awsrequest import AWSRequest
from botocore.credentials import Credentials as BotoCredentials

from twophase.aws.direct_sign import Credentials, encode_query, encode_segment, signed_headers

NOW = datetime.datetime(2024, 2, 29, 23, 59, 58, tzinfo=datetime.UTC)
AMZ_DATE = "20240229T235958Z"
KEYS = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY")
TEMPORARY = Credentials("ASIAEXAMPLE", "secret/with+chars=", "FwoGZXIvYXdzE//token+with/=chars")
FUNCTION_ARN = "arn:aws:lambda:eu-west-1:123456789012:function:my-fn"
FORM = "application/x-www-form-urlencoded; charset=utf-8"


@dataclass(frozen=True)
class Case:
    """One request to sign: `url` carries the path and query exactly as sent."""

    method: str
    url: str
    service: str = "lambda"
    region: str = "eu-west-1"
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def lambda_url(function: str, collection: str, query: list[tuple[str, str]]) -> str:
    path = f"/2015-03-31/functions/{encode_segment(function)}/{collection}"
    encoded = encode_query(query)
    return f"https://lambda.eu-west-1.amazonaws.com{path}" + (f"?{encoded}" if encoded else "")


CASES = {
    "get-without-query": Case("GET", lambda_url("fn", "aliases", [])),
    "get-query-sorted-and-encoded": Case(
        "GET",
        lambda_url(
            "fn",
            "versions",
            [("MaxItems", "1"), ("Marker", "a/b+c=d:e f~g"), ("FunctionVersion", "$LATEST")],
        ),
    ),
    "function-arn-in-path": Case("GET", lambda_url(FUNCTION_ARN, "aliases", [("Marker", "x:y/z")])),
    "post-form-body": Case(
        "POST",
        "https://cloudformation.us-east-1.amazonaws.com/",
        service="cloudformation",
        region="us-east-1",
        body=encode_query(
            [("Action", "GetTemplate"), ("Version", "2010-05-15"), ("StackName", "app dev/1")]
        ).encode(),
        headers={"Content-Type": FORM},
    ),
    "host-with-port": Case(
        "GET",
        "http://127.0.0.1:4566/2015-03-31/functions/fn/aliases?MaxItems=2",
        region="us-east-1",
    ),
    "header-values-with-runs-of-spaces": Case(
        "POST",
        "http://127.0.0.1:4566/",
        service="cloudformation",
        region="us-east-1",
        body=b"Action=GetTemplate&Version=2010-05-15&StackName=s",
        headers={"Content-Type": f"  {FORM.replace(' ', '   ')}  ", "X-Amz-Meta-Note": "a    b"},
    ),
}


@pytest.fixture(autouse=True)
def frozen_time(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("botocore.auth.get_current_datetime", lambda: NOW)


def direct(case: Case, keys: Credentials) -> dict[str, str]:
    parts = urlsplit(case.url)
    return signed_headers(
        method=case.method,
        host=parts.netloc,
        path=parts.path,
        query=parts.query,
        body=case.body,
        headers=case.headers,
        credentials=keys,
        region=case.region,
        service=case.service,
        amz_date=AMZ_DATE,
    )


def botocore_signed(case: Case, keys: Credentials) -> dict[str, str]:
    request = AWSRequest(
        method=case.method, url=case.url, headers=dict(case.headers), data=case.body
    )
    boto_keys = BotoCredentials(keys.access_key, keys.secret_key, keys.token)
    SigV4Auth(boto_keys, case.service, case.region).add_auth(request)
    return dict(request.headers.items())


@pytest.mark.parametrize("keys", [KEYS, TEMPORARY], ids=["static-keys", "session-token"])
@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_signature_equals_botocores(case: Case, keys: Credentials) -> None:
    ours, theirs = direct(case, keys), botocore_signed(case, keys)

    assert ours["Authorization"] == theirs["Authorization"]
    assert ours["X-Amz-Date"] == theirs["X-Amz-Date"] == AMZ_DATE
    assert ours.get("X-Amz-Security-Token") == theirs.get("X-Amz-Security-Token") == keys.token
    assert (
        f"Credential={keys.access_key}/20240229/{case.region}/{case.service}/"
        in (ours["Authorization"])
    )


def test_the_host_header_is_the_one_given_port_included() -> None:
    """Signed as sent: the endpoint's host and, where it has one, its port."""
    assert direct(CASES["host-with-port"], KEYS)["Host"] == "127.0.0.1:4566"
    assert direct(CASES["get-without-query"], KEYS)["Host"] == "lambda.eu-west-1.amazonaws.com"


def test_a_function_arn_is_encoded_once_on_the_wire() -> None:
    """Lambda's path parameter is percent-encoded on the wire (`:` is `%3A`). SigV4 for every
    service but S3 encodes the path once more in the canonical request (`%253A`): that is held
    by the `function-arn-in-path` case of test_signature_equals_botocores."""
    assert encode_segment(FUNCTION_ARN) == FUNCTION_ARN.replace(":", "%3A")
    assert "%3A" in CASES["function-arn-in-path"].url


def test_query_encoding_is_botocores_for_lambda_markers() -> None:
    from botocore.utils import percent_encode_sequence

    pairs = [("Marker", "a/b+c=d:e f~g"), ("MaxItems", "50")]
    assert encode_query(pairs) == percent_encode_sequence(dict(pairs))


def test_a_different_secret_changes_the_signature() -> None:
    case = CASES["get-query-sorted-and-encoded"]
    other = Credentials(KEYS.access_key, KEYS.secret_key + "x")

    one, two = direct(case, KEYS)["Authorization"], direct(case, other)["Authorization"]

    assert one != two
    assert one.split("Signature=")[0] == two.split("Signature=")[0]


def test_a_different_time_changes_the_signature() -> None:
    case = CASES["get-without-query"]
    later = signed_headers(
        method="GET",
        host="lambda.eu-west-1.amazonaws.com",
        path=urlsplit(case.url).path,
        query="",
        body=b"",
        headers={},
        credentials=KEYS,
        region="eu-west-1",
        service="lambda",
        amz_date="20240229T235959Z",
    )
    assert later["Authorization"] != direct(case, KEYS)["Authorization"]


def test_the_user_agent_is_sent_unsigned_as_botocore_does() -> None:
    """botocore leaves User-Agent (and hop-by-hop headers) out of the signature: it may be
    rewritten on the way, and the embedded AWS re-signs requests with botocore to check them."""
    case = Case(
        "GET",
        lambda_url("fn", "aliases", []),
        headers={"User-Agent": "twophase/1.0", "X-Amzn-Trace-Id": "Root=1-0"},
    )

    ours, theirs = direct(case, KEYS), botocore_signed(case, KEYS)

    assert ours["User-Agent"] == "twophase/1.0"
    assert ours["Authorization"] == theirs["Authorization"]
