"""Phase one's plan: what `infra up` would change, read from remote state, as data.

`plan_infra` renders the template (copying pushed code and alias targets from the deployed
template, see twophase.render), asks CloudFormation for a change set and classifies every change.
`infra plan` renders this plan; `infra up` executes it (twophase.core.infra_apply).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
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


@dataclass(frozen=True)
class PlannedChange:
    action: str  # Add | Modify | Remove
    logical_id: str
    resource_type: str
    replacement: bool
    details: tuple[str, ...] = ()
    danger: str = ""  # why this row is dangerous ("" when it is not)
    function: str = ""  # the function it belongs to, when it is a Lambda resource

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
    prefix: str,
) -> tuple[PlannedChange, ...]:
    """Turn change-set rows into planned changes, marking the dangerous ones.

    `pushed` maps a physical function name to whether it holds pushed code.
    """
    out = []
    for c in changes:
        replacement = c.replacement == "True"
        function = owning_function(deployed, c.logical_id) if c.action != "Add" else ""
        danger = ""
        destroys = c.action == "Remove" or (c.action == "Modify" and replacement)
        if destroys and c.resource_type in LAMBDA_TYPES and pushed.get(function, False):
            what = "deletes" if c.action == "Remove" else "replaces"
            danger = f"{what} {function}, which holds pushed code: its code and versions are lost"
        elif destroys and c.resource_type in DATA_TYPES:
            what = "deletes" if c.action == "Remove" else "replaces"
            danger = f"{what} a data resource"
        short = function[len(prefix) :] if function.startswith(prefix) else function
        out.append(
            PlannedChange(
                action=c.action,
                logical_id=c.logical_id,
                resource_type=c.resource_type,
                replacement=replacement,
                details=c.details,
                danger=danger,
                function=short,
            )
        )
    return tuple(sorted(out, key=lambda p: (p.action, p.logical_id)))


def refusals(changes: tuple[PlannedChange, ...], allow_replace: frozenset[str]) -> tuple[str, ...]:
    """Preflight (invariant 2): changes that would lose pushed code and were not allowed."""
    reasons = []
    for c in changes:
        if "holds pushed code" in c.danger and c.function not in allow_replace:
            reasons.append(
                f"{c.describe()} (pass --allow-replace {c.function} if that is what you want)"
            )
    return tuple(reasons)


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
