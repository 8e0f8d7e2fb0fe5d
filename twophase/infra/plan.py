"""Phase one's plan: what `infra up` would change, read from remote state, as data.

`plan_infra` renders the template (copying pushed code and alias targets from the deployed
template, see twophase.infra.render), asks CloudFormation for a change set and classifies every
change. `infra plan` renders this plan; `infra up` executes it (twophase.infra.up).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from twophase.aws.cloudformation import ResourceChange, Stack
from twophase.errors import ConflictError, PreconditionError

LAMBDA_TYPES = {"AWS::Lambda::Function", "AWS::Lambda::Alias", "AWS::Lambda::Version"}
DATA_TYPES = {
    "AWS::DynamoDB::Table",
    "AWS::DynamoDB::GlobalTable",
    "AWS::S3::Bucket",
    "AWS::SQS::Queue",
    "AWS::RDS::DBInstance",
    "AWS::RDS::DBCluster",
    "AWS::Kinesis::Stream",
    "AWS::EFS::FileSystem",
    "AWS::Logs::LogGroup",
}


class Risk(Enum):
    """Why a planned change is dangerous. Decisions are made on this, never on message text."""

    LOSES_CODE = "loses-code"  # deletes a function holding pushed code (--allow-delete FN)
    REPLACES_FUNCTION = "replaces-function"  # CloudFormation cannot replace a named function
    MOVES_TRAFFIC = "moves-traffic"  # a trigger would reach other code, or an alias be reset
    DATA = "data"  # deletes or replaces a data resource (asks for confirmation)

    @property
    def refused(self) -> bool:
        return self is not Risk.DATA


@dataclass(frozen=True)
class PlannedChange:
    action: str  # Add | Modify | Remove
    logical_id: str
    resource_type: str
    replacement: bool  # "True" or "Conditional": CloudFormation may replace it
    details: tuple[str, ...] = ()
    danger: str = ""  # why this row is dangerous ("" when it is not)
    function: str = ""  # the function it belongs to, when it is a Lambda resource
    risk: Risk | None = None
    fix: str = ""  # what to do instead, for a refused change

    def describe(self) -> str:
        verb = "Replace" if self.replacement else self.action
        text = f"{verb} {self.logical_id} ({self.resource_type})"
        return f"{text}: {self.danger}" if self.danger else text


@dataclass(frozen=True)
class InfraPlan:
    app: str
    env: str
    stack: str
    bucket: str
    template_body: str
    parameters: Mapping[str, str]
    stack_exists: bool
    changes: tuple[PlannedChange, ...]
    change_set_id: str | None = None
    refusals: tuple[str, ...] = ()  # preflight: changes that would lose pushed code
    dummies: Mapping[str, Any] = field(default_factory=dict)  # function -> DummyArtifact
    # Functions on a shared-template queue whose mapping stays disabled: their serving alias
    # serves the dummy, which would fail (and so eat) messages other producers already send.
    held_mappings: tuple[str, ...] = ()
    tags: Mapping[str, str] = field(default_factory=dict)  # the app stack's (twophase:app…)
    # The nested stacks' templates, by the artifact bucket key their TemplateURL names.
    nested: Mapping[str, str] = field(default_factory=dict)

    @property
    def has_changes(self) -> bool:
        return bool(self.changes)

    @property
    def dangerous(self) -> tuple[PlannedChange, ...]:
        return tuple(c for c in self.changes if c.danger)


def check_stack_state(stack: Stack | None) -> None:
    """Refuse to plan against a stack in a state no change set can fix."""
    if stack is None:
        return
    if stack.in_progress and stack.status != "REVIEW_IN_PROGRESS":
        raise ConflictError(
            f"stack {stack.name} is {stack.status}: another deploy is running",
            hint="wait for it to finish, then run the command again",
        )
    if stack.status == "UPDATE_ROLLBACK_FAILED":
        raise PreconditionError(
            f"stack {stack.name} is UPDATE_ROLLBACK_FAILED and cannot be updated",
            hint=(
                "fix the resource named in its events, then run "
                f"`aws cloudformation continue-update-rollback --stack-name {stack.name}`"
            ),
        )
    if stack.status in ("DELETE_FAILED",):
        raise PreconditionError(
            f"stack {stack.name} is DELETE_FAILED",
            hint="see its events, remove what blocks deletion, and run `twophase infra down` again",
        )


def classify(
    changes: tuple[ResourceChange, ...],
    deployed: Mapping[str, Any],
    pushed: Mapping[str, bool],
    short_names: Mapping[str, str],
) -> tuple[PlannedChange, ...]:
    """Turn change-set rows into planned changes, marking the dangerous ones.

    `pushed` maps a physical function name to whether it holds pushed code, `short_names` a
    physical name to the name twophase.yml gives it (a long one is shortened with a hash, so the
    short name cannot be read off the physical one). A `Conditional` replacement counts as a
    replacement: CloudFormation decides only while it updates.
    """
    out = []
    for c in changes:
        replacement = c.replacement in ("True", "Conditional")
        function = owning_function(deployed, c.logical_id) if c.action != "Add" else ""
        short = short_names.get(function, function)
        risk, danger, fix = _risk(c, replacement, short, pushed.get(function, False))
        out.append(
            PlannedChange(
                action=c.action,
                logical_id=c.logical_id,
                resource_type=c.resource_type,
                replacement=replacement,
                details=c.details,
                danger=danger,
                function=short,
                risk=risk,
                fix=fix,
            )
        )
    return tuple(sorted(out, key=lambda p: (p.action, p.logical_id)))


def _risk(
    c: ResourceChange, replacement: bool, function: str, pushed: bool
) -> tuple[Risk | None, str, str]:
    if c.action == "Modify" and replacement and c.resource_type == "AWS::Lambda::Function":
        return (
            Risk.REPLACES_FUNCTION,
            f"replaces {function}: CloudFormation cannot replace a function with a custom name "
            "(the update would fail and roll back)",
            f"to recreate it: remove `{function}` from twophase.yml and run `infra up "
            f"--allow-delete {function}` (its versions and triggers go with it), add it back, "
            f"run `infra up`, then push it",
        )
    destroys = c.action == "Remove" or (c.action == "Modify" and replacement)
    # A function's code and versions go with it; a removed alias or (retained) version loses none.
    if destroys and c.resource_type == "AWS::Lambda::Function" and pushed:
        what = "deletes" if c.action == "Remove" else "replaces"
        return (
            Risk.LOSES_CODE,
            f"{what} {function}, which holds pushed code: its code and versions are lost",
            f"pass --allow-delete {function} if that is what you want",
        )
    if destroys and c.resource_type in DATA_TYPES:
        what = "deletes" if c.action == "Remove" else "replaces"
        return Risk.DATA, f"{what} a data resource", ""
    return None, "", ""


def refusals(changes: tuple[PlannedChange, ...], allow_delete: frozenset[str]) -> tuple[str, ...]:
    """Preflight (invariants 2 and 8): changes that would lose pushed code (unless allowed for
    that function) or move traffic (never allowed)."""
    reasons = []
    for c in changes:
        if c.risk is None or not c.risk.refused:
            continue
        if c.risk is Risk.LOSES_CODE and c.function in allow_delete:
            continue
        reasons.append(f"{c.describe()} ({c.fix})" if c.fix else c.describe())
    return tuple(reasons)


def with_traffic_risks(
    rows: tuple[PlannedChange, ...], risks: tuple[Any, ...], short_names: Mapping[str, str]
) -> tuple[PlannedChange, ...]:
    """Mark the rows whose change would move traffic (see twophase.infra.traffic)."""
    from dataclasses import replace

    by_id = {r.logical_id: r for r in risks}
    out = []
    for row in rows:
        risk = by_id.get(row.logical_id)
        if risk is not None and row.risk is None:
            short = short_names.get(risk.function, risk.function)
            row = replace(
                row, risk=Risk.MOVES_TRAFFIC, danger=risk.reason, fix=risk.fix, function=short
            )
        out.append(row)
    return tuple(out)


def owning_function(template: Mapping[str, Any], logical_id: str) -> str:
    """The physical FunctionName behind a Lambda resource of the deployed template ('' if none)."""
    resources = template.get("Resources", {})
    seen: set[str] = set()
    current = logical_id
    while current in resources and current not in seen:
        seen.add(current)
        props = resources[current].get("Properties", {})
        name = props.get("FunctionName")
        if isinstance(name, str):
            return name.split(":")[-1] if name.startswith("arn:") else name
        if isinstance(name, Mapping) and "Ref" in name:
            current = str(name["Ref"])
            continue
        if isinstance(name, Mapping) and "Fn::GetAtt" in name:
            current = str(name["Fn::GetAtt"][0])
            continue
        return ""
    return ""


def added_rows(template: Mapping[str, Any]) -> tuple[ResourceChange, ...]:
    """For a stack that does not exist yet: every resource is an Add."""
    return tuple(
        ResourceChange("Add", logical_id, body.get("Type", ""), "", "")
        for logical_id, body in sorted(template.get("Resources", {}).items())
    )
