"""A CREATE change set makes a REVIEW_IN_PROGRESS stack; which change set types a stack accepts.

AWS behaviour (CloudFormation API reference, CreateChangeSet, `ChangeSetType`: "If you create a
change set for a new stack, CloudFormation creates a stack with a unique stack ID, but no template
or resources. The stack will be in the REVIEW_IN_PROGRESS state until you execute the change set.
By default, CloudFormation specifies UPDATE. You can't use the UPDATE type to create a change set
for a new stack or the CREATE type to create a change set for an existing stack."):

- CREATE for a name no live stack has creates the stack in `REVIEW_IN_PROGRESS` (DescribeStacks
  shows it); it stays there when its change sets are deleted, and DeleteStack deletes it;
- CREATE for a `REVIEW_IN_PROGRESS` stack adds a change set to that same stack (same stack id);
- CREATE for any other live stack is a `ValidationError` "Stack [name] already exists and cannot
  be created again with the changeSet [cs].";
- UPDATE (the default) for a missing or `REVIEW_IN_PROGRESS` stack is a `ValidationError`
  "Stack [name] does not exist" (CloudFormation counts a stack that was never deployed as missing);
  for a stack in `ROLLBACK_COMPLETE` (and the other states that cannot be updated) it is a
  `ValidationError` "Stack:<stack id> is in ROLLBACK_COMPLETE state and can not be updated.";
- a change set name already used by one of the stack's change sets is an `AlreadyExistsException`
  "ChangeSet [cs] already exists".

moto 5.2.5 defaults to CREATE, creates a second stack of the same name for every CREATE change set,
and answers UPDATE on a REVIEW_IN_PROGRESS stack with HTTP 500.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import patch

NOT_UPDATABLE = frozenset(
    {"ROLLBACK_COMPLETE", "ROLLBACK_FAILED", "UPDATE_ROLLBACK_FAILED", "DELETE_FAILED"}
)


def live_stack(backend: Any, name_or_id: str) -> Any:
    """The stack a name or stack id designates, None when there is none (deleted ones excluded)."""
    if name_or_id in backend.stacks:
        return backend.stacks[name_or_id]
    return next((s for s in backend.stacks.values() if s.name == name_or_id), None)


def active_change_sets(backend: Any, stack: Any) -> list[Any]:
    """The change sets of `stack` that were not executed (an executed one leaves the stack)."""
    return [
        cs
        for cs in backend.change_sets.values()
        if cs.stack_id == stack.stack_id
        and not str(cs.execution_status or "").startswith("EXECUTE")
    ]


def _validation(message: str) -> Exception:
    from moto.cloudformation.exceptions import ValidationError

    return ValidationError(message=message)


def check_change_set_type(backend: Any, stack_name: str, change_set: str, kind: str) -> Any:
    """Refuse a change set the stack cannot take, as AWS does; the stack, or None if new."""
    from moto.cloudformation.exceptions import AlreadyExistsException

    stack = live_stack(backend, stack_name)
    reviewing = stack is not None and stack.status == "REVIEW_IN_PROGRESS"
    if kind == "CREATE" and stack is not None and not reviewing:
        raise _validation(
            f"Stack [{stack_name}] already exists and cannot be created again with the "
            f"changeSet [{change_set}]."
        )
    if kind != "CREATE" and (stack is None or reviewing):
        raise _validation(f"Stack [{stack_name}] does not exist")
    if kind != "CREATE" and stack.status in NOT_UPDATABLE:
        raise _validation(
            f"Stack:{stack.stack_id} is in {stack.status} state and can not be updated."
        )
    if stack is not None and any(
        cs.change_set_name == change_set for cs in active_change_sets(backend, stack)
    ):
        raise AlreadyExistsException(f"ChangeSet [{change_set}] already exists")
    return stack


def _create_response(original: Any) -> Any:
    def create_change_set(self: Any) -> Any:
        self.params.setdefault("ChangeSetType", "UPDATE")
        check_change_set_type(
            self.cloudformation_backend,
            self._get_param("StackName"),
            self._get_param("ChangeSetName"),
            self._get_param("ChangeSetType"),
        )
        return original(self)

    return create_change_set


def _create_backend(original: Any) -> Any:
    def create_change_set(self: Any, stack_name: str, *args: Any, **kwargs: Any) -> Any:
        stack = live_stack(self, stack_name)
        if stack is None or stack.status != "REVIEW_IN_PROGRESS":
            return original(self, stack_name, *args, **kwargs)
        # moto would register a second stack of that name: add the change set to this one
        known = set(self.stacks)
        change_set_id, _ = original(self, stack_name, *args, **kwargs)
        for key in set(self.stacks) - known:
            del self.stacks[key]
        change_set = self.change_sets[change_set_id]
        change_set.stack, change_set.stack_id = stack, stack.stack_id
        return change_set_id, stack.stack_id

    return create_change_set


def install() -> None:
    from moto.cloudformation.models import CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse

    patch(CloudFormationResponse, "create_change_set", _create_response)
    patch(CloudFormationBackend, "create_change_set", _create_backend)
