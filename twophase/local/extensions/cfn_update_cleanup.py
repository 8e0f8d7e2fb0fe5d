"""A stack update deletes removed and replaced resources last, in a cleanup phase that cannot fail it.

AWS behaviour (CloudFormation user guide, "Monitor the progress of a stack update" and "Stack
status codes"): an update creates the new resources and updates the changed ones first (a
replacement is created before the resource it replaces is deleted); then the stack enters
`UPDATE_COMPLETE_CLEANUP_IN_PROGRESS` ("ongoing removal of old resources ... after a successful
stack update") and deletes the resources the template no longer has and the replaced ones, each
after the resources that refer to it. A delete that fails there is recorded as `DELETE_FAILED` with
the service's reason, the resource is left behind, and the stack still ends `UPDATE_COMPLETE`. A
rollback does the same in `UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS`.

moto 5.2.5 deletes removed resources before creating or updating anything, retries failed deletes,
and fails the whole update (HTTP 500) when one keeps failing.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import (
    collecting_cleanup,
    dependents_first,
    patch,
    remember_previous,
)
from twophase.local.extensions.cfn_rollback import add_event, reason, stack_event, stack_of
from twophase.local.extensions.cfn_update_references import follow_references, record_resolved


def _modify(rm: Any, names: list[str]) -> None:
    """Update `names` in creation order; like moto, retry what failed while others progress."""
    from moto.cloudformation import parsing

    order = list(reversed(dependents_first(rm._resource_json_map)))
    pending = [n for n in order if n in names]
    last: Exception | None = None
    for _ in range(parsing.MAX_UPDATE_ATTEMPTS):
        for name in list(pending):
            try:
                changed = parsing.parse_and_update_resource(
                    name,
                    rm._resource_json_map[name],
                    rm,
                    account_id=rm._account_id,
                    region_name=rm._region_name,
                )
            except Exception as exc:
                last = exc
                continue
            if changed is not None:  # moto models without update support keep the resource
                rm._parsed_resources[name] = changed
            record_resolved(rm, name)
            pending.remove(name)
        if not pending:
            return
    assert last is not None
    raise last


def _delete_replaced(stack: Any, old: Any, remove: Any) -> None:
    logical = str(getattr(old, "logical_resource_id", ""))
    physical = str(getattr(old, "physical_resource_id", "") or "")
    kind = str(getattr(old, "cf_resource_type", ""))
    add_event(stack, logical, physical, kind, "DELETE_IN_PROGRESS")
    try:
        remove()
    except Exception as exc:
        add_event(stack, logical, physical, kind, "DELETE_FAILED", reason(exc))
        return
    add_event(stack, logical, physical, kind, "DELETE_COMPLETE")


def _cleanup(rm: Any, removed: dict[str, Any], replaced: list[tuple[Any, Any]]) -> None:
    """Delete what the update left behind; a failure is an event, never the update's failure."""
    stack = stack_of(rm)
    rolling_back = stack is not None and stack.status == "UPDATE_ROLLBACK_IN_PROGRESS"
    if stack is not None:
        phase = "UPDATE_ROLLBACK" if rolling_back else "UPDATE"
        stack_event(stack, f"{phase}_COMPLETE_CLEANUP_IN_PROGRESS")
    for old, remove in replaced:
        _delete_replaced(stack, old, remove)
    for name in dependents_first(removed):
        parsed = rm._parsed_resources.pop(name, None)
        if parsed is None or isinstance(parsed, str):
            continue  # never created (a false Condition, or a failed create)
        if removed[name].get("DeletionPolicy") == "Retain":
            physical = str(getattr(parsed, "physical_resource_id", "") or "")
            add_event(stack, name, physical, removed[name]["Type"], "DELETE_SKIPPED")
            continue
        try:
            rm._delete_resource(parsed, removed[name])  # records DELETE_* events (cfn_rollback)
        except Exception:
            continue  # DELETE_FAILED is recorded; the resource stays behind


def _update(_original: Any) -> Any:
    def update(
        self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None
    ) -> None:
        previous = dict(self._resource_json_map)
        diff = self.build_resource_diff(template, parameters)
        self._template = template
        if parameters:
            self.input_parameters = parameters
        self.load_mapping()
        self.load_parameters()
        self.load_conditions()
        self._resource_json_map = template["Resources"]
        remember_previous(self, previous)
        try:
            with collecting_cleanup() as replaced:
                for name in diff["Add"]:
                    _ = self[name]
                _modify(self, diff["Modify"])
                follow_references(self, set(diff["Add"]) | set(diff["Modify"]), _modify)
        finally:
            remember_previous(self, {})
        if previous:
            _cleanup(self, {n: previous[n] for n in diff["Remove"]}, replaced)

    return update


def install() -> None:
    from moto.cloudformation.parsing import ResourceMap

    patch(ResourceMap, "update", _update)
