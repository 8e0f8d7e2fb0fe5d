"""Change sets: Add/Modify/Remove rows with replacement details; no-op detection; execution."""

from __future__ import annotations

from typing import Any

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, outputs

NO_CHANGES = (
    "The submitted information didn't contain changes. "
    "Submit different information to create a change set."
)


def _queue(name: str, **props: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name, **props}}


def _change_set(cfn: Any, template: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    cfn.create_change_set(
        StackName="s", ChangeSetName=name, TemplateBody=body(template), ChangeSetType=kind
    )
    described: dict[str, Any] = cfn.describe_change_set(StackName="s", ChangeSetName=name)
    return described


FIRST = {
    "Resources": {"Jobs": _queue("jobs"), "Old": _queue("old"), "Dead": _queue("dead")},
    "Outputs": {"JobsUrl": {"Value": {"Ref": "Jobs"}}},
}


def test_create_change_set_executes_and_gives_outputs(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")

    described = _change_set(cfn, FIRST, "CREATE", "c1")
    cfn.execute_change_set(StackName="s", ChangeSetName="c1")

    assert {c["ResourceChange"]["Action"] for c in described["Changes"]} == {"Add"}
    assert final_status(cfn, "s") == "CREATE_COMPLETE"
    assert outputs(cfn, "s")["JobsUrl"].endswith("/jobs")


def test_update_change_set_lists_modify_with_replacement_and_details(
    local_aws: LocalAwsHandle,
) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _change_set(cfn, FIRST, "CREATE", "c1")
    cfn.execute_change_set(StackName="s", ChangeSetName="c1")
    second = {
        "Resources": {
            "Jobs": _queue("jobs", VisibilityTimeout=60),
            "Dead": _queue("dead-renamed"),
            "New": _queue("new"),
        }
    }

    described = _change_set(cfn, second, "UPDATE", "c2")

    rows = {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in described["Changes"]
    }
    assert {k: v["Action"] for k, v in rows.items()} == {
        "Jobs": "Modify",
        "Dead": "Modify",
        "New": "Add",
        "Old": "Remove",
    }
    assert rows["Jobs"]["Replacement"] == "False"
    assert rows["Jobs"]["Scope"] == ["Properties"]
    assert [d["Target"]["Name"] for d in rows["Jobs"]["Details"]] == ["VisibilityTimeout"]
    assert rows["Jobs"]["PhysicalResourceId"].endswith("/jobs")
    assert rows["Dead"]["Replacement"] == "True"
    assert rows["Dead"]["Details"][0]["Target"]["RequiresRecreation"] == "Always"
    assert rows["Old"]["ResourceType"] == "AWS::SQS::Queue"

    cfn.execute_change_set(StackName="s", ChangeSetName="c2")
    assert final_status(cfn, "s") == "UPDATE_COMPLETE"
    assert outputs(cfn, "s") == {}


def test_change_set_without_changes_fails_with_the_aws_reason(local_aws: LocalAwsHandle) -> None:
    cfn = local_aws.clients().client("cloudformation")
    _change_set(cfn, FIRST, "CREATE", "c1")
    cfn.execute_change_set(StackName="s", ChangeSetName="c1")

    described = _change_set(cfn, FIRST, "UPDATE", "c2")

    assert (described["Status"], described["StatusReason"]) == ("FAILED", NO_CHANGES)
    assert described.get("Changes", []) == []
