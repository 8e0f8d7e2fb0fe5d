"""API Gateway HTTP API payload format 2.0: the event a Lambda proxy integration gets, and how the
function's answer becomes the HTTP response. Used by `apigatewayv2_execute_api`.

AWS behaviour (API Gateway developer guide, "Create AWS Lambda proxy integrations for HTTP APIs"):

- the event has `version` "2.0", `routeKey`, `rawPath`, `rawQueryString`, `cookies` (every cookie
  of the `Cookie` headers; the header itself is left out), `headers` (names lowercased, repeated
  headers joined with commas), `queryStringParameters` (decoded, repeated names joined with
  commas), `requestContext` (`accountId`, `apiId`, `domainName`, `domainPrefix`, `http` with
  `method`, `path`, `protocol`, `sourceIp`, `userAgent`, `requestId`, `routeKey`, `stage`, `time`,
  `timeEpoch`), `pathParameters` (decoded), `stageVariables`, `body` and `isBase64Encoded`; a field
  with nothing to say is left out. The body is passed as text for `text/*`, `application/json`,
  `application/xml` and `application/javascript`, and base64-encoded for every other content type,
  `application/x-www-form-urlencoded` and a missing `Content-Type` included (what `curl -d` sends);
- the function may answer `{statusCode, headers, cookies, body, isBase64Encoded}`: each cookie
  becomes a `set-cookie` header, a base64 body is decoded (without a `content-type` header the
  response goes out as `text/plain; charset=utf-8`, as observed on AWS; the guide does not say);
  or it may answer any other JSON without
  a `statusCode`, and API Gateway assumes status 200, `content-type: application/json` and that
  JSON as the body (a string answer is the body itself);
- a function error, an answer that is not valid JSON, or a malformed response (a `statusCode` that
  is not an HTTP status, a `body` that is not a string) is a 500 `{"message":"Internal Server
  Error"}`.
"""

from __future__ import annotations

import base64
import binascii
import json
import secrets
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qsl, unquote

TEXT_TYPES = ("application/json", "application/xml", "application/javascript")
INTERNAL_ERROR = "Internal Server Error"


@dataclass(frozen=True)
class HttpRequest:
    """One request as the client sent it (after the API's base URL)."""

    method: str
    raw_path: str  # percent-encoded, as sent; with the stage for a stage other than $default
    raw_query: str
    headers: tuple[tuple[str, str], ...]
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"


@dataclass(frozen=True)
class Target:
    """What the request reached: the API, its stage, the route and the route's parameters."""

    account_id: str
    region: str
    api_id: str
    stage: str
    route_key: str
    path_parameters: dict[str, str] = field(default_factory=dict)
    stage_variables: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class HttpResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


def request_id() -> str:
    """An id shaped like API Gateway's (`apigw-requestid`)."""
    return base64.b64encode(secrets.token_bytes(12)).decode()[:15] + "="


def event(request: HttpRequest, target: Target, rid: str) -> dict[str, Any]:
    """The payload format 2.0 event for `request`."""
    now = datetime.now(UTC)
    headers, cookies = _headers(request)
    domain = f"{target.api_id}.execute-api.{target.region}.amazonaws.com"
    out: dict[str, Any] = {
        "version": "2.0",
        "routeKey": target.route_key,
        "rawPath": request.raw_path,
        "rawQueryString": request.raw_query,
    }
    if cookies:
        out["cookies"] = cookies
    out["headers"] = headers
    query = _joined(parse_qsl(request.raw_query, keep_blank_values=True))
    if query:
        out["queryStringParameters"] = query
    out["requestContext"] = {
        "accountId": target.account_id,
        "apiId": target.api_id,
        "domainName": domain,
        "domainPrefix": target.api_id,
        "http": {
            "method": request.method,
            "path": unquote(request.raw_path),
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": rid,
        "routeKey": target.route_key,
        "stage": target.stage,
        "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
        "timeEpoch": int(now.timestamp() * 1000),
    }
    if target.path_parameters:
        out["pathParameters"] = dict(target.path_parameters)
    if target.stage_variables:
        out["stageVariables"] = dict(target.stage_variables)
    if request.body:
        text = _is_text(headers.get("content-type", ""))
        out["body"] = request.body.decode() if text else base64.b64encode(request.body).decode()
        out["isBase64Encoded"] = not text
    else:
        out["isBase64Encoded"] = False
    return out


def _headers(request: HttpRequest) -> tuple[dict[str, str], list[str]]:
    """Lowercased headers (repeats joined with commas, as API Gateway does), and the cookies."""
    cookies: list[str] = []
    pairs: list[tuple[str, str]] = []
    for name, value in request.headers:
        if name.lower() == "cookie":
            cookies += [c.strip() for c in value.split(";") if c.strip()]
        else:
            pairs.append((name.lower(), value))
    headers = _joined(pairs)
    forwarded = headers.get("x-forwarded-for")
    headers["x-forwarded-for"] = (
        f"{forwarded}, {request.source_ip}" if forwarded else request.source_ip
    )
    headers.setdefault("x-forwarded-proto", "http")
    headers.setdefault("x-amzn-trace-id", f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)}")
    if request.body:
        headers.setdefault("content-length", str(len(request.body)))
    return headers, cookies


def _joined(pairs: list[tuple[str, str]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, value in pairs:
        out[name] = f"{out[name]},{value}" if name in out else value
    return out


def _is_text(content_type: str) -> bool:
    media = content_type.split(";", 1)[0].strip().lower()
    return media.startswith("text/") or media in TEXT_TYPES


# -- the function's answer → the HTTP response ----------------------------------------------------


def error_response(status: int, message: str, rid: str, **extra: str) -> HttpResponse:
    """API Gateway's own answer: `{"message": …}` as JSON."""
    body = json.dumps({"message": message}, separators=(",", ":")).encode()
    headers = [("content-type", "application/json"), ("apigw-requestid", rid)]
    headers += [(name.replace("_", "-"), value) for name, value in extra.items()]
    return HttpResponse(status, tuple(headers), body)


class MalformedResponse(ValueError):
    """The function answered something API Gateway cannot turn into a response."""


def response(payload: bytes, rid: str) -> HttpResponse:
    """The HTTP response for a function's answer that is not an error (MalformedResponse else)."""
    try:
        answer = json.loads(payload)
    except ValueError as exc:
        raise MalformedResponse(f"the answer is not JSON: {exc}") from exc
    if not isinstance(answer, dict) or "statusCode" not in answer:
        body = answer.encode() if isinstance(answer, str) else payload
        return HttpResponse(
            200, (("content-type", "application/json"), ("apigw-requestid", rid)), body
        )
    return _shaped(answer, rid)


def _shaped(answer: dict[str, Any], rid: str) -> HttpResponse:
    status = answer["statusCode"]
    if isinstance(status, bool) or not isinstance(status, int) or not 100 <= status <= 599:
        raise MalformedResponse(f"statusCode {status!r} is not an HTTP status")
    body = answer.get("body")
    if body is not None and not isinstance(body, str):
        raise MalformedResponse(f"body is a {type(body).__name__}, not a string")
    headers = answer.get("headers") or {}
    cookies = answer.get("cookies") or []
    if not isinstance(headers, dict) or not isinstance(cookies, list):
        raise MalformedResponse("headers must be an object and cookies a list")
    data = (body or "").encode()
    if answer.get("isBase64Encoded") is True:
        try:
            data = base64.b64decode(data, validate=True)
        except binascii.Error as exc:
            raise MalformedResponse(f"body is not base64: {exc}") from exc
    out = [(str(name).lower(), _header_value(value)) for name, value in headers.items()]
    if not any(name == "content-type" for name, _ in out):
        out.append(("content-type", "text/plain; charset=utf-8"))
    out += [("set-cookie", str(cookie)) for cookie in cookies]
    out.append(("apigw-requestid", rid))
    return HttpResponse(status, tuple(out), data)


def _header_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)
