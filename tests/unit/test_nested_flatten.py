"""A change set across nested stacks read as one list: each child's row becomes the child's rows.

The preflight and the traffic checks see every function's resources only if an added child counts
as every resource of its template added, a removed child as every resource it held removed, and an
updated child as its nested change set's rows; a row of the shared template's own nested stack
(not one of twophase's children) stays as it is.
"""

from __future__ import annotations

from typing import Any, cast

from twophase.aws.cloudformation import ChangeSet, ResourceChange
from twophase.infra.nested import Deployed, flatten
from twophase.infra.render.nesting import ChildTemplate, Layout

STACK = "AWS::CloudFormation::Stack"


class FakeCloudFormation:
    """The one call `flatten` makes: reading a nested change set by its ARN."""

    def __init__(self, nested: dict[str, ChangeSet]) -> None:
        self.nested = nested
        self.read: list[tuple[str, str]] = []

    def wait_change_set(self, change_set_id: str, stack: str) -> ChangeSet:
        self.read.append((change_set_id, stack))
        return self.nested[change_set_id]


class Services:
    def __init__(self, cfn: FakeCloudFormation) -> None:
        self.cfn = cfn


def row(action: str, logical_id: str, kind: str, change_set_id: str = "") -> ResourceChange:
    return ResourceChange(action, logical_id, kind, "", "False", (), change_set_id)


def child(*ids: str) -> ChildTemplate:
    template = {"Resources": {i: {"Type": "AWS::Lambda::Function"} for i in ids}}
    return ChildTemplate(template, "{}", "templates/x.json")


def test_each_childs_row_becomes_its_own_rows() -> None:
    updated = ChangeSet(
        "arn:cs/nested-1",
        "CREATE_COMPLETE",
        "",
        (row("Modify", "ApiFunction", "AWS::Lambda::Function"),),
    )
    cfn = FakeCloudFormation({"arn:cs/nested-1": updated})
    layout = Layout(
        whole={"Resources": {}},
        root={},
        children={"FunctionsStack1": child("ApiFunction"), "FunctionsStack3": child("NewFunction")},
    )
    deployed = Deployed(
        template={
            "Resources": {
                "ApiFunction": {"Type": "AWS::Lambda::Function"},
                "OldFunction": {"Type": "AWS::Lambda::Function"},
                "OldRole": {"Type": "AWS::IAM::Role"},
            }
        },
        stacks={"FunctionsStack1": "arn:stack/1", "FunctionsStack2": "arn:stack/2"},
        members={
            "FunctionsStack1": ("ApiFunction",),
            "FunctionsStack2": ("OldFunction", "OldRole"),
        },
    )
    change_set = ChangeSet(
        "arn:cs/root",
        "CREATE_COMPLETE",
        "",
        (
            row("Modify", "FunctionsStack1", STACK, "arn:cs/nested-1"),
            row("Remove", "FunctionsStack2", STACK),
            row("Add", "FunctionsStack3", STACK, "arn:cs/nested-3"),
            row("Modify", "UsersOwnNestedStack", STACK, "arn:cs/theirs"),
            row("Modify", "OrdersTable", "AWS::DynamoDB::Table"),
        ),
    )

    rows = flatten(cast(Any, Services(cfn)), change_set, layout, deployed)

    assert [(r.action, r.logical_id) for r in rows] == [
        ("Modify", "ApiFunction"),
        ("Remove", "OldFunction"),
        ("Remove", "OldRole"),
        ("Add", "NewFunction"),
        ("Modify", "UsersOwnNestedStack"),
        ("Modify", "OrdersTable"),
    ]
    assert cfn.read == [("arn:cs/nested-1", "")]  # a nested change set is read by its ARN alone
