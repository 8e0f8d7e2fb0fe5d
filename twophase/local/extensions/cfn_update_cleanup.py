"""An update deletes removed and replaced resources last, in a cleanup phase that cannot fail it.

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
    delete_resource,
    dependents_first,
    keep_replaced,
    patch,
    remember_previous,
)
from twophase.local.extensions.cfn_rollback import add_event, reason, stack_event, stack_of
from twophase.local.extensions.cfn_update_references import follow_references, record_resolved

_REPLACED = "_twophase_replaced"


def _apply(rm: Any, added: list[str], modified: list[str]) -> None:
    """Create `added` and update `modified` together in creation order (what a resource refers
    to comes first), stopping at the first failure: the update then fails."""
    from moto.cloudformation import parsing

    for name in reversed(dependents_first(rm._resource_json_map)):
        if name in added:
            _ = rm[name]
        elif name in modified:
            changed = parsing.parse_and_update_resource(
                name,
                rm._resource_json_map[name],
                rm,
                account_id=rm._account_id,
                region_name=rm._region_name,
            )
            if changed is not None:  # moto models without update support keep the resource
                rm._parsed_resources[name] = changed
            record_resolved(rm, name)


def _modify(rm: Any, names: list[str]) -> None:
    _apply(rm, [], names)


def _delete_old(stack: Any, old: Any, remove: Any) -> None:
    logical = str(getattr(old, "logical_resource_id", ""))
    physical = str(getattr(old, "physical_resource_id", "") or "")
    kind = str(getattr(old, "cf_resource_type", ""))
    if remove is keep_replaced:
        add_event(stack, logical, physical, kind, "DELETE_SKIPPED")
        return
    add_event(stack, logical, physical, kind, "DELETE_IN_PROGRESS")
    try:
        remove()
    except Exception as exc:
        add_event(stack, logical, physical, kind, "DELETE_FAILED", reason(exc))
        return
    add_event(stack, logical, physical, kind, "DELETE_COMPLETE")


def _cleanup(
    rm: Any, stack: Any, previous: dict[str, Any], removed: list[str], replaced: list[Any]
) -> None:
    """Delete what the update left behind, dependents first (as the previous template says); a
    failure is an event, never the update's failure."""
    if stack is not None:
        rolling_back = stack.status == "UPDATE_ROLLBACK_IN_PROGRESS"
        phase = "UPDATE_ROLLBACK" if rolling_back else "UPDATE"
        stack_event(stack, f"{phase}_COMPLETE_CLEANUP_IN_PROGRESS")
    pending: dict[str, list[Any]] = {}
    for old, remove in replaced:
        pending.setdefault(str(getattr(old, "logical_resource_id", "")), []).append((old, remove))
    for name in removed:
        parsed = rm._parsed_resources.pop(name, None)
        if parsed is None or isinstance(parsed, str):
            continue  # never created (a false Condition, or a failed create)
        if previous[name].get("DeletionPolicy") == "Retain":
            pending.setdefault(name, []).append((parsed, keep_replaced))
        else:
            body = previous[name]
            pending.setdefault(name, []).append(
                (parsed, lambda p=parsed, b=body: delete_resource(rm, p, b))
            )
    order = dependents_first(previous)
    for name in sorted(pending, key=lambda n: order.index(n) if n in order else -1):
        for old, remove in pending[name]:
            _delete_old(stack, old, remove)


def _restore_replaced(rm: Any, failed_template: dict[str, Any]) -> tuple[list[Any], set[str]]:
    """Rolling back: point the stack at the resources a failed update replaced again, and have
    the rollback's cleanup delete their replacements."""
    cleanup: list[Any] = []
    restored: set[str] = set()
    for old in rm.__dict__.pop(_REPLACED, []):
        name = old.logical_resource_id
        new = rm._parsed_resources.get(name)
        rm._parsed_resources[name] = old
        restored.add(name)
        if new is not None and new is not old and name in failed_template:
            body = failed_template[name]
            cleanup.append((new, lambda n=new, b=body: delete_resource(rm, n, b)))
    return cleanup, restored


def _update(_original: Any) -> Any:
    def update(
        self: Any, template: dict[str, Any], parameters: dict[str, Any] | None = None
    ) -> None:
        previous = dict(self._resource_json_map)
        stack = stack_of(self)
        diff = self.build_resource_diff(template, parameters)
        rolling_back = stack is not None and stack.status == "UPDATE_ROLLBACK_IN_PROGRESS"
        undo, restored = _restore_replaced(self, previous) if rolling_back else ([], set())
        self._template = template
        if parameters:
            self.input_parameters = parameters
        self.load_mapping()
        self.load_parameters()
        self.load_conditions()
        self._resource_json_map = template["Resources"]
        remember_previous(self, previous)
        with collecting_cleanup() as replaced:
            try:
                _apply(self, diff["Add"], [n for n in diff["Modify"] if n not in restored])
                for name in restored:
                    record_resolved(self, name)
                changed = set(diff["Add"]) | set(diff["Modify"])
                follow_references(self, changed, _modify)
            except Exception:
                self.__dict__[_REPLACED] = [old for old, _ in replaced]
                raise
            finally:
                remember_previous(self, {})
        if previous:
            _cleanup(self, stack, previous, diff["Remove"], undo + replaced)

    return update


def install() -> None:
    from moto.cloudformation.parsing import ResourceMap

    patch(ResourceMap, "update", _update)
