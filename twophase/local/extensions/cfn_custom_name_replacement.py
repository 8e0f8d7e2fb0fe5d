"""A stack update cannot replace a resource that keeps its custom name.

AWS behaviour (CloudFormation user guide, "Name type": "If you specify a name, you cannot perform
updates that require replacement of this resource. You can perform updates that require no or some
interruption. If you must replace the resource, specify a new name."): an update that would replace
a resource whose template gives it a physical name (`FunctionName`, `QueueName`, `RoleName`,
`ManagedPolicyName`, ...) and keeps that name fails that resource with "CloudFormation cannot update
a stack when a custom-named resource requires replacing. Rename <name> and update the stack again."
(`UPDATE_FAILED`), and the stack rolls back to `UPDATE_ROLLBACK_COMPLETE`. Giving it a new name in
the same update is allowed. moto 5.2.5 deletes the resource and creates it again under the same
name.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import patch, previous_resource
from twophase.local.extensions.cfn_change_sets import changed_properties, requires_replacement

# The property that names the physical resource ("Name type" in the user guide).
NAME_PROPERTY: dict[str, str] = {
    "AWS::Lambda::Function": "FunctionName",
    "AWS::SQS::Queue": "QueueName",
    "AWS::SNS::Topic": "TopicName",
    "AWS::DynamoDB::Table": "TableName",
    "AWS::S3::Bucket": "BucketName",
    "AWS::IAM::Role": "RoleName",
    "AWS::IAM::ManagedPolicy": "ManagedPolicyName",
    "AWS::Logs::LogGroup": "LogGroupName",
    "AWS::Events::Rule": "Name",
}


class CustomNamedReplacement(Exception):
    """The update would replace a resource whose custom name stays the same."""


def message(name: str) -> str:
    return (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        f"Rename {name} and update the stack again."
    )


def refuse_custom_named_replacement(old: dict[str, Any], new: dict[str, Any]) -> None:
    kind = new.get("Type", "")
    name_property = NAME_PROPERTY.get(kind)
    if name_property is None:
        return
    old_name = (old.get("Properties") or {}).get(name_property)
    new_name = (new.get("Properties") or {}).get(name_property)
    if old_name is None or old_name != new_name:
        return  # a generated name, or a new custom one: the replacement gets its own name
    props = changed_properties(old, new)
    if old.get("Type") != kind or any(requires_replacement(kind, p) for p in props):
        raise CustomNamedReplacement(message(str(old_name)))


def _refusing(original: Any) -> Any:
    def run(logical_id: str, resource_json: dict[str, Any], resources_map: Any, **kw: Any) -> Any:
        old = previous_resource(resources_map, logical_id)
        if old is not None:
            refuse_custom_named_replacement(old, resource_json)
        return original(logical_id, resource_json, resources_map, **kw)

    return run


def install() -> None:
    from moto.cloudformation import parsing

    patch(parsing, "parse_and_update_resource", _refusing)
