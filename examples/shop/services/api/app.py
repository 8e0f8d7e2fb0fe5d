"""The shop's HTTP API (API Gateway HTTP API, payload format 2.0)."""

from __future__ import annotations

import json
import os
from typing import Any


def _response(status: int, body: dict[str, Any]) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json"},
        "body": json.dumps(body, sort_keys=True),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    http = event.get("requestContext", {}).get("http", {})
    method, path = http.get("method", "GET"), event.get("rawPath", "/")
    if method == "GET" and path == "/health":
        return _response(200, {"status": "ok"})
    if method == "GET" and path.startswith("/orders/"):
        order_id = path.removeprefix("/orders/")
        return _response(200, {"order": order_id, "table": os.environ.get("TABLE", "")})
    return _response(404, {"error": f"no route for {method} {path}"})
