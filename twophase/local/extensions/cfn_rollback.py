"""A failed stack create or update rolls back, with per-resource events that carry the reason.

AWS behaviour (CloudFormation user guide, "Stack status codes"): every resource operation is
recorded as a stack event (`CREATE_IN_PROGRESS`, `CREATE_COMPLETE`, `CREATE_FAILED` with
`ResourceStatusReason` holding the service's error message, likewise `UPDATE_*` and `DELETE_*`);
a failed create deletes what it created and ends in `ROLLBACK_COMPLETE` (or `CREATE_FAILED` with
rollback disabled); a failed update restores the previous template's resources, deletes what the
update created and ends in `UPDATE_ROLLBACK_COMPLETE`. moto 5.2.5 leaves a failed create in
`CREATE_IN_PROGRESS` for ever, raises the error to the caller (HTTP 500) and records no reason.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from twophase.local.extensions._cfn_common import patch, set_attr

_FAILED = "_twophase_failed"
_DELETED = "_twophase_deleted"


def reason(exc: BaseException) -> str:
    """One line naming what failed, as the service said it."""
    message = getattr(exc, "message", None) or getattr(exc, "description", None)
    if not message:
        message = " ".join(str(a) for a in exc.args) or type(exc).__name__
    return " ".join(str(message).split())


_STACK = "_twophase_stack"


def pin_stack(stack: Any) -> None:
    """Let `stack_of` find `stack` while moto has taken it out of the backend (DeleteStack)."""
    stack.resource_map.__dict__[_STACK] = stack


def stack_of(resources_map: Any) -> Any:
    """The stack that owns `resources_map` (None when it cannot be found)."""
    from moto.cloudformation.models import cloudformation_backends

    if _STACK in resources_map.__dict__:
        return resources_map.__dict__[_STACK]
    try:
        backend = cloudformation_backends[resources_map._account_id][resources_map._region_name]
    except (KeyError, AttributeError):
        return None
    return backend.stacks.get(str(getattr(resources_map, "stack_id", "")))


def add_event(
    stack: Any, logical_id: str, physical_id: str | None, kind: str, status: str, why: str = ""
) -> None:
    from moto.cloudformation.models import Event

    if stack is None:
        return
    stack.events.append(
        Event(
            stack_id=stack.stack_id,
            stack_name=stack.name,
            logical_resource_id=logical_id,
            physical_resource_id=physical_id or "",
            resource_type=kind,
            resource_status=status,
            resource_status_reason=why or None,
            resource_properties=None,
        )
    )


def stack_event(stack: Any, status: str, why: str = "") -> None:
    stack.status = status
    stack.stack_status_reason = why or None
    stack._add_stack_event(status, resource_status_reason=why or None)


def _tracked(action: str, original: Any) -> Any:
    def run(logical_id: str, resource_json: dict[str, Any], resources_map: Any, **kw: Any) -> Any:
        stack, kind = stack_of(resources_map), resource_json.get("Type", "")
        add_event(stack, logical_id, None, kind, f"{action}_IN_PROGRESS")
        try:
            resource = original(logical_id, resource_json, resources_map, **kw)
        except Exception as exc:
            add_event(stack, logical_id, None, kind, f"{action}_FAILED", reason(exc))
            failed = resources_map.__dict__.setdefault(_FAILED, [])
            if logical_id not in failed:
                failed.append(logical_id)
            raise
        if resource is not None:
            physical = getattr(resource, "physical_resource_id", None)
            add_event(stack, logical_id, str(physical or ""), kind, f"{action}_COMPLETE")
        return resource

    return run


def _delete_tracked(original: Any) -> Any:
    def _delete_resource(self: Any, parsed_resource: Any, resource_json: dict[str, Any]) -> None:
        stack, kind = stack_of(self), resource_json.get("Type", "")
        logical = getattr(parsed_resource, "logical_resource_id", "")
        physical = str(getattr(parsed_resource, "physical_resource_id", "") or "")
        add_event(stack, logical, physical, kind, "DELETE_IN_PROGRESS")
        try:
            original(self, parsed_resource, resource_json)
        except Exception as exc:
            add_event(stack, logical, physical, kind, "DELETE_FAILED", reason(exc))
            raise
        add_event(stack, logical, physical, kind, "DELETE_COMPLETE")
        self.__dict__.setdefault(_DELETED, set()).add(logical)

    return _delete_resource


def _failed_names(stack: Any) -> str:
    return ", ".join(stack.resource_map.__dict__.get(_FAILED, [])) or "unknown"


def rollback_create(stack: Any, exc: BaseException) -> None:
    """Delete what a failed create made; end in ROLLBACK_COMPLETE (CREATE_FAILED if disabled)."""
    why = f"The following resource(s) failed to create: [{_failed_names(stack)}]. "
    if getattr(stack, "disable_rollback", False):
        stack_event(stack, "CREATE_FAILED", why + reason(exc))
        return
    stack_event(stack, "ROLLBACK_IN_PROGRESS", why + "Rollback requested by user.")
    try:
        stack.resource_map.delete()
    except Exception as cleanup:
        stack_event(stack, "ROLLBACK_FAILED", reason(cleanup))
        return
    stack_event(stack, "ROLLBACK_COMPLETE")


@dataclass
class Snapshot:
    """What a stack looked like before an update, to roll back to."""

    template: Any
    template_dict: dict[str, Any]
    parameters: dict[str, Any]
    input_parameters: dict[str, Any]


def snapshot(stack: Any) -> Snapshot:
    rm = stack.resource_map
    rm.__dict__[_FAILED] = []
    rm.__dict__[_DELETED] = set()
    return Snapshot(
        template=stack.template,
        template_dict=copy.deepcopy(stack.template_dict),
        parameters=dict(stack.parameters or {}),
        input_parameters=dict(rm.input_parameters or {}),
    )


def rollback_update(stack: Any, before: Snapshot, exc: BaseException) -> None:
    """Bring the previous template's resources back and delete what the failed update created."""
    why = f"The following resource(s) failed to update: [{_failed_names(stack)}]. "
    stack_event(stack, "UPDATE_ROLLBACK_IN_PROGRESS", why + reason(exc))
    rm = stack.resource_map
    for logical in rm.__dict__.get(_DELETED, set()):
        rm._parsed_resources.pop(logical, None)
    try:
        rm.update(copy.deepcopy(before.template_dict), before.input_parameters or None)
        for logical in list(before.template_dict.get("Resources", {})):
            _ = rm[logical]  # recreate what the failed update had already removed
    except Exception as again:
        stack_event(stack, "UPDATE_ROLLBACK_FAILED", reason(again))
        return
    stack.template = before.template
    stack._parse_template()
    stack.parameters = before.parameters
    stack.output_map = stack._create_output_map()
    # UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS came with the cleanup (cfn_update_cleanup)
    stack_event(stack, "UPDATE_ROLLBACK_COMPLETE")


def _create_resources(original: Any) -> Any:
    def create_resources(self: Any) -> None:
        self.resource_map.__dict__[_FAILED] = []
        try:
            original(self)
        except Exception as exc:
            rollback_create(self, exc)

    return create_resources


def _create_stack(original: Any) -> Any:
    def create_stack(self: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        known = set(self.stacks)
        try:
            return original(self, name, *args, **kwargs)
        except Exception as exc:
            # moto resolves exported outputs before creating resources: a resource that fails
            # there must roll back too; an invalid template (no stack registered) is the caller's
            added = [s for k, s in self.stacks.items() if k not in known and s.name == name]
            if not added:
                raise
            rollback_create(added[0], exc)
            return added[0]

    return create_stack


def _update(original: Any) -> Any:
    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        before = snapshot(self)
        try:
            original(self, *args, **kwargs)
        except Exception as exc:
            rollback_update(self, before, exc)

    return update


_NOTHING_CREATED = frozenset({"ROLLBACK_IN_PROGRESS", "ROLLBACK_COMPLETE", "ROLLBACK_FAILED"})


def _outputs(original: Any) -> Any:
    def outputs(self: Any) -> Any:
        return None if self.status in _NOTHING_CREATED else original.fget(self)

    return property(outputs)


def _stack_resources(_original: Any) -> Any:
    def stack_resources(self: Any) -> list[Any]:
        """The resources that exist (moto's lazy map would create missing ones on read)."""
        rm = self.resource_map
        parsed = rm._parsed_resources
        return [parsed[k] for k in rm._resource_json_map if parsed.get(k) is not None]

    return property(stack_resources)


def install() -> None:
    from moto.cloudformation import parsing
    from moto.cloudformation.models import CloudFormationBackend, Stack

    patch(parsing, "parse_and_create_resource", lambda o: _tracked("CREATE", o))
    patch(parsing, "parse_and_update_resource", lambda o: _tracked("UPDATE", o))
    patch(parsing.ResourceMap, "_delete_resource", _delete_tracked)
    patch(Stack, "create_resources", _create_resources)
    patch(Stack, "update", _update)
    patch(CloudFormationBackend, "create_stack", _create_stack)
    if not getattr(Stack.__dict__["outputs"].fget, "__twophase_patched__", False):
        set_attr(Stack, "outputs", _outputs(Stack.__dict__["outputs"]))
        set_attr(Stack, "stack_resources", _stack_resources(None))
        Stack.__dict__["outputs"].fget.__twophase_patched__ = True
