"""The thin CloudFormation client: stacks, change sets, events, and waiting with progress."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twophase.aws.errors import aws_call, error_code
from twophase.aws.stack_template import get_template
from twophase.errors import AwsError

if TYPE_CHECKING:
    from mypy_boto3_cloudformation.client import CloudFormationClient
    from mypy_boto3_cloudformation.literals import CapabilityType
    from mypy_boto3_cloudformation.type_defs import (
        CreateChangeSetInputTypeDef,
        DescribeChangeSetInputTypeDef,
        DescribeChangeSetOutputTypeDef,
        ListChangeSetsInputTypeDef,
    )

NO_CHANGES_MARKERS = ("didn't contain changes", "No updates are to be performed")
CAPABILITIES: list[CapabilityType] = [
    "CAPABILITY_IAM",
    "CAPABILITY_NAMED_IAM",
    "CAPABILITY_AUTO_EXPAND",
]
TERMINAL_SUFFIXES = ("_COMPLETE", "_FAILED")


@dataclass(frozen=True)
class Stack:
    name: str
    status: str
    reason: str
    outputs: dict[str, str]

    @property
    def in_progress(self) -> bool:
        return self.status.endswith("_IN_PROGRESS")


@dataclass(frozen=True)
class TaggedStack:
    """A stack as a listing gives it: enough to find an app's environments by their tags."""

    name: str
    status: str
    created: datetime  # timezone-aware
    tags: Mapping[str, str]


@dataclass(frozen=True)
class ResourceChange:
    action: str  # Add | Modify | Remove | Import | Dynamic
    logical_id: str
    resource_type: str
    physical_id: str
    replacement: str  # "True" | "False" | "Conditional" | ""
    details: tuple[str, ...] = ()  # changed property names
    change_set_id: str = ""  # a nested stack's row: the change set made for it


@dataclass(frozen=True)
class ChangeSet:
    id: str
    status: str
    reason: str
    changes: tuple[ResourceChange, ...]

    @property
    def empty(self) -> bool:
        return self.status == "FAILED" and _no_changes(self.reason)


@dataclass(frozen=True)
class TemplateSource:
    """A template inline (`body`) or in S3 (`url`)."""

    body: str | None = None
    url: str | None = None


@dataclass(frozen=True)
class StackEvent:
    id: str
    logical_id: str
    resource_type: str
    status: str
    reason: str


CHANGE_SET_DEADLINE = 300  # seconds: CloudFormation usually describes a change set within one


@dataclass
class CloudFormation:
    client: CloudFormationClient
    sleep: Callable[[float], None] = time.sleep
    poll_seconds: float = 0.5
    timeout_seconds: float = 3600
    _seen: set[str] = field(default_factory=set)

    def get_stack(self, name: str) -> Stack | None:
        try:
            with aws_call("cloudformation:DescribeStacks", name):
                stacks = self.client.describe_stacks(StackName=name)["Stacks"]
        except AwsError as exc:
            if error_code(exc) == "ValidationError" and "does not exist" in str(exc.__cause__):
                return None
            raise
        if not stacks:
            return None
        s = stacks[0]
        outputs = {o["OutputKey"]: o.get("OutputValue", "") for o in s.get("Outputs", [])}
        return Stack(name, s["StackStatus"], s.get("StackStatusReason", ""), outputs)

    def tagged_stacks(self) -> list[TaggedStack]:
        """Every stack of the account and region that is not deleted (DescribeStacks, all
        pages), with its tags."""
        out: list[TaggedStack] = []
        with aws_call("cloudformation:DescribeStacks", "*"):
            for page in self.client.get_paginator("describe_stacks").paginate():
                for s in page.get("Stacks", []):
                    # A nested stack carries its root's tags: it is part of that environment.
                    if s["StackStatus"] == "DELETE_COMPLETE" or s.get("ParentId"):
                        continue
                    tags = {t["Key"]: t["Value"] for t in s.get("Tags", [])}
                    out.append(
                        TaggedStack(s["StackName"], s["StackStatus"], s["CreationTime"], tags)
                    )
        return out

    def get_template(self, name: str) -> dict[str, Any]:
        """The stack's original template, parsed (twophase.aws.stack_template)."""
        return get_template(self.client, name)

    def create_change_set(
        self,
        stack: str,
        name: str,
        *,
        template: TemplateSource,
        parameters: Mapping[str, str],
        create: bool,
        tags: Mapping[str, str] | None = None,
        include_nested: bool = False,
    ) -> str:
        """The change set's id, or '' when the endpoint says there is nothing to change.
        `include_nested` has CloudFormation make a change set for each nested stack too."""
        params: CreateChangeSetInputTypeDef = {
            "StackName": stack,
            "ChangeSetName": name,
            "ChangeSetType": "CREATE" if create else "UPDATE",
            "Capabilities": CAPABILITIES,
            "Parameters": [
                {"ParameterKey": k, "ParameterValue": v} for k, v in sorted(parameters.items())
            ],
            "Tags": [{"Key": k, "Value": v} for k, v in sorted((tags or {}).items())],
        }
        if include_nested:
            params["IncludeNestedStacks"] = True
        if template.url:
            params["TemplateURL"] = template.url
        else:
            params["TemplateBody"] = template.body or ""
        try:
            with aws_call("cloudformation:CreateChangeSet", stack):
                return str(self.client.create_change_set(**params)["Id"])
        except AwsError as exc:
            # Some endpoints refuse an empty change set outright instead of creating a FAILED one.
            if error_code(exc) == "ValidationError" and _no_changes(str(exc.__cause__)):
                return ""
            raise

    def wait_change_set(self, change_set_id: str, stack: str) -> ChangeSet:
        """Poll until the change set is created (or failed), then read every page of its changes
        (DescribeChangeSet returns at most 100 per page, with a NextToken for the rest). A nested
        stack's change set is read by its ARN alone: `stack` '' (its root's name would not match).
        """
        deadline = time.monotonic() + CHANGE_SET_DEADLINE
        named: DescribeChangeSetInputTypeDef = {"ChangeSetName": change_set_id}
        if stack:
            named["StackName"] = stack
        while True:
            with aws_call("cloudformation:DescribeChangeSet", stack or change_set_id):
                resp = self.client.describe_change_set(**named)
            status = resp.get("Status", "")
            if status in ("CREATE_COMPLETE", "FAILED"):
                break
            if time.monotonic() > deadline:
                raise AwsError(
                    f"the change set for {stack} is still {status or 'not ready'} after "
                    f"{CHANGE_SET_DEADLINE // 60} minutes",
                    hint="check it in the CloudFormation console, then run the command again",
                )
            self.sleep(self.poll_seconds)
        changes = _changes(resp)
        token = resp.get("NextToken")
        while token:
            with aws_call("cloudformation:DescribeChangeSet", stack or change_set_id):
                named["NextToken"] = token
                page = self.client.describe_change_set(**named)
            changes += _changes(page)
            token = page.get("NextToken")
        return ChangeSet(
            id=change_set_id,
            status=status,
            reason=resp.get("StatusReason", ""),
            changes=tuple(changes),
        )

    def delete_change_set(self, change_set_id: str, stack: str) -> None:
        with aws_call("cloudformation:DeleteChangeSet", stack):
            self.client.delete_change_set(ChangeSetName=change_set_id, StackName=stack)

    def execute_change_set(self, change_set_id: str, stack: str) -> None:
        with aws_call("cloudformation:ExecuteChangeSet", stack):
            self.client.execute_change_set(ChangeSetName=change_set_id, StackName=stack)

    def list_change_sets(self, stack: str) -> list[tuple[str, str, str]]:
        """(id, name, execution status) of the stack's change sets; [] when it has none."""
        out: list[tuple[str, str, str]] = []
        try:
            with aws_call("cloudformation:ListChangeSets", stack):
                token: str | None = None
                while True:
                    kwargs: ListChangeSetsInputTypeDef = {"StackName": stack}
                    if token:
                        kwargs["NextToken"] = token
                    page = self.client.list_change_sets(**kwargs)
                    out.extend(
                        (s["ChangeSetId"], s["ChangeSetName"], s.get("ExecutionStatus", ""))
                        for s in page.get("Summaries", [])
                    )
                    token = page.get("NextToken")
                    if not token:
                        return out
        except AwsError as exc:
            if error_code(exc) == "ValidationError":
                return []  # no such stack
            raise

    def delete_stack(self, stack: str) -> None:
        with aws_call("cloudformation:DeleteStack", stack):
            self.client.delete_stack(StackName=stack)

    def list_resources(self, stack: str) -> list[tuple[str, str, str]]:
        """(logical id, type, physical id) of every resource in the stack."""
        out: list[tuple[str, str, str]] = []
        with aws_call("cloudformation:ListStackResources", stack):
            pages = self.client.get_paginator("list_stack_resources").paginate(StackName=stack)
            for page in pages:
                for r in page["StackResourceSummaries"]:
                    out.append(
                        (r["LogicalResourceId"], r["ResourceType"], r.get("PhysicalResourceId", ""))
                    )
        return out

    def events(self, stack: str) -> list[StackEvent]:
        """The stack's events, oldest first (only the first page: the newest 100)."""
        with aws_call("cloudformation:DescribeStackEvents", stack):
            raw = self.client.describe_stack_events(StackName=stack).get("StackEvents", [])
        return [
            StackEvent(
                id=e["EventId"],
                logical_id=e.get("LogicalResourceId", ""),
                resource_type=e.get("ResourceType", ""),
                status=e.get("ResourceStatus", ""),
                reason=e.get("ResourceStatusReason", ""),
            )
            for e in reversed(raw)
        ]

    def mark_events_seen(self, stack: str) -> None:
        with contextlib.suppress(AwsError):
            self._seen.update(e.id for e in self.events(stack))

    def wait_stack(
        self,
        stack: str,
        on_event: Callable[[StackEvent], None],
        *,
        deleting: bool = False,
        on_poll: Callable[[str, float, float], None] | None = None,
    ) -> tuple[Stack | None, list[StackEvent]]:
        """Poll until the stack is no longer in progress; report new events as they come, and
        (`on_poll`) its status, the seconds waited and the deadline's seconds at every poll."""
        started = time.monotonic()
        deadline = started + self.timeout_seconds
        new_events: list[StackEvent] = []
        while True:
            current = self.get_stack(stack)
            if on_poll is not None and current is not None:
                on_poll(current.status, time.monotonic() - started, self.timeout_seconds)
            if current is not None:
                for event in self._new_events(stack):
                    new_events.append(event)
                    on_event(event)
            done = current is None or not current.in_progress
            if deleting and current is not None and current.status == "DELETE_COMPLETE":
                done = True
            if done:
                return current, new_events
            if time.monotonic() > deadline:
                state = current.status if current else "gone"
                raise AwsError(f"stack {stack} still {state} after waiting; check its events")
            self.sleep(self.poll_seconds)

    def _new_events(self, stack: str) -> list[StackEvent]:
        try:
            events = self.events(stack)
        except AwsError:
            return []
        fresh = [e for e in events if e.id not in self._seen]
        self._seen.update(e.id for e in fresh)
        return fresh


def _no_changes(reason: str) -> bool:
    return any(marker in reason for marker in NO_CHANGES_MARKERS)


def _changes(resp: DescribeChangeSetOutputTypeDef) -> list[ResourceChange]:
    out: list[ResourceChange] = []
    for change in resp.get("Changes", []):
        rc = change.get("ResourceChange", {})
        details = tuple(
            sorted(
                {
                    d.get("Target", {}).get("Name", "")
                    for d in rc.get("Details", [])
                    if d.get("Target", {}).get("Name")
                }
            )
        )
        out.append(
            ResourceChange(
                action=rc.get("Action", ""),
                logical_id=rc.get("LogicalResourceId", ""),
                resource_type=rc.get("ResourceType", ""),
                physical_id=rc.get("PhysicalResourceId", "") or "",
                replacement=str(rc.get("Replacement", "") or ""),
                details=details,
                change_set_id=str(rc.get("ChangeSetId", "") or ""),
            )
        )
    return out
