"""CloudFormation updates a Lambda function's code only when its `Code` property changed.

AWS behaviour: on a stack update, CloudFormation calls `UpdateFunctionCode` only if the resource's
`Code` property differs from the previous template's; a change to `MemorySize`, `Environment` or any
other property updates only the configuration, so code pushed out of band keeps serving
(CloudFormation user guide, aws-resource-lambda-function).

moto 5.2.5 re-applies `Code` on every property change: S3 code reverts to the template's object and
inline `ZipFile` code fails with HTTP 500 (its plain text is decoded as base64). Here the last
applied `Code` is remembered per function and compared; inline code is zipped as on create.
"""

from __future__ import annotations

import base64
import copy
from typing import Any

from twophase.local.extensions._cfn_common import patch

_APPLIED_CODE = "_twophase_cfn_code"


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
        original_resource.update_configuration(props)
        if code is not None and code != getattr(original_resource, _APPLIED_CODE, None):
            original_resource.update_function_code(_inline_zip(code))
            setattr(original_resource, _APPLIED_CODE, copy.deepcopy(code))
        return original_resource

    return classmethod(update_from_cloudformation_json)


def install() -> None:
    from moto.awslambda.models import LambdaFunction

    patch(LambdaFunction, "create_from_cloudformation_json", _create)
    patch(LambdaFunction, "update_from_cloudformation_json", _update)
