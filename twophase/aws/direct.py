"""Reads without botocore: the Lambda and CloudFormation reads of `status` and `releases`, sent
by the standard library.

`twophase status` is run often and reads little, yet importing botocore and loading two
clients' service models took about 330 ms of its 550 ms. When `direct_target` finds the
target's credentials and endpoint plain, `Clients.reader` hands out these clients instead. Each
stands in for the boto3 client's methods that twophase's thin clients call: the same keyword
parameters, the same response shapes, pagination through `get_paginator`, a refusal raised with
the same `response["Error"]` as botocore's `ClientError`, and botocore's standard retries
(throttling, 5xx and broken connections, at most 6 attempts, jittered exponential backoff).
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any
from urllib.parse import urlsplit

from twophase import __version__
from twophase.aws.direct_credentials import DirectTarget
from twophase.aws.direct_http import Connection, ProtocolError
from twophase.aws.direct_sign import encode_query, encode_segment, signed_headers
from twophase.aws.errors import ServiceError
from twophase.aws.session import ATTEMPTS, CONNECT_TIMEOUT, READ_TIMEOUT
from twophase.errors import AwsError, UsageError

RETRIED_STATUS = frozenset({500, 502, 503, 504})
THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "TransactionInProgressException",
    }
)
USER_AGENT = f"twophase/{__version__}"


class Events:
    """The one client event twophase listens to: `before-call`, once per API call."""

    def __init__(self) -> None:
        self._handlers: list[Callable[..., None]] = []

    def register(self, event: str, handler: Callable[..., None]) -> None:
        if event != "before-call":
            raise ValueError(f"a direct client emits only before-call, not {event}")
        self._handlers.append(handler)

    def emit(self, operation: str) -> None:
        for handler in self._handlers:
            handler(operation_name=operation)


class Meta:
    def __init__(self, region: str) -> None:
        self.region_name = region
        self.events = Events()


class Transport:
    """Signed requests to one service's endpoint: a kept-alive connection per thread."""

    def __init__(
        self,
        target: DirectTarget,
        service: str,
        *,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.target = target
        self.service = service
        self.meta = Meta(target.region)
        parts = urlsplit(target.endpoint_of(service))
        self._https = parts.scheme == "https"
        self._netloc = parts.netloc
        self._host, self._port = parts.hostname or "", parts.port
        self._sleep = sleep
        self._local = threading.local()
        self._tls: Any = None
        self._tls_lock = threading.Lock()

    def send(
        self, operation: str, method: str, path: str, query: str = "", body: bytes = b""
    ) -> tuple[int, dict[str, str], bytes]:
        """Status, headers (lower-case names) and body of the call, retried as botocore would;
        a refusal is returned, not raised (the caller knows its protocol's error format)."""
        self.meta.events.emit(operation)
        for attempt in range(1, ATTEMPTS + 1):
            try:
                status, headers, data = self._once(method, path, query, body)
            except (OSError, ProtocolError) as exc:
                self._drop()
                if attempt == ATTEMPTS:
                    raise AwsError(
                        f"cannot reach the AWS endpoint {self._netloc} for {operation}: {exc}"
                    ) from exc
            else:
                if not self._retryable(status, headers, data) or attempt == ATTEMPTS:
                    return status, headers, data
            self._sleep(_retry_pause(attempt))
        raise AssertionError("unreachable: the last attempt returns or raises")

    def garbled(self, operation: str, reason: object) -> AwsError:
        """The error for a success answer that cannot be read (what a proxy or a captive
        portal in the way sends): botocore's `ResponseParserError`, in one line."""
        return AwsError(
            f"{operation}: the endpoint {self._netloc} answered something that is not AWS's "
            f"answer ({reason})",
            hint="check the network between you and AWS, or set TWOPHASE_DIRECT_READS=off",
        )

    def _once(
        self, method: str, path: str, query: str, body: bytes
    ) -> tuple[int, dict[str, str], bytes]:
        extra = {"User-Agent": USER_AGENT}
        if body:
            extra["Content-Type"] = "application/x-www-form-urlencoded; charset=utf-8"
        headers = signed_headers(
            method=method,
            host=self._netloc,
            path=path,
            query=query,
            body=body,
            headers=extra,
            credentials=self.target.credentials,
            region=self.target.region,
            service=self.service,
            amz_date=time.strftime("%Y%m%dT%H%M%SZ", time.gmtime()),
        )
        target = f"{path}?{query}" if query else path
        return self._connection().request(method, target, headers, body)

    def _retryable(self, status: int, headers: dict[str, str], data: bytes) -> bool:
        if status in RETRIED_STATUS or status == 429:
            return True
        return status >= 400 and error_code(headers, data) in THROTTLED

    def _connection(self) -> Connection:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is None:
            connection = Connection(
                self._host,
                self._port or (443 if self._https else 80),
                tls=self._context() if self._https else None,
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=READ_TIMEOUT,
            )
            self._local.connection = connection
        return connection

    def _context(self) -> Any:
        """One TLS context for every thread's connection (loading the CA bundle takes a while)."""
        with self._tls_lock:
            if self._tls is None:
                self._tls = _tls(self.target.ca_bundle)
            return self._tls

    def _drop(self) -> None:
        connection: Connection | None = getattr(self._local, "connection", None)
        if connection is not None:
            connection.close()
            self._local.connection = None


def _retry_pause(attempt: int) -> float:
    """botocore's standard pause after `attempt`: up to 2**(attempt-1) s, capped at 20 s, fully
    jittered. A loop rather than tenacity, which the writes retry with: importing tenacity takes
    longer than everything `status` imports for its reads."""
    from twophase.aws.polling import Backoff

    return Backoff(first=1.0, factor=2.0, cap=20.0, jitter=1.0).delay(attempt - 1)


def _without_nulls(members: dict[str, Any]) -> dict[str, Any]:
    """botocore leaves out a member AWS sends as null."""
    return {k: v for k, v in members.items() if v is not None}


def error_code(headers: dict[str, str], data: bytes) -> str:
    """The error code of a refusal in either protocol: Lambda's `X-Amzn-ErrorType` header or
    JSON body, or the query protocol's `<Error><Code>`."""
    return _typed(headers) or _error_fields(data)[0]


def _typed(headers: dict[str, str]) -> str:
    """The code in Lambda's `X-Amzn-ErrorType` header (`Code:URL`), '' without one."""
    return headers.get("x-amzn-errortype", "").split(":", 1)[0]


def _error_fields(data: bytes) -> tuple[str, str]:
    """(code, message) from a JSON or XML error body ('' where absent)."""
    text = data.decode("utf-8", "replace").strip()
    if text.startswith("{"):
        try:
            body = json.loads(text)
        except ValueError:
            return "", text
        code = str(body.get("__type") or body.get("code") or body.get("Code") or "")
        message = str(body.get("message") or body.get("Message") or "")
        return code.rsplit("#", 1)[-1], message
    if text.startswith("<"):
        try:
            elements = _xml_elements(data)
        except ValueError:
            return "", text
        return _first(elements, "Code"), _first(elements, "Message")
    return "", text


def _xml_elements(data: bytes) -> list[tuple[tuple[str, ...], str]]:
    """Each element of an XML document, in order of its end: the path of local names (namespaces
    dropped) from the root, and its text. expat directly, not ElementTree, which takes ten times
    as long to load; ValueError for what is not XML."""
    from xml.parsers import expat

    parser = expat.ParserCreate(namespace_separator="}")
    out: list[tuple[tuple[str, ...], str]] = []
    path: list[str] = []
    texts: list[list[str]] = []

    def start(name: str, attributes: object) -> None:
        path.append(name.rsplit("}", 1)[-1])
        texts.append([])

    def end(name: str) -> None:
        out.append((tuple(path), "".join(texts.pop())))
        path.pop()

    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = lambda text: texts[-1].append(text) if texts else None
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise ValueError(f"not XML: {exc}") from None
    return out


def _first(elements: list[tuple[tuple[str, ...], str]], name: str) -> str:
    return next((text for path, text in elements if path[-1] == name), "")


def refusal(operation: str, status: int, headers: dict[str, str], data: bytes) -> ServiceError:
    """The ServiceError for a refusal: its code (the status when AWS named none) and message."""
    code, message = _error_fields(data)
    code = _typed(headers) or code or str(status)
    return ServiceError(operation, status, code, message)


class Paginator:
    """`get_paginator(name).paginate(**params)`: every page, following `NextMarker`."""

    def __init__(self, call: Callable[..., dict[str, Any]], operation: str) -> None:
        self._call = call
        self._operation = operation

    def paginate(self, **params: Any) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        while True:
            page = self._call(**params)
            yield page
            marker = page.get("NextMarker")
            if not marker:
                return
            if marker in seen:
                raise ServiceError(self._operation, 200, "PaginationError", "a marker repeated")
            seen.add(marker)
            params = {**params, "Marker": marker}


class DirectLambda:
    """Lambda's list reads (REST with JSON bodies, API version 2015-03-31)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.meta = transport.meta

    def list_versions_by_function(self, **params: Any) -> dict[str, Any]:
        return self._list("ListVersionsByFunction", "versions", params, ())

    def list_aliases(self, **params: Any) -> dict[str, Any]:
        return self._list("ListAliases", "aliases", params, ("FunctionVersion",))

    def get_paginator(self, name: str) -> Paginator:
        calls = {"list_versions_by_function": self.list_versions_by_function}
        calls["list_aliases"] = self.list_aliases
        if name not in calls:
            raise ValueError(f"no direct paginator for {name}")
        return Paginator(calls[name], name)

    def _list(
        self, operation: str, collection: str, params: dict[str, Any], filters: Sequence[str]
    ) -> dict[str, Any]:
        function = str(params["FunctionName"])
        pairs = [(k, str(params[k])) for k in (*filters, "Marker", "MaxItems") if k in params]
        path = f"/2015-03-31/functions/{encode_segment(function)}/{collection}"
        status, headers, data = self._transport.send(operation, "GET", path, encode_query(pairs))
        if status >= 300:
            raise refusal(operation, status, headers, data)
        try:
            answer = json.loads(data, object_hook=_without_nulls)
        except ValueError as exc:
            raise self._transport.garbled(operation, exc) from exc
        if not isinstance(answer, dict):
            raise self._transport.garbled(operation, "not a JSON object")
        return answer


class DirectCloudFormation:
    """CloudFormation's GetTemplate (the query protocol: a form posted, XML returned)."""

    def __init__(self, transport: Transport) -> None:
        self._transport = transport
        self.meta = transport.meta

    def get_template(self, **params: Any) -> dict[str, Any]:
        form = [("Action", "GetTemplate"), ("Version", "2010-05-15")]
        keys = ("StackName", "ChangeSetName", "TemplateStage")
        form += [(k, str(params[k])) for k in keys if k in params]
        body = encode_query(form).encode()
        status, headers, data = self._transport.send("GetTemplate", "POST", "/", body=body)
        if status >= 300:
            raise refusal("GetTemplate", status, headers, data)
        try:
            elements = _xml_elements(data)
        except ValueError as exc:
            raise self._transport.garbled("GetTemplate", exc) from exc
        return {
            "TemplateBody": _first(elements, "TemplateBody"),
            "StagesAvailable": [t for p, t in elements if p[-2:-1] == ("StagesAvailable",)],
        }


def _tls(ca_bundle: str | None) -> Any:
    """A verifying TLS context on the CA bundle botocore would use: AWS_CA_BUNDLE's, else
    certifi's when installed, else the system's."""
    import ssl

    if ca_bundle:
        try:
            return ssl.create_default_context(cafile=ca_bundle)
        except (OSError, ValueError) as exc:  # not retried: no attempt would read it better
            raise UsageError(
                f"AWS_CA_BUNDLE names {ca_bundle}, which is not a CA bundle: {exc}",
                hint="point it at a PEM file of CA certificates, or unset it",
            ) from None
    try:
        from certifi import where
    except ImportError:
        return ssl.create_default_context()
    return ssl.create_default_context(cafile=where())
