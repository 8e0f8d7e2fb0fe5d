"""Invoke runs the function's code (python* and nodejs* runtimes) in a local subprocess.

AWS behaviour (Lambda API reference, Invoke): the version the qualifier names runs (`$LATEST`, a
published version, or an alias's version, picked by the alias's RoutingConfig weights) with the
event and a context object, under the function's timeout and environment variables plus
AWS_LAMBDA_FUNCTION_NAME, AWS_LAMBDA_FUNCTION_VERSION and AWS_REGION. A RequestResponse call
answers 200 with the handler's JSON result; an unhandled exception answers 200 with
`X-Amz-Function-Error: Unhandled` and `{errorMessage, errorType, stackTrace}` (Node.js: `trace`);
`X-Amz-Executed-Version` names the version that ran; `LogType: Tail` adds the last 4 KB of the log,
base64, in `X-Amz-Log-Result`. InvocationType `Event` answers 202 and runs in the background,
`DryRun` answers 204 and runs nothing. A Pending or Inactive version is not run (see
`lambda_function_states`).

moto 5.2.5 runs code only in Docker (and answers a canned string without it). Here the handler
runs with the interpreter on this machine (`twophase.local.invoke`); other runtimes answer
`InvalidRuntimeException` saying that they cannot run locally. The function's code can call the
embedded AWS: AWS_ENDPOINT_URL points at it, with the server's root keys (generated at its start,
see `twophase.local.root_credentials`). Logs also go to the
function's CloudWatch log group, as on AWS.
"""

from __future__ import annotations

import json
import random
import threading
import uuid
from typing import Any
from urllib.parse import unquote

from twophase.local import root_credentials
from twophase.local.extensions.lambda_code_storage import package_file
from twophase.local.extensions.lambda_function_states import require_invocable
from twophase.local.invoke import (
    CannotRunLocally,
    Invocation,
    InvocationResult,
    interpreter,
    run,
)

_MARK = "_twophase_invoke"
_STATUS = {"Event": 202, "DryRun": 204}


def _error(code: str, message: str) -> Exception:
    """A 400 (AWS answers InvalidRuntimeException with 502, which SDKs would retry)."""
    from moto.awslambda.exceptions import LambdaClientError

    return LambdaClientError(code, message)


def _qualifier_in_name(function_name: str) -> str | None:
    """`name:q` or `arn:…:function:name:q` → q."""
    tail = function_name.split(":function:")[-1]
    return tail.split(":", 1)[1] if ":" in tail else None


def pick_version(alias: Any) -> str:
    """The version an alias sends this call to, honouring RoutingConfig weights."""
    weights: dict[str, float] = (alias.routing_config or {}).get("AdditionalVersionWeights") or {}
    draw = random.random()
    for version, weight in sorted(weights.items()):
        if draw < weight:
            return version
        draw -= weight
    return str(alias.function_version)


def _resolve(backend: Any, function_name: str, qualifier: str | None) -> tuple[Any, str, str]:
    """(function version object, executed version, invoked ARN)."""
    from moto.awslambda.exceptions import UnknownAliasException

    latest = backend.get_function(function_name, qualifier)
    name = latest.function_name
    qualifier = _qualifier_in_name(function_name) or qualifier
    base_arn = latest.function_arn.split(f":function:{name}")[0] + f":function:{name}"
    invoked_arn = f"{base_arn}:{qualifier}" if qualifier else base_arn
    version = qualifier or "$LATEST"
    if qualifier and not qualifier.isdigit() and qualifier != "$LATEST":
        try:
            version = pick_version(backend.get_alias(qualifier, name))
        except UnknownAliasException:
            version = qualifier
    return backend.get_function(name, version), version, invoked_arn


def _invocation(fn: Any, version: str, invoked_arn: str, event: bytes, host: str) -> Invocation:
    environment = {str(k): str(v) for k, v in (fn.environment_vars or {}).items()}
    if host:
        environment.setdefault("AWS_ENDPOINT_URL", f"http://{host}")
    root = root_credentials.current()
    if root is not None:
        environment.setdefault("AWS_ACCESS_KEY_ID", root.access_key_id)
        environment.setdefault("AWS_SECRET_ACCESS_KEY", root.secret_access_key)
    return Invocation(
        runtime=str(fn.run_time or ""),
        handler=str(fn.handler or ""),
        code=package_file(fn) or bytes(getattr(fn, "code_bytes", b"") or b""),
        event=event,
        function_name=fn.function_name,
        function_version=version,
        invoked_function_arn=invoked_arn,
        region=fn.region,
        memory_mb=int(fn.memory_size),
        timeout_s=float(fn.timeout),
        request_id=str(uuid.uuid4()),
        environment=environment,
    )


def _event_bytes(body: Any) -> bytes:
    raw = body.encode() if isinstance(body, str) else bytes(body or b"")
    raw = raw or b"{}"
    try:
        json.loads(raw)
    except ValueError as exc:
        raise _error(
            "InvalidRequestContentException", f"Could not parse request body into json: {exc}"
        ) from exc
    return raw


def _record_logs(fn: Any, result: InvocationResult) -> None:
    fn.logs_backend.ensure_log_group(fn.logs_group_name)
    fn.save_logs(result.logs)


def _run_and_record(fn: Any, inv: Invocation) -> InvocationResult:
    result = run(inv)
    _record_logs(fn, result)
    return result


def invoke(
    self: Any,
    function_name: str,
    qualifier: str | None,
    body: Any,
    headers: Any,
    response_headers: dict[str, Any],
) -> bytes:
    """Replacement for moto's `LambdaBackend.invoke`."""
    fn, version, invoked_arn = _resolve(self, function_name, qualifier)
    event = _event_bytes(body)
    inv = _invocation(fn, version, invoked_arn, event, str(headers.get("Host", "")))
    response_headers["x-amz-executed-version"] = version
    invocation_type = headers.get("X-Amz-Invocation-Type", "RequestResponse")
    if invocation_type == "DryRun":
        return b""
    require_invocable(fn)
    try:
        if fn.package_type == "Image":
            raise CannotRunLocally("container image functions cannot run locally")
        interpreter(inv.runtime)
        if invocation_type == "Event":
            threading.Thread(target=_run_and_record, args=(fn, inv), daemon=True).start()
            return b""
        result = _run_and_record(fn, inv)
    except CannotRunLocally as exc:
        raise _error("InvalidRuntimeException", f"{fn.function_name}: {exc}") from exc
    if result.errored:
        response_headers["x-amz-function-error"] = "Unhandled"
    response_headers["x-amz-log-result"] = result.log_tail()
    response_headers["Content-Length"] = str(len(result.payload))
    return result.payload


def invoke_response(self: Any) -> tuple[int, dict[str, Any], bytes]:
    """Replacement for moto's `LambdaResponse.invoke`, which drops the `Qualifier` parameter."""
    function_name = unquote(self.path.rsplit("/", 2)[-2])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    headers: dict[str, Any] = {"content-type": "application/json"}
    payload = self.backend.invoke(function_name, qualifier, self.body, self.headers, headers)
    status = _STATUS.get(self.headers.get("X-Amz-Invocation-Type", ""), 200)
    if self.headers.get("X-Amz-Log-Type") != "Tail" or status != 200:
        headers.pop("x-amz-log-result", None)
    headers["status"] = status
    return status, headers, payload


def install() -> None:
    from moto.awslambda.models import LambdaBackend
    from moto.awslambda.responses import LambdaResponse
    from moto.utilities.aws_headers import amz_crc32

    if getattr(LambdaBackend, _MARK, False):
        return
    for cls, replacement in ((LambdaBackend, invoke), (LambdaResponse, amz_crc32(invoke_response))):
        setattr(cls, invoke.__name__, replacement)
    setattr(LambdaBackend, _MARK, True)
