"""A change set with `IncludeNestedStacks` holds a change set for each nested stack that changes.

AWS behaviour (CloudFormation user guide, "Change sets for nested stacks",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/change-sets-for-nested-stacks.html;
API reference, CreateChangeSet `IncludeNestedStacks`, DescribeChangeSet, ResourceChangeDetail):

- CreateChangeSet with `IncludeNestedStacks` true makes, for every nested stack that changes (its
  template or parameters), a change set on that nested stack: `ParentChangeSetId` and
  `RootChangeSetId` set, `IncludeNestedStacks` true, Status CREATE_COMPLETE, ExecutionStatus
  UNAVAILABLE with StatusReason "Executable from root change set", and as `Changes` the nested
  stack's own resource changes. The parent's row for it is Action Modify, ResourceType
  AWS::CloudFormation::Stack, Replacement "False", `ChangeSetId` the nested change set's ARN, and
  a detail with ChangeSource "Automatic". A nested stack the template adds is an Add row with a
  CREATE nested change set, for a nested stack made in REVIEW_IN_PROGRESS ("Nested stacks in the
  REVIEW_IN_PROGRESS status will also be deleted if they were created during the
  create-change-set action"). Unchanged nested stacks have no row.
- Without it there are no nested change sets, and every nested stack the template keeps is a
  Modify row with ChangeSource "Automatic": "If you made no changes to the
  AWS::CloudFormation::Stack resource, CloudFormation sets the ChangeSource to Automatic because
  the nested stack's template might have changed".
- a nested template CloudFormation cannot use (past a quota, unreadable) fails its nested change
  set with the reason, and each change set above it with "Nested change set <arn> was not
  successfully created: Currently in FAILED.".

moto 5.2.5 ignores `IncludeNestedStacks`.
"""

from __future__ import annotations

import copy
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast

from twophase.local.extensions._cfn_common import patch, references, set_attr
from twophase.local.extensions.cfn_change_sets import ResourceChange, requires_replacement
from twophase.local.extensions.cfn_nested_stacks import (
    STACK_TYPE,
    fetch_target,
    is_stack,
    nested_parameters,
    review_stack,
    same_as,
)
from twophase.local.extensions.cfn_rollback import reason

EXECUTABLE_FROM_ROOT = "Executable from root change set"
AUTOMATIC = {
    "Target": {"Attribute": "Properties", "RequiresRecreation": "Never"},
    "Evaluation": "Dynamic",
    "ChangeSource": "Automatic",
}
_PLANS = "_twophase_nested_plans"
WHERE = "_twophase_nested_where"  # (parent stack id, logical id) of a nested change set
_INCLUDE: ContextVar[bool] = ContextVar("twophase_include_nested", default=False)


@dataclass(frozen=True)
class Target:
    """What a nested stack is to become: its template (None when it cannot be read, `error`
    saying why) and parameters."""

    template: str | None
    parameters: dict[str, str]
    error: str | None = None


@dataclass(frozen=True)
class NestedChange:
    """A nested stack that gets its own change set: the parent's row for it, and its stack
    (None for a new one)."""

    row: ResourceChange
    logical_id: str
    target: Target
    child: Any


def _probe(change_set: Any) -> Any:
    """The stack's resource map with the change set's parameters, which resolves references to
    what exists and refuses the rest (never creating anything)."""
    rm = change_set.stack.resource_map
    probe = object.__new__(type(rm))
    probe.__dict__.update(rm.__dict__)
    probe._parsed_resources = dict(rm._parsed_resources)
    probe._resource_json_map = {}
    probe.resolved_parameters = {}
    probe._template = change_set.template_dict or {}
    probe.input_parameters = dict(change_set.parameters or rm.input_parameters or {})
    probe.load_mapping()
    probe.load_parameters()
    probe.load_conditions()
    return probe


class _Targets:
    """Resolves the nested stacks' properties of one change set."""

    def __init__(self, change_set: Any) -> None:
        self.change_set = change_set
        self._probe: Any = None

    def of(self, body: dict[str, Any]) -> Target | None:
        """The nested stack's target, None when its properties refer to what is not there yet."""
        from moto.cloudformation.parsing import clean_json

        try:
            if self._probe is None:
                self._probe = _probe(self.change_set)
            props = clean_json(copy.deepcopy(body.get("Properties") or {}), self._probe)
        except Exception:
            return None
        stack = self.change_set.stack
        try:
            template, params = fetch_target(props, stack.account_id, stack.region_name)
        except Exception as exc:
            return Target(None, nested_parameters("{}", props), reason(exc))
        return Target(template, params)


def automatic_row(logical_id: str, child: Any) -> ResourceChange:
    row = ResourceChange("Modify", logical_id, STACK_TYPE, child.stack_id)
    row.replacement, row.scope, row.details = "False", ["Properties"], [dict(AUTOMATIC)]
    return row


def _insert(rows: list[ResourceChange], row: ResourceChange) -> None:
    """Add `row` after the Add and Modify rows, before the Remove rows."""
    at = next((i for i, r in enumerate(rows) if r.action == "Remove"), len(rows))
    rows.insert(at, row)


def _no_changes(change_set: Any) -> bool:
    stack = change_set.stack
    return bool(
        change_set.change_set_type == "UPDATE"
        and stack.has_template(change_set.template)
        and stack.has_parameters(change_set.parameters)
    )


def nested_changes(change_set: Any, rows: list[ResourceChange], include: bool) -> list[Any]:
    """Complete `rows` for the nested stacks of `change_set`; the ones that get a change set."""
    if not include and _no_changes(change_set):
        return []  # the change set fails for want of changes
    rm = change_set.stack.resource_map
    by_name = {r.logical_resource_id: r for r in rows}
    targets, out = _Targets(change_set), []
    for name, body in ((change_set.template_dict or {}).get("Resources") or {}).items():
        row, child = by_name.get(name), rm._parsed_resources.get(name)
        if body.get("Type") != STACK_TYPE:
            continue
        target = targets.of(body) if include else None
        if row is not None and row.action == "Add":
            if target is not None:
                out.append(NestedChange(row, name, target, None))
        elif name in rm._resource_json_map and is_stack(child):
            kept = _kept(rows, row, name, child, target, include)
            out += [kept] if kept is not None else []
    return out


def _kept(
    rows: list[ResourceChange],
    row: ResourceChange | None,
    name: str,
    child: Any,
    target: Target | None,
    include: bool,
) -> NestedChange | None:
    """A nested stack the template keeps: its Automatic row, and its change set if it has one."""
    if include and (target is None or _unchanged(child, target)):
        return None  # nothing to change in it (or nothing known yet)
    if row is None:
        row = automatic_row(name, child)
        _insert(rows, row)
    else:
        row.details = [*(row.details or []), dict(AUTOMATIC)]
    return None if target is None else NestedChange(row, name, target, child)


def _unchanged(child: Any, target: Target) -> bool:
    return target.error is None and same_as(child, target.template, target.parameters)


def parameter_rows(change_set: Any, rows: list[ResourceChange]) -> list[ResourceChange]:
    """Modify rows for the unchanged resources that use a parameter whose value changes
    (ChangeSource ParameterReference): a nested stack changes through its parameters."""
    stack, declared = change_set.stack, (change_set.template_dict or {}).get("Parameters") or {}
    before, after = dict(stack.parameters or {}), dict(change_set.parameters or {})

    def value(inputs: dict[str, str], key: str) -> Any:
        return inputs.get(key, str(declared[key].get("Default")))

    changed = {k for k in declared if value(before, k) != value(after, k)}
    old = stack.resource_map._resource_json_map
    listed = {r.logical_resource_id for r in rows}
    out = []
    for name, body in ((change_set.template_dict or {}).get("Resources") or {}).items():
        if name in listed or old.get(name) != body:
            continue
        causes = {
            p: sorted(references(v) & changed) for p, v in (body.get("Properties") or {}).items()
        }
        causes = {p: c for p, c in causes.items() if c}
        if causes:
            out.append(_parameter_row(name, body["Type"], stack, causes))
    return out


def _parameter_row(
    name: str, kind: str, stack: Any, causes: dict[str, list[str]]
) -> ResourceChange:
    parsed = stack.resource_map._parsed_resources.get(name)
    row = ResourceChange("Modify", name, kind, getattr(parsed, "physical_resource_id", None))
    row.replacement = str(any(requires_replacement(kind, p) for p in causes))
    row.scope = ["Properties"]
    row.details = [
        {
            "Target": {
                "Attribute": "Properties",
                "Name": p,
                "RequiresRecreation": "Always" if requires_replacement(kind, p) else "Never",
            },
            "Evaluation": "Static",
            "ChangeSource": "ParameterReference",
            "CausingEntity": c[0],
        }
        for p, c in causes.items()
    ]
    return row


def _diff(original: Any) -> Any:
    def diff(self: Any) -> list[ResourceChange]:
        rows: list[ResourceChange] = original(self)
        setattr(self, _PLANS, nested_changes(self, rows, _INCLUDE.get()))
        return rows

    return diff


def _nested_change_set(backend: Any, parent_cs: Any, root: Any, change: NestedChange) -> Any:
    from moto.cloudformation.models import ChangeSet
    from moto.cloudformation.parsing import generate_resource_name
    from moto.cloudformation.utils import generate_changeset_id, random_suffix

    target, parent = change.target, parent_cs.stack
    child = change.child or review_stack(
        backend,
        parent,
        generate_resource_name(STACK_TYPE, parent.name, change.logical_id),
        target.parameters,
    )
    name = f"{parent_cs.change_set_name}-{change.logical_id}-{random_suffix()}"[:128]
    nested = cast(Any, ChangeSet)(
        change_set_type="UPDATE" if change.child is not None else "CREATE",
        change_set_id=generate_changeset_id(name, backend.region_name, backend.account_id),
        change_set_name=name,
        stack=child,
        template=target.template or "{}",
        parameters=target.parameters,
        description=None,
    )
    nested.include_nested_stacks = True
    nested.parent_change_set_id = parent_cs.change_set_id
    nested.root_change_set_id = root.change_set_id
    setattr(nested, WHERE, (parent.stack_id, change.logical_id))
    if target.error is not None:
        nested.changes, nested.status, nested.status_reason = [], "FAILED", target.error
        setattr(nested, _PLANS, [])
    else:
        nested.changes = [*nested.changes, *parameter_rows(nested, nested.changes)]
        nested.status, nested.status_reason = "CREATE_COMPLETE", EXECUTABLE_FROM_ROOT
    nested.execution_status = "UNAVAILABLE"
    backend.change_sets[nested.change_set_id] = nested
    return nested


def _fail(change_set: Any, culprit: Any) -> None:
    change_set.status, change_set.execution_status = "FAILED", "UNAVAILABLE"
    change_set.status_reason = (
        f"Nested change set {culprit.change_set_id} was not successfully created: "
        "Currently in FAILED."
    )


def make_nested(backend: Any, parent_cs: Any, root: Any) -> Any:
    """Create the nested change sets under `parent_cs`; the first child whose hierarchy
    failed (None when none did)."""
    failed = None
    for change in getattr(parent_cs, _PLANS, []):
        nested = _nested_change_set(backend, parent_cs, root, change)
        change.row.change_set_id = nested.change_set_id
        culprit = nested if nested.status == "FAILED" else make_nested(backend, nested, root)
        if culprit is not None and culprit is not nested:
            _fail(nested, culprit)
        failed = failed or (nested if culprit is not None else None)
    return failed


def _create_backend(original: Any) -> Any:
    def create_change_set(self: Any, *args: Any, **kwargs: Any) -> tuple[str, str]:
        change_set_id, stack_id = original(self, *args, **kwargs)
        root = self.change_sets[change_set_id]
        root.include_nested_stacks = _INCLUDE.get()
        if not root.include_nested_stacks:
            return change_set_id, stack_id
        failed = make_nested(self, root, root)
        if failed is not None:
            _fail(root, failed)
        elif root.status == "FAILED" and root.changes:  # the root's template is the same
            root.status, root.execution_status, root.status_reason = (
                "CREATE_COMPLETE",
                "AVAILABLE",
                None,
            )
        return change_set_id, stack_id

    return create_change_set


def _create_response(original: Any) -> Any:
    def create_change_set(self: Any) -> Any:
        token = _INCLUDE.set(self._get_bool_param("IncludeNestedStacks", False))
        try:
            return original(self)
        finally:
            _INCLUDE.reset(token)

    return create_change_set


def _different_update(original: Any) -> Any:
    def validate(self: Any, incoming: Any, body: str, old_stack: Any) -> None:
        """A root whose own template is the same may still change its nested stacks."""
        resources = (old_stack.template_dict or {}).get("Resources") or {}
        nested = any(r.get("Type") == STACK_TYPE for r in resources.values())
        if _INCLUDE.get() and nested:
            return None
        return original(self, incoming, body, old_stack)

    return validate


def install() -> None:
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend
    from moto.cloudformation.responses import CloudFormationResponse as Response

    from twophase.local.extensions import cfn_change_sets, cfn_review_in_progress

    cfn_change_sets.install()  # the diff this module completes
    cfn_review_in_progress.install()  # settles the change set's stack before this module runs
    patch(ChangeSet, "diff", _diff)
    patch(CloudFormationBackend, "create_change_set", _create_backend)
    patch(Response, "create_change_set", _create_response)
    patch(Response, "_validate_different_update", _different_update)
    set_attr(ChangeSet, "include_nested_stacks", False)
    set_attr(ChangeSet, "parent_change_set_id", None)
    set_attr(ChangeSet, "root_change_set_id", None)
