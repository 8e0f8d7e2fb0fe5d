"""The shop's HTTP API (API Gateway HTTP API, payload format 2.0).

It answers the routes twophase.yml declares: `GET /health`, `GET /orders/{id}` and `POST /orders`
(an order is `{"sku": "A-100", "qty": 2}`; it is accepted and given an id, 201). Try it on the
endpoint `twophase infra up` prints:

    curl ENDPOINT/health
    curl -d '{"sku": "A-100", "qty": 2}' ENDPOINT/orders
"""

from __future__ import annotations

import base64
import json
import os
import uuid
from typing import Any


def _response(status: int, body: dict[str, Any], **headers: str) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **headers},
        "body": json.dumps(body, sort_keys=True),
    }


def _body(event: dict[str, Any]) -> str:
    """The request body as text: API Gateway base64-encodes it unless it is JSON or text (so
    `curl -d`, which says form-urlencoded, arrives base64-encoded)."""
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        return base64.b64decode(body).decode("utf-8", errors="replace")
    return str(body)


def _new_order(event: dict[str, Any]) -> dict[str, Any]:
    try:
        order = json.loads(_body(event) or "null")
    except ValueError:
        order = None
    valid = isinstance(order, dict) and isinstance(order.get("sku"), str) and order["sku"]
    qty = order.get("qty") if isinstance(order, dict) else None
    if not valid or isinstance(qty, bool) or not isinstance(qty, int) or qty < 1:
        return _response(400, {"error": 'send an order as JSON: {"sku": "A-100", "qty": 2}'})
    order_id = uuid.uuid4().hex[:12]
    accepted = {"order": order_id, "sku": order["sku"], "qty": qty, "status": "accepted"}
    return _response(201, accepted, location=f"/orders/{order_id}")


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    http = event.get("requestContext", {}).get("http", {})
    method, path = http.get("method", "GET"), event.get("rawPath", "/")
    if method == "GET" and path == "/health":
        return _response(200, {"status": "ok"})
    if method == "GET" and path.startswith("/orders/"):
        order_id = path.removeprefix("/orders/")
        return _response(200, {"order": order_id, "table": os.environ.get("TABLE", "")})
    if method == "POST" and path == "/orders":
        return _new_order(event)
    return _response(404, {"error": f"no route for {method} {path}"})
