"""CloudFormation manages `AWS::Lambda::Alias`: create, update, delete; `Ref` is the alias ARN.

AWS behaviour (CloudFormation user guide, aws-resource-lambda-alias):
`Ref` returns the alias ARN and `Fn::GetAtt AliasArn` too; changing `FunctionVersion`,
`Description` or `RoutingConfig` updates the alias in place; changing `Name` or `FunctionName`
replaces it; a stack update that leaves the alias's properties unchanged does not touch it, so an
alias moved out of band keeps its target. moto 5.2.5 silently ignores the type.
"""

from __future__ import annotations

import contextlib
from typing import Any

from moto.core.common_models import CloudFormationModel

from twophase.local.extensions._cfn_common import (
    function_arn,
    lambda_backend,
    refresh_model_map,
    split_function,
)

REPLACING = ("Name", "FunctionName")


def routing_config(props: dict[str, Any]) -> dict[str, Any] | None:
    """CloudFormation's list of weights -> the Lambda API's `{"version": weight}` map."""
    weights = (props.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
    if not weights:
        return None
    return {
        "AdditionalVersionWeights": {
            str(w["FunctionVersion"]): float(w["FunctionWeight"]) for w in weights
        }
    }


class CfnLambdaAlias(CloudFormationModel):
    """One alias, as a CloudFormation resource backed by moto's Lambda backend."""

    def __init__(self, account_id: str, region_name: str, function_name: str, name: str) -> None:
        self.account_id = account_id
        self.region_name = region_name
        self.function_name = function_name
        self.name = name
        self.props: dict[str, Any] = {}

    @property
    def arn(self) -> str:
        return function_arn(self.account_id, self.region_name, self.function_name, self.name)

    @property
    def physical_resource_id(self) -> str:
        return self.arn

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "Name"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr == "AliasArn"

    def get_cfn_attribute(self, attribute_name: str) -> str:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "AliasArn":
            return self.arn
        raise UnformattedGetAttTemplateException()

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> CfnLambdaAlias:
        props = cloudformation_json["Properties"]
        function_name, _ = split_function(str(props["FunctionName"]))
        lambda_backend(account_id, region_name).create_alias(
            name=props["Name"],
            function_name=function_name,
            function_version=str(props["FunctionVersion"]),
            description=props.get("Description", ""),
            routing_config=routing_config(props),
        )
        alias = cls(account_id, region_name, function_name, props["Name"])
        alias.props = props
        return alias

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: CfnLambdaAlias,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> CfnLambdaAlias:
        props = cloudformation_json["Properties"]
        function_name, _ = split_function(str(props["FunctionName"]))
        if (props["Name"], function_name) != (
            original_resource.name,
            original_resource.function_name,
        ):
            replacement = cls.create_from_cloudformation_json(
                new_resource_name, cloudformation_json, account_id, region_name
            )
            original_resource.delete(account_id, region_name)
            return replacement
        if props != original_resource.props:
            lambda_backend(account_id, region_name).update_alias(
                name=original_resource.name,
                function_name=function_name,
                function_version=str(props["FunctionVersion"]),
                description=props.get("Description", ""),
                routing_config=routing_config(props) or {},
            )
            original_resource.props = props
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        props = cloudformation_json["Properties"]
        function_name, _ = split_function(str(props["FunctionName"]))
        lambda_backend(account_id, region_name).delete_alias(props["Name"], function_name)

    def delete(self, account_id: str, region_name: str) -> None:
        from moto.awslambda.exceptions import UnknownFunctionException

        # when the function went first, its aliases went with it
        with contextlib.suppress(UnknownFunctionException, KeyError):
            lambda_backend(account_id, region_name).delete_alias(self.name, self.function_name)


def install() -> None:
    refresh_model_map()
