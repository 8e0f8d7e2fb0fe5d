"""CloudFormation manages CloudWatch metric alarms (`AWS::CloudWatch::Alarm`).

AWS behaviour (CloudFormation template reference, AWS::CloudWatch::Alarm,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudwatch-alarm.html):
the alarm is made with PutMetricAlarm from its properties (`AlarmName`, else a name generated from
the stack and logical id; `MetricName`, `Namespace`, `Dimensions`, `Statistic` or
`ExtendedStatistic`, `Period`, `EvaluationPeriods`, `DatapointsToAlarm`, `Threshold`,
`ComparisonOperator`, `TreatMissingData`, `Metrics`, actions, …). `Ref` is the alarm's name,
`Fn::GetAtt Arn` its ARN. Every property but `AlarmName` updates in place, keeping the alarm's
state; a new `AlarmName` replaces it. Deleting the resource deletes the alarm. moto 5.2.5 ignores
the type.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel

from twophase.local.extensions._cfn_common import refresh_model_map


def cloudwatch_backend(account_id: str, region_name: str) -> Any:
    from moto.cloudwatch.models import cloudwatch_backends

    return cloudwatch_backends[account_id][region_name]


def _number(value: Any, kind: type) -> Any:
    return None if value is None else kind(value)


def _queries(metrics: list[dict[str, Any]] | None) -> list[Any] | None:
    """`Metrics` → moto's MetricDataQuery objects, as its PutMetricAlarm makes them."""
    from moto.cloudwatch.models import Dimension, Metric, MetricDataQuery, MetricStat

    if not metrics:
        return None
    queries = []
    for query in metrics:
        stat = query.get("MetricStat")
        metric_stat = None
        if stat:
            metric = stat["Metric"]
            dims = [Dimension(d["Name"], d["Value"]) for d in metric.get("Dimensions", [])]
            metric_stat = MetricStat(
                Metric(metric["MetricName"], metric.get("Namespace"), dims),
                stat.get("Period"),
                stat.get("Stat"),
                stat.get("Unit"),
            )
        label: Any = query.get("Label")
        period: Any = query.get("Period")
        return_data: Any = query.get("ReturnData")
        queries.append(
            MetricDataQuery(
                query["Id"], label, period, return_data, query.get("Expression"), metric_stat
            )
        )
    return queries


def put_alarm(name: str, props: dict[str, Any], account_id: str, region_name: str) -> Any:
    actions_enabled = props.get("ActionsEnabled", True)
    return cloudwatch_backend(account_id, region_name).put_metric_alarm(
        name=name,
        namespace=props.get("Namespace"),
        metric_name=props.get("MetricName"),
        metric_data_queries=_queries(props.get("Metrics")),
        comparison_operator=props.get("ComparisonOperator"),
        evaluation_periods=_number(props.get("EvaluationPeriods"), int),
        datapoints_to_alarm=_number(props.get("DatapointsToAlarm"), int),
        period=_number(props.get("Period"), int),
        threshold=_number(props.get("Threshold"), float),
        statistic=props.get("Statistic"),
        extended_statistic=props.get("ExtendedStatistic"),
        description=props.get("AlarmDescription"),
        dimensions=props.get("Dimensions") or [],
        alarm_actions=props.get("AlarmActions") or [],
        ok_actions=props.get("OKActions") or [],
        insufficient_data_actions=props.get("InsufficientDataActions") or [],
        unit=props.get("Unit"),
        actions_enabled=str(actions_enabled).lower() != "false",
        treat_missing_data=props.get("TreatMissingData"),
        evaluate_low_sample_count_percentile=props.get("EvaluateLowSampleCountPercentile"),
        threshold_metric_id=props.get("ThresholdMetricId"),
        tags=props.get("Tags") or [],
    )


class CfnCloudWatchAlarm(CloudFormationModel):
    """One metric alarm, as a CloudFormation resource backed by moto's CloudWatch backend."""

    def __init__(self, account_id: str, region_name: str, name: str, arn: str) -> None:
        self.account_id, self.region_name, self.name, self.arn = account_id, region_name, name, arn

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CloudWatch::Alarm"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "AlarmName"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "Arn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "Arn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> CfnCloudWatchAlarm:
        props = cloudformation_json.get("Properties", {})
        alarm = put_alarm(resource_name, props, account_id, region_name)
        return cls(account_id, region_name, resource_name, alarm.alarm_arn)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        """In place (a new AlarmName is a replacement, made by `cfn_replacement`)."""
        put_alarm(
            original_resource.name,
            cloudformation_json.get("Properties", {}),
            account_id,
            region_name,
        )
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        cloudwatch_backend(account_id, region_name).delete_alarms([resource_name])

    def delete(self, account_id: str, region_name: str) -> None:
        cloudwatch_backend(account_id, region_name).delete_alarms([self.name])


def install() -> None:
    refresh_model_map()
