"""CloudFormation manages the HTTP API resources twophase renders for HTTP triggers.

AWS behaviour (CloudFormation user guide, AWS::ApiGatewayV2::Api, ::Integration, ::Route, ::Stage):
`Ref` of an Api is its id and `Fn::GetAtt ApiEndpoint` its invoke URL; `Ref` of an Integration or a
Route is its id, of a Stage its name; a Route targets `integrations/<id>`. moto 5.2.5 ignores all
`AWS::ApiGatewayV2::*` types silently. These models are backed by moto's apigatewayv2 backend, so
the API is visible through the ApiGatewayV2 API afterwards.
"""

from __future__ import annotations

from typing import Any

from moto.core.common_models import CloudFormationModel

from twophase.local.extensions._cfn_common import refresh_model_map


def _backend(account_id: str, region_name: str) -> Any:
    from moto.apigatewayv2.models import apigatewayv2_backends

    return apigatewayv2_backends[account_id][region_name]


class _V2Resource:
    """Common shape: an id inside an API, created and deleted through the backend.

    Concrete classes also name `CloudFormationModel` as a direct base: moto finds resource types
    through `CloudFormationModel.__subclasses__()`.
    """

    KIND = ""

    def __init__(self, api_id: str, resource_id: str, props: dict[str, Any]) -> None:
        self.api_id = api_id
        self.resource_id = resource_id
        self.props = props

    @property
    def physical_resource_id(self) -> str:
        return self.resource_id

    @classmethod
    def cloudformation_type(cls) -> str:
        return f"AWS::ApiGatewayV2::{cls.KIND}"

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return False

    @classmethod
    def build(cls, props: dict[str, Any], account_id: str, region_name: str) -> _V2Resource:
        raise NotImplementedError

    def remove(self, backend: Any) -> None:
        raise NotImplementedError

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> _V2Resource:
        return cls.build(cloudformation_json["Properties"], account_id, region_name)

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: _V2Resource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> _V2Resource:
        replacement = cls.build(cloudformation_json["Properties"], account_id, region_name)
        original_resource.delete(account_id, region_name)
        return replacement

    def is_created(self) -> bool:
        return True

    def delete(self, account_id: str, region_name: str) -> None:
        try:
            self.remove(_backend(account_id, region_name))
        except Exception:
            return  # the API went first, and everything in it with it


class HttpApi(_V2Resource, CloudFormationModel):
    KIND = "Api"

    @classmethod
    def build(cls, props: dict[str, Any], account_id: str, region_name: str) -> _V2Resource:
        api = _backend(account_id, region_name).create_api(
            api_key_selection_expression=props.get("ApiKeySelectionExpression"),
            cors_configuration=props.get("CorsConfiguration"),
            description=props.get("Description"),
            disable_schema_validation=props.get("DisableSchemaValidation"),
            disable_execute_api_endpoint=props.get("DisableExecuteApiEndpoint"),
            name=props.get("Name"),
            protocol_type=props.get("ProtocolType", "HTTP"),
            route_selection_expression=props.get("RouteSelectionExpression"),
            tags=props.get("Tags") or {},
            version=props.get("Version"),
        )
        made = cls(api.api_id, api.api_id, props)
        made.endpoint = api.api_endpoint  # type: ignore[attr-defined]
        return made

    @classmethod
    def has_cfn_attr(cls, attr: str) -> bool:
        return attr in ("ApiEndpoint", "ApiId")

    def get_cfn_attribute(self, attribute_name: str) -> str:
        from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

        if attribute_name == "ApiEndpoint":
            return str(self.endpoint)  # type: ignore[attr-defined]
        if attribute_name == "ApiId":
            return self.api_id
        raise UnformattedGetAttTemplateException()

    def remove(self, backend: Any) -> None:
        backend.delete_api(self.api_id)


class HttpIntegration(_V2Resource, CloudFormationModel):
    KIND = "Integration"

    @classmethod
    def build(cls, props: dict[str, Any], account_id: str, region_name: str) -> _V2Resource:
        integration = _backend(account_id, region_name).create_integration(
            api_id=props["ApiId"],
            connection_id=props.get("ConnectionId"),
            connection_type=props.get("ConnectionType"),
            content_handling_strategy=props.get("ContentHandlingStrategy"),
            credentials_arn=props.get("CredentialsArn"),
            description=props.get("Description"),
            integration_method=props.get("IntegrationMethod"),
            integration_subtype=props.get("IntegrationSubtype"),
            integration_type=props["IntegrationType"],
            integration_uri=props.get("IntegrationUri"),
            passthrough_behavior=props.get("PassthroughBehavior"),
            payload_format_version=props.get("PayloadFormatVersion"),
            request_parameters=props.get("RequestParameters"),
            request_templates=props.get("RequestTemplates"),
            response_parameters=props.get("ResponseParameters"),
            template_selection_expression=props.get("TemplateSelectionExpression"),
            timeout_in_millis=props.get("TimeoutInMillis"),
            tls_config=props.get("TlsConfig"),
        )
        return cls(props["ApiId"], integration.id, props)

    def remove(self, backend: Any) -> None:
        backend.delete_integration(self.api_id, self.resource_id)


class HttpRoute(_V2Resource, CloudFormationModel):
    KIND = "Route"

    @classmethod
    def build(cls, props: dict[str, Any], account_id: str, region_name: str) -> _V2Resource:
        route = _backend(account_id, region_name).create_route(
            api_id=props["ApiId"],
            api_key_required=props.get("ApiKeyRequired", False),
            authorization_scopes=props.get("AuthorizationScopes"),
            authorization_type=props.get("AuthorizationType"),
            authorizer_id=props.get("AuthorizerId"),
            model_selection_expression=props.get("ModelSelectionExpression"),
            operation_name=props.get("OperationName"),
            request_models=props.get("RequestModels"),
            request_parameters=props.get("RequestParameters"),
            route_key=props["RouteKey"],
            route_response_selection_expression=props.get("RouteResponseSelectionExpression"),
            target=props.get("Target"),
        )
        return cls(props["ApiId"], route.route_id, props)

    def remove(self, backend: Any) -> None:
        backend.delete_route(self.api_id, self.resource_id)


class HttpStage(_V2Resource, CloudFormationModel):
    KIND = "Stage"

    @classmethod
    def build(cls, props: dict[str, Any], account_id: str, region_name: str) -> _V2Resource:
        config = {
            "stageName": props["StageName"],
            "autoDeploy": props.get("AutoDeploy", False),
            "description": props.get("Description"),
            "stageVariables": props.get("StageVariables") or {},
            "tags": props.get("Tags") or {},
        }
        stage = _backend(account_id, region_name).create_stage(props["ApiId"], config)
        return cls(props["ApiId"], stage.name, props)

    def remove(self, backend: Any) -> None:
        backend.delete_stage(self.api_id, self.resource_id)


def install() -> None:
    refresh_model_map()
