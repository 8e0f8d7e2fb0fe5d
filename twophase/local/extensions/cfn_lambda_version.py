"""CloudFormation publishes `AWS::Lambda::Version`: `Ref` is its ARN, `GetAtt Version` its number.

AWS behaviour (CloudFormation user guide, aws-resource-lambda-version): the resource publishes a
version of `$LATEST`; `Ref` returns the qualified version ARN and `Fn::GetAtt <Version>.Version`
the version number; `CodeSha256`, when given, must match `$LATEST`'s code or the resource fails
with Lambda's PublishVersion message ("CodeSHA256 (…) is different from current CodeSHA256 in
$LATEST (…)"); every property requires replacement, so a version is re-published only when its
properties change, and left alone otherwise. moto 5.2.5 gives the logical id for `Ref`, has no
`Version` attribute and ignores `CodeSha256` and `Description`.
"""

from __future__ import annotations

from typing import Any, cast

from twophase.local.extensions._cfn_common import (
    function_arn,
    lambda_backend,
    patch_lifecycle,
    set_attr,
    split_function,
)
from twophase.local.extensions.lambda_preconditions import code_sha_message


class VersionMismatch(Exception):
    """`CodeSha256` on the resource is not the code of `$LATEST`."""


def _publish(props: dict[str, Any], account_id: str, region_name: str) -> Any:
    from moto.awslambda.models import LambdaVersion

    backend = lambda_backend(account_id, region_name)
    name, _ = split_function(str(props["FunctionName"]))
    latest = backend.get_function(name)
    wanted = props.get("CodeSha256")
    if wanted and wanted != latest.code_sha_256:
        raise VersionMismatch(code_sha_message(wanted, latest.code_sha_256))
    published = backend.publish_version(name, props.get("Description", ""))
    version: Any = cast(Any, LambdaVersion)({"Version": published.version})
    version.function_name = name
    version.account_id = account_id
    version.region_name = region_name
    return version


def _physical_resource_id(self: Any) -> str:
    return function_arn(self.account_id, self.region_name, self.function_name, str(self.version))


def _get_cfn_attribute(self: Any, attribute_name: str) -> str:
    from moto.cloudformation.exceptions import UnformattedGetAttTemplateException

    if attribute_name == "Version":
        return str(self.version)
    raise UnformattedGetAttTemplateException()


def _delete(self: Any, account_id: str, region_name: str) -> None:
    """Delete the version. Lambda refuses while an alias routes to it (ResourceConflictException,
    see lambda_version_in_use): the resource's delete fails. A version already gone is deleted."""
    from moto.awslambda.exceptions import UnknownFunctionException

    try:
        lambda_backend(account_id, region_name).delete_function(
            self.function_name, str(self.version)
        )
    except UnknownFunctionException:
        return  # deleted out of band, or the function went first with its versions


def _same_version(new: Any, old: Any) -> bool:
    return bool(new.version == old.version)


def install() -> None:
    from moto.awslambda.models import LambdaVersion

    # An update publishes again; the old version stays only when publishing gave it back.
    patch_lifecycle(
        LambdaVersion, _publish, _delete, keep=lambda new, old: new.version == old.version
    )
    if not isinstance(LambdaVersion.__dict__.get("physical_resource_id"), property):
        set_attr(LambdaVersion, "physical_resource_id", property(_physical_resource_id))
    set_attr(LambdaVersion, "get_cfn_attribute", _get_cfn_attribute)
    set_attr(LambdaVersion, "has_cfn_attr", classmethod(lambda cls, attr: attr == "Version"))
    set_attr(LambdaVersion, "delete", _delete)
