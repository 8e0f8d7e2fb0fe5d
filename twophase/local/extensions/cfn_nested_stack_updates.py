"""A parent's update updates its changed nested stacks in place, and its rollback restores them.

AWS behaviour (AWS::CloudFormation::Stack,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stack.html:
"When you apply template changes to update a top-level stack, CloudFormation updates the top-level
stack and initiates an update to its nested stacks. CloudFormation updates the resources of
modified nested stacks, but doesn't update the resources of unmodified nested stacks"; user guide,
"Nested stacks" and "Stack status codes"):

- a parent update reads each nested stack's template again: one whose template or parameters
  changed is updated in place (same stack, UPDATE_IN_PROGRESS → UPDATE_COMPLETE), its resources
  diffed as in any stack update, so a resource it keeps is left as it is; an unchanged one is not
  touched;
- a nested stack whose update fails rolls back, and its resource in the parent fails with
  "Embedded stack <arn> was not successfully updated. Currently in UPDATE_ROLLBACK_IN_PROGRESS
  with reason: ..."; the parent rolls back, and every nested stack it had updated goes back to
  its previous template and parameters (UPDATE_ROLLBACK_IN_PROGRESS → UPDATE_ROLLBACK_COMPLETE).

moto 5.2.5 deletes a nested stack and creates it again on every parent update: every function in it
is deleted, with its versions, aliases and pushed code.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any

from twophase.local.extensions._cfn_common import patch
from twophase.local.extensions.cfn_nested_stacks import (
    STACK_TYPE,
    NestedStackFailed,
    backend_of,
    failed_resources,
    fetch_target,
    is_stack,
    nested_parameters,
    planning,
    same_as,
    validation,
)
from twophase.local.extensions.cfn_rollback import reason, stack_event, stack_of

_BEFORE = "_twophase_nested_before"
_ROLLING_BACK = "UPDATE_ROLLBACK_IN_PROGRESS"


@dataclass(frozen=True)
class _Before:
    template: Any
    parameters: dict[str, str]


def _before(resources_map: Any) -> dict[str, _Before]:
    """The nested stacks the parent's update in progress changed, with what they were before."""
    found: dict[str, _Before] = resources_map.__dict__.setdefault(_BEFORE, {})
    return found


def _rollback_reason(child: Any) -> str:
    for event in reversed(child.events):
        if event.logical_resource_id == child.name and event.resource_status == _ROLLING_BACK:
            return str(event.resource_status_reason or "")
    failed = failed_resources(child, "UPDATE_FAILED")
    return f"The following resource(s) failed to update: [{failed}]. "


def update_child(backend: Any, child: Any, body: str, parameters: dict[str, str]) -> None:
    child.update(body, parameters=parameters)  # a failure rolls the child back (cfn_rollback)
    if child.status != "UPDATE_COMPLETE":
        raise NestedStackFailed(
            f"Embedded stack {child.stack_id} was not successfully updated. "
            f"Currently in {_ROLLING_BACK} with reason: {_rollback_reason(child)}"
        )
    for export in child.exports:
        backend.exports[export.name] = export


def restore(resources_map: Any, logical_id: str, child: Any) -> None:
    """Rolling the parent back: put `child` back to the template it had before the update."""
    before = _before(resources_map).pop(logical_id, None)
    if before is None or same_as(child, before.template, before.parameters):
        return
    stack_event(child, _ROLLING_BACK)
    child.template = before.template
    child._parse_template()
    try:
        child.resource_map.update(copy.deepcopy(child.template_dict), before.parameters)
    except Exception as exc:
        stack_event(child, "UPDATE_ROLLBACK_FAILED", reason(exc))
        raise
    child.parameters = before.parameters
    child.output_map = child._create_output_map()
    stack_event(child, "UPDATE_ROLLBACK_COMPLETE")


def _desired(
    props: dict[str, Any], parent: Any, logical_id: str, account_id: str, region: str
) -> tuple[str, dict[str, str]]:
    """(template, parameters) the parent's update wants for its nested stack `logical_id`."""
    plan = planning() or {}
    planned = None if parent is None else plan.get((parent.stack_id, logical_id))
    if planned is not None:
        return planned.template, nested_parameters(planned.template, props)
    return fetch_target(props, account_id, region)


def _update(_original: Any) -> Any:
    def update_from_cloudformation_json(
        cls: Any,
        original_resource: Any,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> Any:
        child = original_resource
        backend = backend_of(account_id, region_name)
        parent = backend.stacks.get(str(getattr(child, "parent_id", "")))
        logical = str(getattr(child, "logical_resource_id", ""))
        if parent is not None and parent.status == _ROLLING_BACK:
            restore(parent.resource_map, logical, child)
            return child
        if child.stack_id not in backend.stacks:
            raise validation(f"Stack [{child.stack_id}] does not exist")
        props = cloudformation_json["Properties"]
        body, params = _desired(props, parent, logical, account_id, region_name)
        if same_as(child, body, params):
            return child
        if parent is not None:
            previous = _Before(child.template, dict(child.parameters or {}))
            _before(parent.resource_map)[logical] = previous
        update_child(backend, child, body, params)
        return child

    return classmethod(update_from_cloudformation_json)


def _changed(rm: Any, stack: Any, name: str, body: dict[str, Any], child: Any) -> bool:
    """Whether the nested stack `name`, the same in its parent's template, has a new template
    or new parameters to take."""
    from moto.cloudformation.parsing import clean_json

    plan = planning()
    if plan is not None:
        return (stack.stack_id, name) in plan
    try:
        props = clean_json(copy.deepcopy(body.get("Properties") or {}), rm)
        template, params = fetch_target(props, rm._account_id, rm._region_name)
    except Exception:
        return True  # the update says why
    return not same_as(child, template, params)


def _diff(original: Any) -> Any:
    def build_resource_diff(
        self: Any, other_template: dict[str, Any], parameters: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        diff: dict[str, Any] = original(self, other_template, parameters)
        stack = stack_of(self)
        if stack is None or stack.status == _ROLLING_BACK:
            return diff
        listed = set(diff["Add"]) | set(diff["Modify"])
        for name, body in (other_template.get("Resources") or {}).items():
            child = self._parsed_resources.get(name)
            if body.get("Type") != STACK_TYPE or name in listed or not is_stack(child):
                continue
            if name in self._resource_json_map and _changed(self, stack, name, body, child):
                diff["Modify"].append(name)
        return diff

    return build_resource_diff


def _update_map(original: Any) -> Any:
    def update(
        self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None
    ) -> None:
        stack = stack_of(self)
        rolling_back = stack is not None and stack.status == _ROLLING_BACK
        if not rolling_back:
            _before(self).clear()
        original(self, template, parameters)
        if rolling_back:  # nested stacks the parent's template names the same way
            for logical in list(_before(self)):
                child = self._parsed_resources.get(logical)
                if is_stack(child):
                    restore(self, logical, child)
            _before(self).clear()

    return update


def install() -> None:
    from moto.cloudformation.models import Stack
    from moto.cloudformation.parsing import ResourceMap

    from twophase.local.extensions import cfn_update_cleanup

    cfn_update_cleanup.install()  # the update this module wraps comes first
    patch(Stack, "update_from_cloudformation_json", _update)
    patch(ResourceMap, "build_resource_diff", _diff)
    patch(ResourceMap, "update", _update_map)
