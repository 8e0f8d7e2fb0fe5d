"""HTTP APIs answer HTTP requests: stage → route → integration → the Lambda alias's code.

AWS behaviour (API Gateway developer guide, "Routing API requests" in "Create routes for HTTP
APIs", and "Create AWS Lambda proxy integrations for HTTP APIs"): a request goes to the stage its
first path segment names, else to the `$default` stage, else it is a 404 `{"message":"Not
Found"}`. In the stage, the route with the most specific match wins: a full match of method and
path (`{param}` matches one segment; a static segment beats a parameter; a route's own method
beats `ANY`), then a match with a greedy `{proxy+}` (one or more segments; the longest prefix
wins), then the `$default` route; no match is a 404 `{"message":"Not Found"}`. Path parameters
reach the function decoded. The route's `AWS_PROXY` integration invokes the function its
`IntegrationUri` names (here: the serving alias, so the alias's version runs, weights honoured)
with the payload format 2.0 event, and the answer becomes the response (see `_http_api_payload`):
a function error is a 500 `{"message":"Internal Server Error"}`, an integration that outlasts its
timeout (30 s by default) a 503 `{"message":"Service Unavailable"}`. An API whose execute-api
endpoint is disabled answers 403 `{"message":"Forbidden"}`.

moto 5.2.5 models HTTP APIs but serves none of them. Here they answer on the embedded AWS's own
port at `/_aws/execute-api/<api-id>/…` (or with the Host `<api-id>.execute-api.localhost`; see
`twophase.local.execute_api`), without signing, as an API whose routes have no authorizer does.
Not modelled: authorizers, CORS, throttling, deployments (a stage serves the API's routes as they
are now, as with `AutoDeploy`), payload format 1.0 and HTTP integrations (they answer 500 with an
`x-twophase-error` header saying so), and Lambda's resource policy: the integration invokes the
function whether or not a permission lets API Gateway do so (moto keeps an alias's permissions on
the version it pointed to when they were added).
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from twophase.local.execute_api import host_api, split_path
from twophase.local.extensions._http_api_payload import (
    INTERNAL_ERROR,
    HttpRequest,
    HttpResponse,
    MalformedResponse,
    Target,
    error_response,
    event,
    request_id,
    response,
)

_MARK = "_twophase_execute_api"
_PARAM = re.compile(r"\{([^{}+]+)\}")
_GREEDY = re.compile(r"\{([^{}+]+)\+\}")
_FUNCTION_ARN = re.compile(
    r"arn:[^:/]+:lambda:([^:/]+):(\d{12}):function:[^/]+?(?=/invocations$|$)"
)
DEFAULT = "$default"

StartResponse = Callable[..., Any]


@dataclass(frozen=True)
class RouteMatch:
    route: Any  # moto's Route
    parameters: dict[str, str]


def match_route(routes: Iterable[Any], method: str, path: str) -> RouteMatch | None:
    """The route a request for `method path` (a raw, percent-encoded path) selects, or None."""
    segments = [unquote(s) for s in path.split("/")[1:]]
    best: tuple[tuple[Any, ...], RouteMatch] | None = None
    for route in routes:
        found = _rank(route.route_key, method, segments)
        if found is not None and (best is None or found[0] < best[0]):
            best = (found[0], RouteMatch(route, found[1]))
    return best[1] if best else None


def _rank(
    key: str, method: str, segments: list[str]
) -> tuple[tuple[Any, ...], dict[str, str]] | None:
    """(rank, path parameters) when route `key` matches; the lowest rank is the most specific."""
    if key == DEFAULT:
        return (2,), {}
    route_method, _, template = key.partition(" ")
    if route_method not in (method, "ANY") or not template.startswith("/"):
        return None
    parts = template.split("/")[1:]
    parameters: dict[str, str] = {}
    for index, part in enumerate(parts):
        greedy = _GREEDY.fullmatch(part)
        if greedy is not None:
            rest = segments[index:]
            if not any(rest):
                return None
            parameters[greedy[1]] = "/".join(rest)
            return (1, -index, _kinds(parts[:index]), route_method == "ANY"), parameters
        if index >= len(segments):
            return None
        param = _PARAM.fullmatch(part)
        if param is not None and segments[index]:
            parameters[param[1]] = segments[index]
        elif part != segments[index]:
            return None
    if len(parts) != len(segments):
        return None
    return (0, 0, _kinds(parts), route_method == "ANY"), parameters


def _kinds(parts: list[str]) -> tuple[bool, ...]:
    """Per segment, whether it is a parameter: static segments sort first."""
    return tuple(_PARAM.fullmatch(p) is not None for p in parts)


def find_api(api_id: str) -> Any:
    """The HTTP API with this id, in whichever account and region holds it (None: none does)."""
    from moto.apigatewayv2.models import apigatewayv2_backends

    for _account, _region, backend in list(apigatewayv2_backends.iter_backends()):
        api = backend.apis.get(api_id)  # type: ignore[attr-defined]
        if api is not None and api.protocol_type == "HTTP":
            return api
    return None


def _stage(api: Any, raw_path: str) -> tuple[Any, str] | None:
    """The stage the request reaches and the path inside it."""
    first, slash, rest = raw_path[1:].partition("/")
    named = api.stages.get(unquote(first))
    if named is not None and named.name != DEFAULT:
        return named, slash + rest or "/"
    default = api.stages.get(DEFAULT)
    return (default, raw_path) if default is not None else None


def serve(api_id: str, request: HttpRequest, endpoint_host: str) -> HttpResponse:
    """Answer `request` for API `api_id` as API Gateway would."""
    rid = request_id()
    api = find_api(api_id)
    if api is None:
        return error_response(404, "Not Found", rid)
    if api.disable_execute_api_endpoint:
        return error_response(403, "Forbidden", rid)
    staged = _stage(api, request.raw_path)
    if staged is None:
        return error_response(404, "Not Found", rid)
    stage, path = staged
    matched = match_route(list(api.routes.values()), request.method, path)
    integration_id = (matched.route.target or "").removeprefix("integrations/") if matched else ""
    integration = api.integrations.get(integration_id)
    if matched is None or integration is None:
        return error_response(404, "Not Found", rid)
    target = Target(
        account_id=api.backend.account_id,
        region=api.backend.region_name,
        api_id=api.api_id,
        stage=stage.name,
        route_key=matched.route.route_key,
        path_parameters=matched.parameters,
        stage_variables=dict(stage.stage_variables or {}),
    )
    return _integrate(integration, request, target, rid, endpoint_host)


def _integrate(
    integration: Any, request: HttpRequest, target: Target, rid: str, endpoint_host: str
) -> HttpResponse:
    uri = str(integration.integration_uri or "")
    function = _FUNCTION_ARN.search(uri)
    if integration.integration_type != "AWS_PROXY" or function is None:
        return _failed(rid, f"integration {integration.integration_type} {uri} is not served")
    if str(integration.payload_format_version or "1.0") != "2.0":
        return _failed(rid, "payload format 1.0 is not served by the embedded AWS")
    from moto.awslambda.models import lambda_backends

    region, account = function.group(1), function.group(2)
    payload = json.dumps(event(request, target, rid)).encode()
    answer: dict[str, Any] = {}
    started = time.monotonic()
    try:
        result = lambda_backends[account][region].invoke(
            function.group(0), None, payload, {"Host": endpoint_host}, answer
        )
    except Exception as exc:  # any failure to invoke is API Gateway's 500
        return _failed(rid, f"{function.group(0)}: {getattr(exc, 'message', None) or exc}")
    timeout = (integration.timeout_in_millis or 30000) / 1000
    if time.monotonic() - started > timeout:
        return error_response(503, "Service Unavailable", rid)
    if answer.get("x-amz-function-error"):
        return error_response(500, INTERNAL_ERROR, rid)
    try:
        return response(result.encode() if isinstance(result, str) else bytes(result or b""), rid)
    except MalformedResponse as exc:
        return _failed(rid, f"malformed Lambda proxy response: {exc}")


def _failed(rid: str, reason: str) -> HttpResponse:
    return error_response(500, INTERNAL_ERROR, rid, x_twophase_error=reason.replace("\n", " "))


# -- the WSGI side ---------------------------------------------------------------------------------


def _address(environ: dict[str, Any]) -> tuple[str, str, str] | None:
    """(api id, raw path inside the API, raw query) when the request is for an HTTP API."""
    raw = urlsplit(str(environ.get("RAW_URI") or environ.get("PATH_INFO") or "/"))
    from_path = split_path(raw.path)
    if from_path is not None:
        return from_path[0], from_path[1], raw.query
    api_id = host_api(str(environ.get("HTTP_HOST", "")))
    return (api_id, raw.path or "/", raw.query) if api_id else None


def _request(environ: dict[str, Any], raw_path: str, raw_query: str) -> HttpRequest:
    from werkzeug.wrappers import Request

    incoming = Request(environ)
    return HttpRequest(
        method=incoming.method.upper(),
        raw_path=raw_path,
        raw_query=raw_query,
        headers=tuple((str(k), str(v)) for k, v in incoming.headers.items()),
        body=incoming.get_data(),
        source_ip=str(environ.get("REMOTE_ADDR", "127.0.0.1")),
        protocol=str(environ.get("SERVER_PROTOCOL", "HTTP/1.1")),
    )


def wsgi_answer(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes] | None:
    """Serve the request when it is for an HTTP API; None lets moto handle it."""
    address = _address(environ)
    if address is None:
        return None
    from werkzeug.wrappers import Response

    api_id, raw_path, raw_query = address
    host = f"{environ.get('SERVER_NAME', '127.0.0.1')}:{environ.get('SERVER_PORT', '80')}"
    answer = serve(api_id, _request(environ, raw_path, raw_query), host)
    reply = Response(answer.body, status=answer.status, headers=list(answer.headers))
    return reply(environ, start_response)


def install() -> None:
    from moto.moto_server.werkzeug_app import DomainDispatcherApplication

    if getattr(DomainDispatcherApplication, _MARK, False):
        return
    original = DomainDispatcherApplication.__call__

    def dispatch(self: Any, environ: dict[str, Any], start_response: StartResponse) -> Any:
        served = wsgi_answer(environ, start_response)
        return original(self, environ, start_response) if served is None else served

    setattr(DomainDispatcherApplication, "__call__", dispatch)  # noqa: B010
    setattr(DomainDispatcherApplication, _MARK, True)
