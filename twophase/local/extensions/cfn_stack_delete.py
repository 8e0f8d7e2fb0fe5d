"""A stack is deleted in reverse dependency order; a refused delete leaves it DELETE_FAILED.

AWS behaviour (CloudFormation user guide, "Delete a stack" and "Stack status codes"): DeleteStack
answers at once and deletes every resource after the resources that refer to it (`Ref`,
`Fn::GetAtt`, `Fn::Sub`, `DependsOn`), skipping those with `DeletionPolicy: Retain`
(`DELETE_SKIPPED`). When a resource's delete fails (`DELETE_FAILED` with the service's reason), the
resources it refers to are kept, and the stack ends `DELETE_FAILED` with the reason "The following
resource(s) failed to delete: [Name]. "; it stays listed and DeleteStack can be called again. The
same order applies when a failed create rolls back. moto 5.2.5 deletes in arbitrary order,
retrying failures, and when one keeps failing answers DeleteStack with an error and forgets the
stack.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import dependents_first, patch, references
from twophase.local.extensions.cfn_rollback import (
    add_event,
    pin_stack,
    reason,
    stack_event,
    stack_of,
)


class ResourcesFailedToDelete(Exception):
    """Some resources of the stack could not be deleted."""

    def __init__(self, names: list[str], first: BaseException) -> None:
        super().__init__(f"The following resource(s) failed to delete: [{', '.join(names)}]. ")
        self.first = first


def delete_resources(rm: Any, stack: Any = None) -> None:
    """Delete the resources of `rm`, dependents first; raise ResourcesFailedToDelete at the end."""
    resources: dict[str, Any] = dict(rm._resource_json_map)
    failed: dict[str, BaseException] = {}
    kept: set[str] = set()
    for name in dependents_first(resources):
        parsed = rm._parsed_resources.get(name)
        if parsed is None or isinstance(parsed, str):
            continue  # never created
        if resources[name].get("DeletionPolicy") == "Retain":
            physical = str(getattr(parsed, "physical_resource_id", "") or "")
            add_event(stack, name, physical, resources[name]["Type"], "DELETE_SKIPPED")
            continue
        if any(name in references(resources[d]) for d in set(failed) | kept):
            kept.add(name)  # something that refers to it is still there
            continue
        try:
            rm._delete_resource(parsed, resources[name])  # records DELETE_* events (cfn_rollback)
        except Exception as exc:
            failed[name] = exc
            continue
        rm._parsed_resources.pop(name, None)
    if failed:
        raise ResourcesFailedToDelete(sorted(failed), next(iter(failed.values())))


def _delete(_original: Any) -> Any:
    def delete(self: Any) -> None:
        delete_resources(self, stack_of(self))

    return delete


def _delete_stack(original: Any) -> Any:
    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        stack = self.stacks.get(name_or_stack_id) or next(
            (s for s in self.stacks.values() if s.name == name_or_stack_id), None
        )
        if stack is not None:
            pin_stack(stack)
        try:
            original(self, name_or_stack_id)
        except Exception as exc:
            if stack is None:
                raise
            self.deleted_stacks.pop(stack.stack_id, None)
            self.stacks[stack.stack_id] = stack
            why = str(exc) if isinstance(exc, ResourcesFailedToDelete) else reason(exc)
            stack_event(stack, "DELETE_FAILED", why)

    return delete_stack


def install() -> None:
    from moto.cloudformation.models import CloudFormationBackend
    from moto.cloudformation.parsing import ResourceMap

    patch(ResourceMap, "delete", _delete)
    patch(CloudFormationBackend, "delete_stack", _delete_stack)
