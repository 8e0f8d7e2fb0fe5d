"""An HTTP API answers HTTP: stage → route → integration → the alias's code, payload format 2.0.

AWS behaviour (API Gateway developer guide): "Routing API requests" (in "Create routes for HTTP
APIs") picks the stage, then the most specific route: a full match of method and path, then a
greedy `{proxy+}`, then `$default`, else 404 `{"message":"Not Found"}`. "Create AWS Lambda proxy
integrations for HTTP APIs" gives the payload format 2.0 event (lowercased headers, repeats joined
with commas, `cookies`, decoded `pathParameters` and `queryStringParameters`, a body that is text
for JSON and text types and base64 otherwise) and the response rules: `statusCode`, `headers`,
`cookies` (one `set-cookie` each), `body`, `isBase64Encoded`; an answer without `statusCode` is a
200 `application/json` with that answer as the body; a function error is a 500 `{"message":
"Internal Server Error"}`.
"""

from __future__ import annotations

import base64
import http.client
import json
import urllib.request
from dataclasses import dataclass
from typing import Any
from urllib.error import HTTPError
from urllib.parse import urlsplit

import pytest

from tests.conftest import LocalAwsHandle
from twophase.build.detzip import Entry, build_zip
from twophase.local.execute_api import api_url, local_url

ECHO = """
import json

def handler(event, context):
    spec = json.loads(event["body"]) if event.get("body") and not event["isBase64Encoded"] else {}
    if spec.get("answer") == "raise":
        raise RuntimeError("the code failed")
    if "answer" in spec:
        return spec["answer"]
    return {
        "statusCode": 201,
        "headers": {"content-type": "application/json", "x-release": "RELEASE"},
        "cookies": ["a=1; Path=/", "b=2"],
        "body": json.dumps({"event": event, "version": context.function_version}),
    }
"""
ROUTES = ["GET /pets/dog/1", "GET /pets/dog/{id}", "GET /pets/{proxy+}", "ANY /{proxy+}"]


@dataclass
class Answer:
    status: int
    headers: Any  # http.client.HTTPMessage
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def call(url: str, method: str = "GET", body: bytes | None = None, **headers: str) -> Answer:
    request = urllib.request.Request(url, data=body, method=method)
    for name, value in headers.items():
        request.add_header(name.replace("_", "-"), value)
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return Answer(reply.status, reply.headers, reply.read())
    except HTTPError as error:
        return Answer(error.code, error.headers, error.read())


def code(release: int) -> bytes:
    return build_zip([Entry("app.py", ECHO.replace("RELEASE", str(release)).encode())])


class HttpApi:
    """A function `shop-api` with alias `live`, behind an HTTP API with the given routes."""

    def __init__(self, aws: LocalAwsHandle, routes: list[str], stages: tuple[str, ...]) -> None:
        clients = aws.clients()
        self.lam, apigw = clients.client("lambda"), clients.client("apigatewayv2")
        role = clients.client("iam").create_role(
            RoleName="api-role",
            AssumeRolePolicyDocument=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "lambda.amazonaws.com"},
                            "Action": "sts:AssumeRole",
                        }
                    ],
                }
            ),
        )["Role"]["Arn"]
        self.lam.create_function(
            FunctionName="shop-api",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code(1)},
        )
        self.lam.publish_version(FunctionName="shop-api")
        alias = self.lam.create_alias(FunctionName="shop-api", Name="live", FunctionVersion="1")
        self.api_id = apigw.create_api(Name="shop", ProtocolType="HTTP")["ApiId"]
        integration = apigw.create_integration(
            ApiId=self.api_id,
            IntegrationType="AWS_PROXY",
            IntegrationUri=alias["AliasArn"],
            PayloadFormatVersion="2.0",
        )["IntegrationId"]
        for route in routes:
            apigw.create_route(
                ApiId=self.api_id, RouteKey=route, Target=f"integrations/{integration}"
            )
        for stage in stages:
            apigw.create_stage(ApiId=self.api_id, StageName=stage, AutoDeploy=True)
        self.url = api_url(aws.endpoint_url, self.api_id)


@pytest.fixture
def api(local_aws: LocalAwsHandle) -> HttpApi:
    return HttpApi(local_aws, [*ROUTES, "$default"], ("$default",))


def test_a_request_reaches_the_alias_code_with_a_payload_2_event(api: HttpApi) -> None:
    answer = call(
        f"{api.url}/pets/dog/my%20dog?status=open&status=paid&q=",
        Cookie="session=3f9c; theme=dark",
        X_Custom="one",
    )

    assert answer.status == 201
    assert answer.headers["content-type"] == "application/json"
    assert answer.headers["x-release"] == "1"
    assert answer.headers.get_all("set-cookie") == ["a=1; Path=/", "b=2"]
    assert answer.headers["apigw-requestid"]
    got = answer.json()
    assert got["version"] == "1"  # the alias's version ran
    event = got["event"]
    assert (event["version"], event["routeKey"]) == ("2.0", "GET /pets/dog/{id}")
    assert (event["rawPath"], event["rawQueryString"]) == (
        "/pets/dog/my%20dog",
        "status=open&status=paid&q=",
    )
    assert event["pathParameters"] == {"id": "my dog"}
    assert event["queryStringParameters"] == {"status": "open,paid", "q": ""}
    assert event["cookies"] == ["session=3f9c", "theme=dark"]
    assert event["headers"]["x-custom"] == "one" and "cookie" not in event["headers"]
    assert event["headers"]["x-forwarded-for"] == "127.0.0.1"
    context = event["requestContext"]
    assert (context["apiId"], context["stage"], context["routeKey"]) == (
        api.api_id,
        "$default",
        "GET /pets/dog/{id}",
    )
    assert context["accountId"] == "123456789012"
    assert context["domainName"] == f"{api.api_id}.execute-api.us-east-1.amazonaws.com"
    assert context["http"]["method"] == "GET" and context["http"]["path"] == "/pets/dog/my dog"
    assert context["requestId"] == answer.headers["apigw-requestid"]
    assert "body" not in event and event["isBase64Encoded"] is False


def test_moving_the_alias_moves_what_the_api_serves(api: HttpApi) -> None:
    api.lam.update_function_code(FunctionName="shop-api", ZipFile=code(2))
    assert call(f"{api.url}/pets/dog/1").headers["x-release"] == "1"  # $LATEST is not served

    api.lam.publish_version(FunctionName="shop-api")
    api.lam.update_alias(FunctionName="shop-api", Name="live", FunctionVersion="2")

    assert call(f"{api.url}/pets/dog/1").headers["x-release"] == "2"


# (method, path) → (route, path parameters): the example table of "Routing API requests", then a
# greedy variable taking one segment or more, and what nothing else takes going to $default.
ROUTING = {
    ("GET", "/pets/dog/1"): ("GET /pets/dog/1", None),
    ("GET", "/pets/dog/2"): ("GET /pets/dog/{id}", {"id": "2"}),
    ("GET", "/pets/cat/1"): ("GET /pets/{proxy+}", {"proxy": "cat/1"}),
    ("POST", "/test/5"): ("ANY /{proxy+}", {"proxy": "test/5"}),
    ("GET", "/pets"): ("ANY /{proxy+}", {"proxy": "pets"}),
    ("DELETE", "/pets/dog/1"): ("ANY /{proxy+}", {"proxy": "pets/dog/1"}),
    ("GET", "/"): ("$default", None),
}


def test_the_most_specific_route_wins(api: HttpApi) -> None:
    got = {}
    for method, path in ROUTING:
        answer = call(f"{api.url}{path}", method)
        assert answer.status == 201, answer.body
        event = answer.json()["event"]
        got[method, path] = (event["routeKey"], event.get("pathParameters"))

    assert got == ROUTING


def test_no_route_no_stage_or_no_api_is_not_found(local_aws: LocalAwsHandle) -> None:
    api = HttpApi(local_aws, ["GET /health"], ("$default",))
    for url in (f"{api.url}/nope", f"{api.url}/health/", api_url(local_aws.endpoint_url, "zz")):
        answer = call(url)
        assert (answer.status, answer.json()) == (404, {"message": "Not Found"}), url
        assert answer.headers["content-type"] == "application/json"
    assert call(f"{api.url}/health", "POST").status == 404  # the route is GET only


def test_a_named_stage_is_the_first_path_segment(local_aws: LocalAwsHandle) -> None:
    api = HttpApi(local_aws, ["GET /pets/dog/{id}"], ("prod",))

    event = call(f"{api.url}/prod/pets/dog/7").json()["event"]

    assert (event["requestContext"]["stage"], event["pathParameters"]) == ("prod", {"id": "7"})
    assert event["rawPath"] == "/prod/pets/dog/7"
    assert call(f"{api.url}/pets/dog/7").status == 404  # no $default stage


# Content-Type → whether the body reaches the function as text (else base64).
BODY_AS_TEXT = {
    "application/json": True,
    "text/plain; charset=utf-8": True,
    "application/x-www-form-urlencoded": False,  # what `curl -d` sends
    "application/octet-stream": False,
}


def test_a_body_is_text_for_text_types_and_base64_otherwise(api: HttpApi) -> None:
    sent = b'{"sku": "A-1", "qty": 2}'
    got = {}
    for content_type in BODY_AS_TEXT:
        answer = call(f"{api.url}/orders", "POST", sent, Content_Type=content_type)
        event = answer.json()["event"]
        assert event["headers"]["content-type"] == content_type
        text = not event["isBase64Encoded"]
        got[content_type] = text
        assert event["body"] == (sent.decode() if text else base64.b64encode(sent).decode())

    assert got == BODY_AS_TEXT


INTERNAL_ERROR = (500, "application/json", b'{"message":"Internal Server Error"}')
# What the function answers → (status, content-type, body) of the response.
ANSWERS: list[tuple[Any, tuple[int, str, bytes]]] = [
    ("hello", (200, "application/json", b"hello")),
    ({"order": 1}, (200, "application/json", b'{"order": 1}')),
    ([1, 2], (200, "application/json", b"[1, 2]")),
    ({"statusCode": 204}, (204, "text/plain; charset=utf-8", b"")),
    (
        {
            "statusCode": 200,
            "body": base64.b64encode(b"\x89PNG").decode(),
            "isBase64Encoded": True,
            "headers": {"Content-Type": "image/png"},
        },
        (200, "image/png", b"\x89PNG"),
    ),
    ("raise", INTERNAL_ERROR),
    ({"statusCode": "abc"}, INTERNAL_ERROR),
    ({"statusCode": 200, "body": {"not": "a string"}}, INTERNAL_ERROR),
]


def test_the_answer_becomes_the_response(api: HttpApi) -> None:
    got = []
    for answer, _ in ANSWERS:
        sent = json.dumps({"answer": answer}).encode()
        reply = call(f"{api.url}/orders", "POST", sent, Content_Type="application/json")
        got.append((answer, (reply.status, reply.headers["content-type"], reply.body)))

    assert got == ANSWERS


def test_the_host_names_the_api_as_well(api: HttpApi, local_aws: LocalAwsHandle) -> None:
    endpoint = urlsplit(local_aws.endpoint_url)
    conn = http.client.HTTPConnection(endpoint.hostname or "", endpoint.port, timeout=30)
    try:
        conn.request("GET", "/pets/dog/1", headers={"Host": f"{api.api_id}.execute-api.localhost"})
        reply = conn.getresponse()
        event = json.loads(reply.read())["event"]
    finally:
        conn.close()
    assert (reply.status, event["routeKey"]) == (201, "GET /pets/dog/1")


def test_the_url_cloudformation_reports_maps_to_the_local_one() -> None:
    local = "http://127.0.0.1:4566"
    aws = "https://abc123defg.execute-api.us-east-1.amazonaws.com"

    assert local_url(local, aws) == f"{local}/_aws/execute-api/abc123defg"
    assert local_url(local, aws + "/prod/x") == f"{local}/_aws/execute-api/abc123defg/prod/x"
    for other in ("arn:aws:lambda:us-east-1:1:function:f", "https://example.com/x", "shop-api"):
        assert local_url(local, other) == other
