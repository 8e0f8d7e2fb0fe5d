"""CloudFormation manages CodeDeploy applications, deployment groups and deployment configurations.

AWS behaviour (CloudFormation template reference, AWS::CodeDeploy::Application,
AWS::CodeDeploy::DeploymentGroup, AWS::CodeDeploy::DeploymentConfig,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-codedeploy-deploymentgroup.html):
`Ref` is the application's, group's or configuration's name (generated from the stack and
logical id when the template gives none). A group's `DeploymentConfigName`, `ServiceRoleArn`,
`AlarmConfiguration`, `AutoRollbackConfiguration` and `DeploymentStyle` update in place; a new
`ApplicationName` or `DeploymentGroupName` replaces the group, a new `ApplicationName` or
`ComputePlatform` the application, and any change the configuration (see `cfn_change_sets`'
REPLACING). Deleting the resource deletes what it made (an application with its groups).
moto 5.2.5 ignores these types.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel

from twophase.local.extensions._cfn_common import refresh_model_map

_BOOLEANS = ("enabled", "ignorePollAlarmFailure")
_NUMBERS = ("canaryPercentage", "canaryInterval", "linearPercentage", "linearInterval", "value")


def api_shape(value: Any) -> Any:
    """CloudFormation's PascalCase properties → the CodeDeploy API's camelCase, typed."""
    if isinstance(value, list):
        return [api_shape(v) for v in value]
    if not isinstance(value, dict):
        return value
    shaped: dict[str, Any] = {}
    for key, inner in value.items():
        name = key[:1].lower() + key[1:]
        shaped[name] = api_shape(inner)
        if name in _BOOLEANS and isinstance(inner, str):
            shaped[name] = inner.lower() == "true"
        elif name in _NUMBERS and isinstance(inner, str):
            shaped[name] = int(inner)
    return shaped


def codedeploy_backend(account_id: str, region_name: str) -> Any:
    from moto.codedeploy.models import codedeploy_backends

    return codedeploy_backends[account_id][region_name]


class _Named:
    """A CodeDeploy resource known by its name (its `Ref` and physical id). A mixin: moto's
    CloudFormation finds only the direct subclasses of CloudFormationModel."""

    def __init__(self, account_id: str, region_name: str, name: str, props: dict[str, Any]):
        self.account_id, self.region_name, self.name, self.props = (
            account_id,
            region_name,
            name,
            props,
        )

    @property
    def physical_resource_id(self) -> str:
        return self.name

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        """Nothing to apply: what else changes replaces the resource (`cfn_replacement`)."""
        original_resource.props = cloudformation_json.get("Properties", {})
        return original_resource

    @classmethod
    def delete_from_cloudformation_json(
        cls, resource_name: str, cloudformation_json: Any, account_id: str, region_name: str
    ) -> None:
        props = cloudformation_json.get("Properties", {})
        cls(account_id, region_name, resource_name, props).delete(account_id, region_name)

    def delete(self, account_id: str, region_name: str) -> None:
        raise NotImplementedError


class CfnCodeDeployApplication(_Named, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodeDeploy::Application"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "ApplicationName"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> CfnCodeDeployApplication:
        props = cloudformation_json.get("Properties", {})
        platform = props.get("ComputePlatform", "Server")
        backend = codedeploy_backend(account_id, region_name)
        backend.create_application(resource_name, platform, props.get("Tags") or [])
        return cls(account_id, region_name, resource_name, props)

    def delete(self, account_id: str, region_name: str) -> None:
        from twophase.local.extensions.codedeploy_deployment_groups import remove_application

        remove_application(codedeploy_backend(account_id, region_name), self.name)


class CfnCodeDeployDeploymentGroup(_Named, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodeDeploy::DeploymentGroup"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DeploymentGroupName"

    @property
    def application(self) -> str:
        return str(self.props["ApplicationName"])

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> CfnCodeDeployDeploymentGroup:
        from twophase.local.extensions.codedeploy_deployment_configs import find
        from twophase.local.extensions.codedeploy_deployment_groups import adopt, check_alarms

        props = cloudformation_json.get("Properties", {})
        shaped = api_shape(props)
        backend = codedeploy_backend(account_id, region_name)
        if shaped.get("deploymentConfigName"):
            find(backend, shaped["deploymentConfigName"])
        check_alarms(shaped.get("alarmConfiguration"))
        backend.create_deployment_group(
            application_name=shaped["applicationName"],
            deployment_group_name=resource_name,
            deployment_config_name=shaped.get("deploymentConfigName"),
            ec2_tag_filters=shaped.get("ec2TagFilters"),
            on_premises_instance_tag_filters=shaped.get("onPremisesInstanceTagFilters"),
            auto_scaling_groups=shaped.get("autoScalingGroups"),
            service_role_arn=shaped.get("serviceRoleArn", ""),
            trigger_configurations=shaped.get("triggerConfigurations"),
            alarm_configuration=shaped.get("alarmConfiguration"),
            auto_rollback_configuration=shaped.get("autoRollbackConfiguration"),
            deployment_style=shaped.get("deploymentStyle"),
            tags=props.get("Tags"),
        )
        group = backend.deployment_groups[shaped["applicationName"]][resource_name]
        adopt(backend, group, shaped.get("deploymentConfigName"), shaped.get("deploymentStyle"))
        return cls(account_id, region_name, resource_name, props)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
    ) -> Any:
        """In place (a new name or application is a replacement, made by `cfn_replacement`)."""
        from moto.codedeploy.models import CodeDeployDefault

        from twophase.local.extensions.codedeploy_deployment_configs import find
        from twophase.local.extensions.codedeploy_deployment_groups import adopt, check_alarms

        props = cloudformation_json.get("Properties", {})
        shaped = api_shape(props)
        backend = codedeploy_backend(account_id, region_name)
        group = backend.get_deployment_group(original_resource.application, original_resource.name)
        config, style = shaped.get("deploymentConfigName"), shaped.get("deploymentStyle")
        if config:
            find(backend, config)
        check_alarms(shaped.get("alarmConfiguration"))
        group.deployment_config_name = config or str(CodeDeployDefault.OneAtATime)  # as moto's
        group.service_role_arn = shaped.get("serviceRoleArn", "")
        group.alarm_configuration = shaped.get("alarmConfiguration")
        group.auto_rollback_configuration = shaped.get("autoRollbackConfiguration") or {}
        group.deployment_style = style or {}
        adopt(backend, group, config, style)  # a Lambda group's defaults
        original_resource.props = props
        return original_resource

    def delete(self, account_id: str, region_name: str) -> None:
        from twophase.local.extensions.codedeploy_deployment_groups import remove_group

        backend = codedeploy_backend(account_id, region_name)
        remove_group(backend, self.props.get("ApplicationName", ""), self.name)


class CfnCodeDeployDeploymentConfig(_Named, CloudFormationModel):
    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::CodeDeploy::DeploymentConfig"

    @staticmethod
    def cloudformation_name_type() -> str:
        return "DeploymentConfigName"

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: Any,
        account_id: str,
        region_name: str,
        **kw: Any,
    ) -> CfnCodeDeployDeploymentConfig:
        from twophase.local.extensions.codedeploy_deployment_configs import create_config

        props = cloudformation_json.get("Properties", {})
        shaped = api_shape(props)
        create_config(
            codedeploy_backend(account_id, region_name),
            resource_name,
            shaped.get("computePlatform") or "Server",
            shaped.get("trafficRoutingConfig"),
            shaped.get("minimumHealthyHosts"),
        )
        return cls(account_id, region_name, resource_name, props)

    def delete(self, account_id: str, region_name: str) -> None:
        from twophase.local.extensions.codedeploy_deployment_configs import custom_configs

        custom_configs(codedeploy_backend(account_id, region_name)).pop(self.name, None)


def install() -> None:
    refresh_model_map()
