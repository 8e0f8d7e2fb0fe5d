"""HTTP APIs record API Gateway's CloudWatch metrics, so an alarm on their 5xx fires locally."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.conftest import LocalAwsHandle
from tests.local._functions import wait_for
from tests.local.test_apigatewayv2_execute_api import HttpApi, call

JSON = "application/json"


def test_each_request_counts_its_4xx_and_5xx_per_api_and_stage(
    local_aws: LocalAwsHandle, time_scale: Callable[[float], None]
) -> None:
    """AWS: an HTTP API sends `Count`, `4xx` and `5xx` for every request, 0 or 1 each, under
    `ApiId` and under `ApiId` + `Stage`; a 500 the code answers without raising is a 5xx as much
    as a function error is, and a route that does not exist is a 4xx. An alarm on the stage's
    `5xx` Sum (the one phase one generates for an HTTP function) goes to ALARM after one.
    https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-metrics.html
    """
    time_scale(120)  # a 60-second period lasts half a second
    api = HttpApi(local_aws, ["ANY /pets/{id}"], ("$default",))
    cw = local_aws.clients().client("cloudwatch")
    stage: list[Any] = [
        {"Name": "ApiId", "Value": api.api_id},
        {"Name": "Stage", "Value": "$default"},
    ]
    cw.put_metric_alarm(
        AlarmName="api-5xx",
        Namespace="AWS/ApiGateway",
        MetricName="5xx",
        Dimensions=stage,
        Statistic="Sum",
        Period=60,
        EvaluationPeriods=1,
        Threshold=1,
        ComparisonOperator="GreaterThanOrEqualToThreshold",
        TreatMissingData="notBreaching",
    )

    def alarm_state() -> str:
        return str(cw.describe_alarms(AlarmNames=["api-5xx"])["MetricAlarms"][0]["StateValue"])

    assert call(f"{api.url}/pets/1").status == 201
    wait_for(lambda: alarm_state() == "OK")
    assert call(f"{api.url}/nothing").status == 404
    answered_500 = json.dumps({"answer": {"statusCode": 500, "body": "down"}}).encode()
    assert call(f"{api.url}/pets/1", "POST", answered_500, Content_Type=JSON).status == 500
    raised = json.dumps({"answer": "raise"}).encode()
    assert call(f"{api.url}/pets/1", "POST", raised, Content_Type=JSON).status == 500

    def total(metric: str, dimensions: list[Any]) -> float:
        now = datetime.now(UTC)
        points = cw.get_metric_statistics(
            Namespace="AWS/ApiGateway",
            MetricName=metric,
            Dimensions=dimensions,
            StartTime=now - timedelta(minutes=10),
            EndTime=now + timedelta(minutes=1),
            Period=600,
            Statistics=["Sum"],
        )["Datapoints"]
        return sum(p["Sum"] for p in points)

    for dimensions in (stage, stage[:1]):
        assert [total(m, dimensions) for m in ("Count", "4xx", "5xx")] == [4, 1, 2]
    wait_for(lambda: alarm_state() == "ALARM")
