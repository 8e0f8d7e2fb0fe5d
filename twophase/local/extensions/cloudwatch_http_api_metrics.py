"""Every request an HTTP API answers records its `AWS/ApiGateway` metrics in CloudWatch.

AWS behaviour (API Gateway developer guide, "Monitor CloudWatch metrics for HTTP APIs in API
Gateway", https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html):
API Gateway sends, for each request, `Count` (1), `4xx` (1 for a 4xx answer, else 0) and `5xx`
(1 for a 5xx answer, else 0), under the dimension sets `ApiId` and `ApiId` + `Stage` (route-level
metrics only when detailed metrics are enabled, which twophase never does). A 5xx is any such
answer: the integration's own (code that answers 500 without raising), a function error, an
integration that outlasts its timeout. A request for an API that does not exist records nothing;
one that reaches no stage counts under `ApiId` only.

HTTP APIs answer in `apigatewayv2_execute_api`, whose `serve` this extension wraps. moto 5.2.5
serves no HTTP API and records no API Gateway metric.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from twophase.local.extensions._cfn_common import patch

NAMESPACE = "AWS/ApiGateway"


def dimension_sets(api_id: str, stage: str | None) -> list[list[dict[str, str]]]:
    """The dimension sets an HTTP API publishes one request's metrics under."""
    by_api = [{"Name": "ApiId", "Value": api_id}]
    return [by_api] if stage is None else [by_api, [*by_api, {"Name": "Stage", "Value": stage}]]


def record(api: Any, stage: str | None, status: int, at: datetime) -> None:
    """Add one request's datapoints to the API's region's CloudWatch."""
    from moto.cloudwatch.models import MetricDatum, cloudwatch_backends

    backend = cloudwatch_backends[api.backend.account_id][api.backend.region_name]
    values = (
        ("Count", 1.0),
        ("4xx", 1.0 if 400 <= status < 500 else 0.0),
        ("5xx", 1.0 if status >= 500 else 0.0),
    )
    for dimensions in dimension_sets(api.api_id, stage):
        for name, value in values:
            backend.metric_data.append(MetricDatum(NAMESPACE, name, value, dimensions, at, "Count"))


def _recorded(original: Callable[..., Any]) -> Callable[..., Any]:
    def serve_and_record(api_id: str, request: Any, endpoint_host: str) -> Any:
        from moto.core.utils import utcnow

        from twophase.local.extensions import apigatewayv2_execute_api as execute

        started = utcnow()
        answer = original(api_id, request, endpoint_host)
        api = execute.find_api(api_id)
        if api is not None:
            staged = execute._stage(api, request.raw_path)  # the stage `serve` picked
            record(api, staged[0].name if staged else None, answer.status, started)
        return answer

    return serve_and_record


def install() -> None:
    from twophase.local.extensions import apigatewayv2_execute_api

    patch(apigatewayv2_execute_api, "serve", _recorded)
