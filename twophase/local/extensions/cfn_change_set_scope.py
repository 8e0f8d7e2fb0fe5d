"""Change sets belong to their stack: found by name within it, listed and deleted per stack.

AWS behaviour (CloudFormation API reference, DescribeChangeSet, ExecuteChangeSet, DeleteChangeSet,
ListChangeSets, and the `ChangeSetNotFound` error, HTTP 404, "ChangeSet [name] does not exist"):

- a change set is named by its ARN, or by its name together with its stack's name or id
  (`ValidationError` "StackName must be specified if ChangeSetName is not specified as an ARN.");
  an unknown stack is a `ValidationError` "Stack [name] does not exist";
- ListChangeSets lists the change sets of that one stack (a `REVIEW_IN_PROGRESS` one included);
- DeleteChangeSet deletes one; for a name the stack does not have it succeeds all the same;
- ExecuteChangeSet refuses a change set that is not `CREATE_COMPLETE`/`AVAILABLE` with
  `InvalidChangeSetStatus` "ChangeSet [arn] cannot be executed in its current status of [FAILED]"
  (or "... execution status of [EXECUTE_COMPLETE]"); executing one deletes every other change set
  of the stack ("because they aren't valid for the updated stack"), and the executed one leaves the
  stack's list (it stays readable by ARN);
- deleting a stack deletes its change sets.

moto 5.2.5 looks change sets up by name across every stack of the region, lists them all, answers
an unknown name with "Stack with id <name> does not exist" (and DeleteChangeSet with HTTP 500), and
keeps every change set for ever.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import patch
from twophase.local.extensions.cfn_review_in_progress import active_change_sets, live_stack


def _errors() -> tuple[type[Exception], type[Exception]]:
    from moto.cloudformation.exceptions import CloudFormationError

    class ChangeSetNotFound(CloudFormationError):
        code = "ChangeSetNotFoundException"

    class InvalidChangeSetStatus(CloudFormationError):
        code = "InvalidChangeSetStatusException"

    return ChangeSetNotFound, InvalidChangeSetStatus


def _validation(message: str) -> Exception:
    from moto.cloudformation.exceptions import ValidationError

    return ValidationError(message=message)


def find_change_set(backend: Any, name: str, stack_name: str | None) -> Any:
    """The change set `name` designates, or None; raise when the stack is not there."""
    if name.startswith("arn:"):
        return backend.change_sets.get(name)
    if not stack_name:
        raise _validation(
            "StackName must be specified if ChangeSetName is not specified as an ARN."
        )
    stack = live_stack(backend, stack_name)
    if stack is None:
        raise _validation(f"Stack [{stack_name}] does not exist")
    return next(
        (cs for cs in active_change_sets(backend, stack) if cs.change_set_name == name), None
    )


def _resolved(original: Any, *, missing_ok: bool = False, executing: bool = False) -> Any:
    def handler(self: Any) -> Any:
        from moto.core.responses import EmptyResult

        name = self._get_param("ChangeSetName")
        change_set = find_change_set(
            self.cloudformation_backend, name, self._get_param("StackName")
        )
        not_found, invalid_status = _errors()
        if change_set is None and missing_ok:
            return EmptyResult()
        if change_set is None:
            raise not_found(f"ChangeSet [{name}] does not exist")
        if executing and change_set.status != "CREATE_COMPLETE":
            raise invalid_status(
                f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current "
                f"status of [{change_set.status}]"
            )
        if executing and change_set.execution_status != "AVAILABLE":
            raise invalid_status(
                f"ChangeSet [{change_set.change_set_id}] cannot be executed in its current "
                f"execution status of [{change_set.execution_status}]"
            )
        self.params["ChangeSetName"] = change_set.change_set_id
        return original(self)

    return handler


def _list(_original: Any) -> Any:
    def list_change_sets(self: Any) -> Any:
        from moto.core.responses import ActionResult

        name = self._get_param("StackName")
        stack = live_stack(self.cloudformation_backend, name)
        if stack is None:
            raise _validation(f"Stack [{name}] does not exist")
        return ActionResult({"Summaries": active_change_sets(self.cloudformation_backend, stack)})

    return list_change_sets


def _forget_others(original: Any) -> Any:
    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        executed = self.change_sets.get(change_set_name)
        try:
            original(self, change_set_name, stack_name)
        finally:
            if executed is not None:
                for key, cs in list(self.change_sets.items()):
                    if cs.stack_id == executed.stack_id and cs is not executed:
                        del self.change_sets[key]

    return execute_change_set


def _delete_with_stack(original: Any) -> Any:
    def delete_stack(self: Any, name_or_stack_id: str) -> None:
        stack = live_stack(self, name_or_stack_id)
        original(self, name_or_stack_id)
        if stack is not None and stack.stack_id not in self.stacks:
            for key, cs in list(self.change_sets.items()):
                if cs.stack_id == stack.stack_id:
                    del self.change_sets[key]

    return delete_stack


def install() -> None:
    from moto.cloudformation.models import CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse as Response

    patch(Response, "describe_change_set", lambda o: _resolved(o))
    patch(Response, "delete_change_set", lambda o: _resolved(o, missing_ok=True))
    patch(Response, "execute_change_set", lambda o: _resolved(o, executing=True))
    patch(Response, "list_change_sets", _list)
    patch(CloudFormationBackend, "execute_change_set", _forget_others)
    patch(CloudFormationBackend, "delete_stack", _delete_with_stack)
