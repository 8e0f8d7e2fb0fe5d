"""twophase dummy: what a function runs until its owner pushes real code.

HTTP events (API Gateway REST and HTTP APIs, function URLs, ALB) get a 501 answer naming the
function. Every other event raises, so no queue or stream record is consumed and the source
retries (an SQS message reaches its dead-letter queue after maxReceiveCount).
"""

import json as _json
import os as _os

# The handler may be exported under any name (twophase appends `<name> = handler`), so everything
# else in this module has a private name it cannot clash with.


class FunctionHasNoCode(Exception):  # the name is what Lambda reports as errorType
    """The function still runs its twophase dummy."""


_NoCode = FunctionHasNoCode


def _names():
    function = _os.environ.get("AWS_LAMBDA_FUNCTION_NAME") or "function"
    short = _os.environ.get("TWOPHASE_FUNCTION") or function
    return function, short


def _http_kind(event):
    """'alb', 'apigw' or None when the event is not an HTTP request."""
    if not isinstance(event, dict):
        return None
    context = event.get("requestContext")
    context = context if isinstance(context, dict) else {}
    if "elb" in context:
        return "alb"
    if event.get("version") == "2.0" and "http" in context:
        return "apigw"
    if "httpMethod" in event and "resource" in event:
        return "apigw"
    return None


def handler(event, context):
    function, short = _names()
    message = f"{function} has no code yet: push it with `twophase push {short}`"
    kind = _http_kind(event)
    if kind is None:
        raise _NoCode(message)
    response = {
        "statusCode": 501,
        "headers": {"content-type": "application/json"},
        "body": _json.dumps({"message": message, "function": function}),
        "isBase64Encoded": False,
    }
    if kind == "alb":
        response["statusDescription"] = "501 Not Implemented"
    return response
