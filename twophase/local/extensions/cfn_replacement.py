"""An update that requires replacement creates the new resource first; a custom name forbids it.

AWS behaviour (CloudFormation user guide, "Update behaviors of stack resources", Replacement:
"CloudFormation recreates the resource during an update, which also generates a new physical ID.
CloudFormation usually creates the replacement resource first, changes references from other
dependent resources to point to the replacement resource, and then deletes the old resource";
"Name type": "If you specify a name, you cannot perform updates that require replacement of this
resource. ... If you must replace the resource, specify a new name."):

- a change to a property marked "Update requires: Replacement" (or to the resource type) creates a
  new physical resource, and the old one is deleted in the cleanup phase (see cfn_update_cleanup),
  unless `UpdateReplacePolicy: Retain` keeps it (the cleanup records `DELETE_SKIPPED`);
- when the resource has a custom name (`FunctionName`, `QueueName`, `RoleName`,
  `ManagedPolicyName`, ...) that the update keeps, the resource fails with `UPDATE_FAILED`
  "CloudFormation cannot update a stack when a custom-named resource requires replacing. Rename
  <name> and update the stack again." and the stack rolls back to `UPDATE_ROLLBACK_COMPLETE`;
  giving it a new name in the same update is a plain replacement.

moto 5.2.5 hands every change to the resource's own update, which for most types ignores a new
name or deletes the resource and creates it again under the same name.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import (
    defer_cleanup,
    delete_resource,
    keep_replaced,
    patch,
    previous_resource,
)
from twophase.local.extensions.cfn_change_sets import changed_properties, requires_replacement
from twophase.local.extensions.cfn_rollback import stack_of
from twophase.local.extensions.cfn_update_references import changed_by_references

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
    "AWS::CloudWatch::Alarm": "AlarmName",
    "AWS::CodeDeploy::Application": "ApplicationName",
    "AWS::CodeDeploy::DeploymentGroup": "DeploymentGroupName",
    "AWS::CodeDeploy::DeploymentConfig": "DeploymentConfigName",
}


class CustomNamedReplacement(Exception):
    """The update would replace a resource whose custom name stays the same."""


def message(name: str) -> str:
    return (
        "CloudFormation cannot update a stack when a custom-named resource requires replacing. "
        f"Rename {name} and update the stack again."
    )


def needs_replacement(old: dict[str, Any], new: dict[str, Any], resolved: set[str]) -> bool:
    """Whether the change from `old` to `new` (plus the properties whose references now resolve
    differently, `resolved`) replaces the resource."""
    kind = new.get("Type", "")
    if old.get("Type") != kind:
        return True
    changed = set(changed_properties(old, new)) | resolved
    return any(requires_replacement(kind, p) for p in changed)


def refuse_custom_named(old: dict[str, Any], new: dict[str, Any]) -> None:
    name_property = NAME_PROPERTY.get(new.get("Type", ""))
    if name_property is None:
        return
    old_name = (old.get("Properties") or {}).get(name_property)
    if old_name is not None and old_name == (new.get("Properties") or {}).get(name_property):
        raise CustomNamedReplacement(message(str(old_name)))


def create(logical_id: str, resource_json: dict[str, Any], rm: Any) -> Any:
    """moto's parse_and_create_resource, without the create events (this is an update)."""
    from moto.cloudformation.parsing import parse_resource_and_generate_name

    resource_class, cleaned, physical_name = parse_resource_and_generate_name(
        logical_id, resource_json, rm
    )
    resource = resource_class.create_from_cloudformation_json(
        physical_name,
        cleaned,
        rm._account_id,
        rm._region_name,
        LogicalId=logical_id,
        StackId=rm.stack_id,
        ResourceType=resource_json["Type"],
    )
    resource.cf_resource_type = resource_json["Type"]
    resource.logical_resource_id = logical_id
    return resource


def _physical(resource: Any) -> Any:
    return getattr(resource, "physical_resource_id", None)


def _replacing(original: Any) -> Any:
    def run(logical_id: str, resource_json: dict[str, Any], resources_map: Any, **kw: Any) -> Any:
        old_json = previous_resource(resources_map, logical_id)
        resolved = changed_by_references(resources_map, logical_id)
        if old_json is None or not needs_replacement(old_json, resource_json, resolved):
            return original(logical_id, resource_json, resources_map, **kw)
        old = resources_map._parsed_resources.get(logical_id)
        stack = stack_of(resources_map)
        if stack is not None and stack.status == "UPDATE_ROLLBACK_IN_PROGRESS":
            return old  # it failed before it was replaced: there is nothing to undo
        refuse_custom_named(old_json, resource_json)
        new = create(logical_id, resource_json, resources_map)
        if old is not None and _physical(new) != _physical(old):
            policies = (
                old_json.get("UpdateReplacePolicy"),
                resource_json.get("UpdateReplacePolicy"),
            )
            if "Retain" in policies:
                defer_cleanup(old, keep_replaced)
            else:
                defer_cleanup(old, lambda: delete_resource(resources_map, old, old_json))
        return new

    return run


def install() -> None:
    from moto.cloudformation import parsing

    patch(parsing, "parse_and_update_resource", _replacing)
