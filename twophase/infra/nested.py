"""Phase one across nested stacks: what is deployed read as one template, the children's
templates staged, and a change set's rows for every stack read as one list.

An app past one stack's limits deploys as a root stack and nested children
(twophase.infra.render.nesting). CloudFormation makes one change set for the root and, with
`IncludeNestedStacks`, one for each child it updates; the root's row for a child then names the
child's change set. `flatten` replaces that row with the child's own rows, so the plan, its
preflight and the traffic checks see every function's resources, wherever they live, just as
for a flat app: every phase-one invariant holds across children.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from twophase.aws.cloudformation import ChangeSet, ResourceChange
from twophase.errors import AwsError
from twophase.infra.plan import added_rows
from twophase.infra.render.nesting import STACK_TYPE, Layout, assemble, child_ids
from twophase.infra.services import InfraServices


@dataclass(frozen=True)
class Deployed:
    """What the app stack runs, read as one logical template, and where its children are."""

    template: dict[str, Any]
    stacks: Mapping[str, str] = field(default_factory=dict)  # child logical id -> stack id
    members: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # child -> resource ids


def read_deployed(svc: InfraServices, stack: str) -> Deployed:
    """The deployed template, the root and its children assembled into one."""
    root = svc.cfn.get_template(stack)
    children = child_ids(root)
    if not children:
        return Deployed(root)
    physical = {
        logical: stack_id
        for logical, kind, stack_id in svc.cfn.list_resources(stack)
        if kind == STACK_TYPE and logical in children and stack_id
    }
    templates = {logical: svc.cfn.get_template(stack_id) for logical, stack_id in physical.items()}
    members = {c: tuple(t.get("Resources") or {}) for c, t in templates.items()}
    return Deployed(assemble(root, templates), physical, members)


def stage_nested(svc: InfraServices, bucket: str, nested: Mapping[str, str]) -> int:
    """Upload the children's templates the bucket does not hold yet (content-addressed, so an
    unchanged child keeps its TemplateURL); returns how many were uploaded."""
    uploaded = 0
    for key, text in sorted(nested.items()):
        if not svc.s3.exists(bucket, key):
            svc.s3.put_bytes(bucket, key, text.encode())
            uploaded += 1
    return uploaded


def flatten(
    svc: InfraServices, change_set: ChangeSet, layout: Layout, deployed: Deployed
) -> tuple[ResourceChange, ...]:
    """The change set's rows with each child stack's row replaced by the child's own rows: its
    nested change set's (an update), every resource of its new template (an added child), or of
    its deployed one (a removed child)."""
    rows: list[ResourceChange] = []
    for row in change_set.changes:
        ours = row.logical_id in layout.children or row.logical_id in deployed.stacks
        if row.resource_type != STACK_TYPE or not ours:
            rows.append(row)
        elif row.action == "Add" and row.logical_id in layout.children:
            rows.extend(added_rows(layout.children[row.logical_id].template))
        elif row.action == "Remove":
            rows.extend(_removed_rows(row.logical_id, deployed))
        elif row.change_set_id:
            nested = svc.cfn.wait_change_set(row.change_set_id, "")
            if nested.status == "FAILED" and not nested.empty:
                raise AwsError(
                    f"CloudFormation rejected nested stack {row.logical_id}: {nested.reason}"
                )
            rows.extend(nested.changes)
        else:
            rows.append(row)  # only its parameters or URL changed: nothing inside moves
    return tuple(rows)


def _removed_rows(child: str, deployed: Deployed) -> list[ResourceChange]:
    """A removed child takes every resource it holds."""
    resources = deployed.template.get("Resources") or {}
    return [
        ResourceChange("Remove", logical_id, resources[logical_id].get("Type", ""), "", "")
        for logical_id in sorted(deployed.members.get(child, ()))
        if logical_id in resources
    ]


def nested_outputs(svc: InfraServices, stack: str) -> dict[str, str]:
    """Every child's outputs, merged (their ids are unique across the app); {} for a flat app."""
    out: dict[str, str] = {}
    children = {
        logical: stack_id
        for logical, kind, stack_id in svc.cfn.list_resources(stack)
        if kind == STACK_TYPE and stack_id
    }
    for stack_id in children.values():
        child = svc.cfn.get_stack(stack_id)
        if child is not None:
            out.update(child.outputs)
    return out


def all_resources(svc: InfraServices, stack: str) -> list[tuple[str, str, str]]:
    """(logical id, type, physical id) of every resource of the stack and its nested stacks."""
    out: list[tuple[str, str, str]] = []
    for logical, kind, physical in svc.cfn.list_resources(stack):
        if kind == STACK_TYPE and physical:
            out.extend(all_resources(svc, physical))
        else:
            out.append((logical, kind, physical))
    return out
