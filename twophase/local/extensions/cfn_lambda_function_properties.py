"""CloudFormation creates and updates a Lambda function with all of its template properties.

AWS behaviour (CloudFormation template reference, AWS::Lambda::Function: `Architectures`,
`EphemeralStorage`, `KmsKeyArn`, `Layers`, `LoggingConfig`, `PackageType`, `ImageConfig`,
`TracingConfig`): each property given in the template is the function's setting, as if passed to
CreateFunction; a function declared with `Architectures: [arm64]` reports `["arm64"]`, one with
`PackageType: Image` reports `Image`. On a stack update the changed settings are applied (the
`Architectures` change goes through UpdateFunctionCode, see `cfn_lambda_code_update`).

moto 5.2.5 passes only Description, MemorySize, Publish, Timeout, VpcConfig, Environment and
ReservedConcurrentExecutions to CreateFunction: every other property above is dropped (an arm64
function reports x86_64), and `KmsKeyArn` (the API's `KMSKeyArn`) is never applied on update.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import patch

# Template property -> UpdateFunctionConfiguration parameter, for the settings moto's create drops.
_SETTINGS = {
    "EphemeralStorage": "EphemeralStorage",
    "KmsKeyArn": "KMSKeyArn",
    "Layers": "Layers",
    "LoggingConfig": "LoggingConfig",
    "TracingConfig": "TracingConfig",
}


def settings(props: dict[str, Any]) -> dict[str, Any]:
    """The template's settings, named as UpdateFunctionConfiguration names them."""
    return {api: props[cfn] for cfn, api in _SETTINGS.items() if cfn in props}


def _apply_on_create(fn: Any, props: dict[str, Any]) -> None:
    from moto.awslambda.models import ImageConfig

    if props.get("Architectures"):
        fn.architectures = list(props["Architectures"])
    if props.get("PackageType"):
        fn.package_type = props["PackageType"]
    if props.get("ImageConfig"):
        fn.image_config = ImageConfig(props["ImageConfig"])
    if settings(props):
        fn.update_configuration(settings(props))


def _create(original: Any) -> Any:
    def create_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        fn = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        _apply_on_create(fn, cloudformation_json["Properties"])
        return fn

    return classmethod(create_from_cloudformation_json)


def _update(original: Any) -> Any:
    def update_from_cloudformation_json(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        fn = original(
            original_resource, new_resource_name, cloudformation_json, account_id, region_name
        )
        props = cloudformation_json["Properties"]
        if "KmsKeyArn" in props and props["KmsKeyArn"] != fn.kms_key_arn:
            fn.update_configuration({"KMSKeyArn": props["KmsKeyArn"]})
        return fn

    return classmethod(update_from_cloudformation_json)


def install() -> None:
    from moto.awslambda.models import LambdaFunction

    patch(LambdaFunction, "create_from_cloudformation_json", _create)
    patch(LambdaFunction, "update_from_cloudformation_json", _update)
