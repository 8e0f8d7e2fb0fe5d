"""A root change set executes and deletes its nested change sets with it.

AWS behaviour (CloudFormation user guide, "Change sets for nested stacks",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/change-sets-for-nested-stacks.html:
"You must execute or delete change sets for nested stacks from the root change set"):

- executing the root change set "will apply the change set on the whole hierarchy of stacks":
  each nested stack takes the template its nested change set was made with (not what its
  TemplateURL holds by then), a new one is created as the stack its change set made, and nested
  stacks without a change set are left alone; afterwards the nested change sets have
  ExecutionStatus EXECUTE_COMPLETE (EXECUTE_FAILED when the root failed) and, like any executed
  change set, leave their stacks' lists;
- ExecuteChangeSet on a nested change set is refused for its UNAVAILABLE execution status
  (InvalidChangeSetStatus, see cfn_change_set_scope);
- deleting the root "will delete the whole hierarchy of change sets. Nested stacks in the
  REVIEW_IN_PROGRESS status will also be deleted if they were created during the
  create-change-set action"; so does deleting its stack, or executing another of its change sets.

moto 5.2.5 has no nested change sets.
"""

from __future__ import annotations

from contextlib import nullcontext
from typing import Any

from twophase.local.extensions._cfn_common import patch
from twophase.local.extensions.cfn_nested_change_sets import WHERE
from twophase.local.extensions.cfn_nested_stacks import Planned, following


def descendants(backend: Any, change_set: Any) -> list[Any]:
    found = [
        cs
        for cs in backend.change_sets.values()
        if cs.parent_change_set_id == change_set.change_set_id
    ]
    return found + [d for cs in found for d in descendants(backend, cs)]


def _drop_review(backend: Any, change_set: Any) -> None:
    """Delete the REVIEW_IN_PROGRESS stack a nested change set made and never ran."""
    stack = change_set.stack
    if stack.status == "REVIEW_IN_PROGRESS" and stack.stack_id in backend.stacks:
        backend.delete_stack(stack.stack_id)


def prune(backend: Any) -> None:
    """Drop the nested change sets whose root change set is gone."""
    for key, cs in list(backend.change_sets.items()):
        root = cs.root_change_set_id
        if root and root not in backend.change_sets and backend.change_sets.pop(key, None):
            _drop_review(backend, cs)


def _plan(nested: list[Any]) -> dict[tuple[str, str], Planned]:
    return {
        getattr(cs, WHERE): Planned(
            cs.template, cs.stack if cs.change_set_type == "CREATE" else None
        )
        for cs in nested
    }


def _execute(original: Any) -> Any:
    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        root = self.change_sets.get(change_set_name)  # an ARN (cfn_change_set_scope)
        including = root is not None and root.include_nested_stacks
        nested = descendants(self, root) if including else []
        try:
            with following(_plan(nested)) if including else nullcontext():
                original(self, change_set_name, stack_name)
        finally:
            done = str(root.execution_status if root is not None else "")
            for cs in nested:
                cs.execution_status = done if done.startswith("EXECUTE") else "EXECUTE_FAILED"
                _drop_review(self, cs)
            prune(self)

    return execute_change_set


def _then_prune(original: Any) -> Any:
    def run(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        prune(self)

    return run


def install() -> None:
    from moto.cloudformation.models import CloudFormationBackend

    from twophase.local.extensions import cfn_stack_delete

    cfn_stack_delete.install()  # the stack's delete this module follows comes first
    patch(CloudFormationBackend, "execute_change_set", _execute)
    patch(CloudFormationBackend, "delete_change_set", _then_prune)
    patch(CloudFormationBackend, "delete_stack", _then_prune)
