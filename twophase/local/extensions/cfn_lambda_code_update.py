"""CloudFormation updates a Lambda function's code only when its `Code` or `Architectures` changed.

AWS behaviour: on a stack update, CloudFormation calls `UpdateFunctionCode` only if the resource's
`Code` property differs from the previous template's; a change to `MemorySize`, `Environment` or any
other configuration property updates only the configuration, so code pushed out of band keeps
serving (CloudFormation user guide, aws-resource-lambda-function). `Architectures` is the
exception: Lambda changes a function's architecture only through UpdateFunctionCode
(UpdateFunctionConfiguration has no `Architectures` parameter), so when the template's
`Architectures` changes CloudFormation calls UpdateFunctionCode with the template's `Code` and the
new architecture, and `$LATEST` gets the template's code back: code pushed out of band is replaced.

moto 5.2.5 re-applies `Code` on every property change: S3 code reverts to the template's object and
inline `ZipFile` code fails with HTTP 500 (its plain text is decoded as base64); it never changes
the architecture. Here the last applied `Code` and `Architectures` are remembered per function and
compared; inline code is zipped as on create.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from twophase.local.extensions._cfn_common import patch

_APPLIED_CODE = "_twophase_cfn_code"
_APPLIED_ARCHITECTURES = "_twophase_cfn_architectures"


def _architectures(props: dict[str, Any]) -> list[str]:
    """The template's architectures (Lambda's default when the property is left out)."""
    return list(props.get("Architectures") or ["x86_64"])


def _inline_zip(code: dict[str, Any]) -> dict[str, Any]:
    from moto.awslambda.models import LambdaFunction

    if "ZipFile" not in code:
        return dict(code)
    zipped = LambdaFunction._create_zipfile_from_plaintext_code(code["ZipFile"])
    return {**code, "ZipFile": base64.b64encode(zipped)}


def _create(original: Any) -> Any:
    def create_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        code = copy.deepcopy(cloudformation_json["Properties"].get("Code"))
        fn = original(resource_name, cloudformation_json, account_id, region_name, **kwargs)
        setattr(fn, _APPLIED_CODE, code)
        setattr(fn, _APPLIED_ARCHITECTURES, _architectures(cloudformation_json["Properties"]))
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
        props = cloudformation_json["Properties"]
        code = props.get("Code")
        architectures = _architectures(props)
        original_resource.update_configuration(props)
        code_changed = code != getattr(original_resource, _APPLIED_CODE, None)
        applied = getattr(original_resource, _APPLIED_ARCHITECTURES, None)
        moved = architectures != (applied or list(original_resource.architectures))
        if code is not None and (code_changed or moved):
            original_resource.update_function_code(
                {**_inline_zip(code), "Architectures": architectures}
            )
            setattr(original_resource, _APPLIED_CODE, copy.deepcopy(code))
        setattr(original_resource, _APPLIED_ARCHITECTURES, architectures)
        return original_resource

    return classmethod(update_from_cloudformation_json)


def install() -> None:
    from moto.awslambda.models import LambdaFunction

    patch(LambdaFunction, "create_from_cloudformation_json", _create)
    patch(LambdaFunction, "update_from_cloudformation_json", _update)
