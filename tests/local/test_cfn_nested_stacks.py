"""Nested stacks (`AWS::CloudFormation::Stack`): created, updated in place, rolled back and
deleted with their parent, and previewed by change sets that include nested stacks.

AWS documentation: "Nested stacks",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-nested-stacks.html;
AWS::CloudFormation::Stack,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stack.html;
"Change sets for nested stacks",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/change-sets-for-nested-stacks.html.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status, outputs, role_resource, zip_bytes

BUCKET = "templates"


def _queue(name: str, **props: Any) -> dict[str, Any]:
    return {"Type": "AWS::SQS::Queue", "Properties": {"QueueName": name, **props}}


def _queues_child(*names: str) -> dict[str, Any]:
    """A nested template of queues, whose visibility timeout is a parameter."""
    return {
        "Parameters": {"Timeout": {"Type": "String", "Default": "30"}},
        "Resources": {
            f"Q{i}": _queue(n, VisibilityTimeout={"Ref": "Timeout"}) for i, n in enumerate(names)
        },
        "Outputs": {"FirstUrl": {"Value": {"Ref": "Q0"}}},
    }


def _nested(url: str, **parameters: Any) -> dict[str, Any]:
    return {
        "Type": "AWS::CloudFormation::Stack",
        "Properties": {"TemplateURL": url, "Parameters": parameters},
    }


class Env:
    """The embedded AWS's clients, and the S3 bucket nested templates are read from."""

    def __init__(self, local_aws: LocalAwsHandle) -> None:
        clients = local_aws.clients()
        self.cfn: Any = clients.client("cloudformation")
        self.s3: Any = clients.client("s3")
        self.lam: Any = clients.client("lambda")
        self.sqs: Any = clients.client("sqs")
        self.endpoint = local_aws.endpoint_url
        self.s3.create_bucket(Bucket=BUCKET)

    def put(self, key: str, template: dict[str, Any]) -> str:
        self.s3.put_object(Bucket=BUCKET, Key=key, Body=json.dumps(template).encode())
        return f"https://{BUCKET}.s3.amazonaws.com/{key}"

    def stack(self, name: str) -> dict[str, Any]:
        found: dict[str, Any] = self.cfn.describe_stacks(StackName=name)["Stacks"][0]
        return found

    def child(self, root: str, logical_id: str) -> dict[str, Any]:
        arn = self.cfn.describe_stack_resource(StackName=root, LogicalResourceId=logical_id)[
            "StackResourceDetail"
        ]["PhysicalResourceId"]
        return self.stack(arn)

    def statuses(self, stack: str) -> list[str]:
        events = self.cfn.describe_stack_events(StackName=stack)["StackEvents"]
        name = self.stack(stack)["StackName"]
        return [e["ResourceStatus"] for e in reversed(events) if e["LogicalResourceId"] == name]

    def change_set(
        self, root: str, name: str, template: dict[str, Any], **kw: Any
    ) -> dict[str, Any]:
        self.cfn.create_change_set(
            StackName=root, ChangeSetName=name, TemplateBody=body(template), **kw
        )
        found: dict[str, Any] = self.cfn.describe_change_set(StackName=root, ChangeSetName=name)
        return found


@pytest.fixture
def env(local_aws: LocalAwsHandle) -> Env:
    return Env(local_aws)


def _rows(change_set: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {
        c["ResourceChange"]["LogicalResourceId"]: c["ResourceChange"] for c in change_set["Changes"]
    }


def _queue_names(env: Env) -> list[str]:
    return sorted(u.rsplit("/", 1)[1] for u in env.sqs.list_queues().get("QueueUrls", []))


# 1. Create ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url_style",
    [
        "https://{bucket}.s3.amazonaws.com/{key}",
        "https://{bucket}.s3.eu-west-1.amazonaws.com/{key}",
        "https://s3.eu-west-1.amazonaws.com/{bucket}/{key}",
        "{endpoint}/{bucket}/{key}",  # the embedded S3's own address (cfn_template_url)
    ],
)
def test_create_makes_a_named_nested_stack_whose_physical_id_is_its_arn(
    env: Env, url_style: str
) -> None:
    """AWS: an AWS::CloudFormation::Stack resource creates a stack named
    `<parent>-<LogicalId>-<random uppercase letters and digits>` from the S3 object its
    TemplateURL names (path or virtual-hosted style) with its Parameters; `Ref` and the resource's
    PhysicalResourceId are the nested stack's ARN; `Fn::GetAtt [Child, Outputs.X]` is its output;
    DescribeStacks gives it `ParentId` and `RootId` (user guide, "Nested stacks", and
    AWS::CloudFormation::Stack "Return values")."""
    env.put("child.json", _queues_child("orders"))
    url = url_style.format(bucket=BUCKET, key="child.json", endpoint=env.endpoint)
    root = {
        "Resources": {"Child": _nested(url, Timeout="45")},
        "Outputs": {
            "ChildArn": {"Value": {"Ref": "Child"}},
            "OrdersUrl": {"Value": {"Fn::GetAtt": ["Child", "Outputs.FirstUrl"]}},
        },
    }

    env.cfn.create_stack(StackName="app", TemplateBody=body(root))

    child = env.child("app", "Child")
    assert re.fullmatch(r"app-Child-[A-Z0-9]{12,13}", child["StackName"])
    assert child["StackStatus"] == "CREATE_COMPLETE"
    assert (child["ParentId"], child["RootId"]) == (env.stack("app")["StackId"],) * 2
    listed = env.cfn.list_stack_resources(StackName="app")["StackResourceSummaries"]
    assert [(r["LogicalResourceId"], r["PhysicalResourceId"]) for r in listed] == [
        ("Child", child["StackId"])
    ]
    assert outputs(env.cfn, "app") == {
        "ChildArn": child["StackId"],
        "OrdersUrl": outputs(env.cfn, child["StackName"])["FirstUrl"],
    }
    assert "ParentId" not in env.stack("app") and "RootId" not in env.stack("app")
    assert child["Parameters"] == [{"ParameterKey": "Timeout", "ParameterValue": "45"}]


def test_a_nested_stack_of_a_nested_stack_has_the_top_stack_as_root(env: Env) -> None:
    """AWS: "The root stack is the top-level stack to which all the nested stacks ultimately
    belong. In addition, each nested stack has an immediate parent stack" (user guide, "Nested
    stacks"): DescribeStacks `RootId` is the top stack, `ParentId` the immediate parent. The
    root here is created through a CREATE change set, executed."""
    grand = env.put("grand.json", _queues_child("deep"))
    middle = env.put("middle.json", {"Resources": {"Grand": _nested(grand)}})

    env.change_set("app", "c1", {"Resources": {"Middle": _nested(middle)}}, ChangeSetType="CREATE")
    env.cfn.execute_change_set(StackName="app", ChangeSetName="c1")

    root, mid = env.stack("app"), env.child("app", "Middle")
    low = env.child(mid["StackName"], "Grand")
    assert final_status(env.cfn, "app") == "CREATE_COMPLETE"
    assert (mid["ParentId"], mid["RootId"]) == (root["StackId"], root["StackId"])
    assert (low["ParentId"], low["RootId"]) == (mid["StackId"], root["StackId"])
    assert low["StackName"].startswith(f"{mid['StackName']}-Grand-")
    assert _queue_names(env) == ["deep"]


# 2. Update in place ---------------------------------------------------------------------------


def _visibility(env: Env, queue: str) -> str:
    url = env.sqs.get_queue_url(QueueName=queue)["QueueUrl"]
    attrs = env.sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["VisibilityTimeout"])
    return str(attrs["Attributes"]["VisibilityTimeout"])


def test_update_stack_updates_changed_nested_stacks_in_place(env: Env) -> None:
    """AWS: "When you apply template changes to update a top-level stack, CloudFormation updates
    the top-level stack and initiates an update to its nested stacks. CloudFormation updates the
    resources of modified nested stacks, but doesn't update the resources of unmodified nested
    stacks" (AWS::CloudFormation::Stack): a nested stack with a new template or parameters is
    updated in place (same stack id, UPDATE_IN_PROGRESS → UPDATE_COMPLETE, its resources diffed
    as in any update), an unchanged one is left alone, one the template drops is deleted and a
    new one created."""
    a = env.put("a.json", _queues_child("a1", "a2"))
    b = env.put("b.json", _queues_child("b1"))
    gone = env.put("gone.json", _queues_child("g1"))
    first = {"Resources": {"A": _nested(a), "B": _nested(b), "Gone": _nested(gone)}}
    env.cfn.create_stack(StackName="app", TemplateBody=body(first))
    before_a, before_b, dropped = (env.child("app", n) for n in ("A", "B", "Gone"))
    b_events = env.cfn.describe_stack_events(StackName=before_b["StackId"])["StackEvents"]
    a1_url = env.sqs.get_queue_url(QueueName="a1")["QueueUrl"]
    env.put("a.json", _queues_child("a1", "a3"))  # the same URL, a new template
    new = env.put("new.json", _queues_child("n1"))

    second = {"Resources": {"A": _nested(a, Timeout="60"), "B": _nested(b), "New": _nested(new)}}
    env.cfn.update_stack(StackName="app", TemplateBody=body(second))

    after_a, after_b = env.child("app", "A"), env.child("app", "B")
    assert final_status(env.cfn, "app") == "UPDATE_COMPLETE"
    assert (after_a["StackId"], after_a["StackStatus"]) == (before_a["StackId"], "UPDATE_COMPLETE")
    assert env.statuses(after_a["StackId"])[-4:] == [
        "CREATE_COMPLETE",
        "UPDATE_IN_PROGRESS",
        "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_COMPLETE",
    ]
    assert env.sqs.get_queue_url(QueueName="a1")["QueueUrl"] == a1_url
    assert _visibility(env, "a1") == "60"
    assert _queue_names(env) == ["a1", "a3", "b1", "n1"]
    assert after_b["StackStatus"] == "CREATE_COMPLETE"
    assert env.cfn.describe_stack_events(StackName=after_b["StackId"])["StackEvents"] == b_events
    assert env.stack(dropped["StackId"])["StackStatus"] == "DELETE_COMPLETE"
    assert env.child("app", "New")["StackStatus"] == "CREATE_COMPLETE"


def _function(name: str, memory: int) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": name,
            "Runtime": "python3.12",
            "Handler": "index.handler",
            "Role": {"Fn::GetAtt": ["Role", "Arn"]},
            "MemorySize": memory,
            "Code": {"ZipFile": "def handler(e, c):\n    return 1\n"},
        },
    }


def _functions_child(worker_memory: int) -> dict[str, Any]:
    return {
        "Resources": {
            "Role": role_resource(),
            "Api": _function("api", 128),
            "Ver": {"Type": "AWS::Lambda::Version", "Properties": {"FunctionName": {"Ref": "Api"}}},
            "Live": {
                "Type": "AWS::Lambda::Alias",
                "Properties": {
                    "FunctionName": {"Ref": "Api"},
                    "FunctionVersion": {"Fn::GetAtt": ["Ver", "Version"]},
                    "Name": "live",
                },
            },
            "Worker": _function("worker", worker_memory),
        }
    }


def test_a_nested_change_set_updates_one_function_and_keeps_the_pushed_one(env: Env) -> None:
    """AWS: executing a change set created with IncludeNestedStacks applies each nested change
    set as a stack update of the nested stack ("Change sets for nested stacks"): only the
    resources in its Changes change; a Lambda function the nested change set does not list is not
    touched, so code, versions and aliases pushed out of band survive ("CloudFormation updates
    the resources of modified nested stacks", AWS::CloudFormation::Stack). Here the root's own
    template is the same and only the nested template behind the same TemplateURL changed."""
    url = env.put("fns.json", _functions_child(128))
    root = {"Resources": {"Fns": _nested(url)}}
    env.cfn.create_stack(StackName="app", TemplateBody=body(root))
    env.lam.update_function_code(FunctionName="api", ZipFile=zip_bytes("v = 2\n"))
    pushed = env.lam.publish_version(FunctionName="api")
    env.lam.update_alias(FunctionName="api", Name="live", FunctionVersion=pushed["Version"])
    env.put("fns.json", _functions_child(256))

    described = env.change_set("app", "c1", root, IncludeNestedStacks=True)
    nested = env.cfn.describe_change_set(ChangeSetName=_rows(described)["Fns"]["ChangeSetId"])
    env.cfn.execute_change_set(StackName="app", ChangeSetName="c1")

    assert {n: r["Action"] for n, r in _rows(nested).items()} == {"Worker": "Modify"}
    assert [d["Target"]["Name"] for d in _rows(nested)["Worker"]["Details"]] == ["MemorySize"]
    assert final_status(env.cfn, "app") == "UPDATE_COMPLETE"
    assert env.child("app", "Fns")["StackStatus"] == "UPDATE_COMPLETE"
    api = env.lam.get_function(FunctionName="api")["Configuration"]
    assert api["CodeSha256"] == pushed["CodeSha256"]
    versions = env.lam.list_versions_by_function(FunctionName="api")["Versions"]
    assert [v["Version"] for v in versions] == ["$LATEST", "1", pushed["Version"]]
    alias = env.lam.get_alias(FunctionName="api", Name="live")
    assert alias["FunctionVersion"] == pushed["Version"]
    worker = env.lam.get_function(FunctionName="worker")["Configuration"]
    assert worker["MemorySize"] == 256


# 3. Change sets with nested stacks ------------------------------------------------------------

AUTOMATIC = {
    "Target": {"Attribute": "Properties", "RequiresRecreation": "Never"},
    "Evaluation": "Dynamic",
    "ChangeSource": "Automatic",
}


@pytest.fixture
def deployed(env: Env) -> dict[str, str]:
    """`app` with nested stacks A and B; the URLs of their templates and of a third, C."""
    urls = {
        "A": env.put("a.json", _queues_child("a1")),
        "B": env.put("b.json", _queues_child("b1")),
        "C": env.put("c.json", _queues_child("c1")),
    }
    template = {"Resources": {"A": _nested(urls["A"]), "B": _nested(urls["B"])}}
    env.cfn.create_stack(StackName="app", TemplateBody=body(template))
    return urls


def _second(urls: dict[str, str]) -> dict[str, Any]:
    """A's timeout changes, B stays, C is new."""
    return {
        "Resources": {
            "A": _nested(urls["A"], Timeout="90"),
            "B": _nested(urls["B"]),
            "C": _nested(urls["C"]),
        }
    }


def test_include_nested_stacks_makes_a_change_set_per_changed_nested_stack(
    env: Env, deployed: dict[str, str]
) -> None:
    """AWS ("Change sets for nested stacks", DescribeChangeSet): with IncludeNestedStacks the
    root change set says `IncludeNestedStacks: true`; each nested stack that changes gets its own
    change set, whose ARN is the `ChangeSetId` of the root's row (Modify,
    AWS::CloudFormation::Stack, Replacement "False", a detail with ChangeSource Automatic), with
    `ParentChangeSetId`/`RootChangeSetId` set, Status CREATE_COMPLETE, ExecutionStatus
    UNAVAILABLE, StatusReason "Executable from root change set", and as Changes the nested
    stack's own resource changes (here the queue that uses the changed parameter). A nested stack
    the template adds is an Add row, and AWS gives it a nested change set too, on a nested stack
    made in REVIEW_IN_PROGRESS ("Nested stacks in the REVIEW_IN_PROGRESS status will also be
    deleted if they were created during the create-change-set action"). An unchanged nested
    stack has no row."""
    root = env.change_set("app", "c1", _second(deployed), IncludeNestedStacks=True)

    rows = _rows(root)
    a = env.cfn.describe_change_set(ChangeSetName=rows["A"]["ChangeSetId"])
    c = env.cfn.describe_change_set(ChangeSetName=rows["C"]["ChangeSetId"])
    assert root["IncludeNestedStacks"] is True
    assert (root["Status"], root["ExecutionStatus"]) == ("CREATE_COMPLETE", "AVAILABLE")
    assert {n: r["Action"] for n, r in rows.items()} == {"A": "Modify", "C": "Add"}
    assert rows["A"]["ResourceType"] == "AWS::CloudFormation::Stack"
    assert rows["A"]["Replacement"] == "False"
    assert rows["A"]["PhysicalResourceId"] == env.child("app", "A")["StackId"]
    assert AUTOMATIC in rows["A"]["Details"]
    for nested in (a, c):
        assert nested["ParentChangeSetId"] == nested["RootChangeSetId"] == root["ChangeSetId"]
        assert nested["IncludeNestedStacks"] is True
        assert (nested["Status"], nested["ExecutionStatus"], nested["StatusReason"]) == (
            "CREATE_COMPLETE",
            "UNAVAILABLE",
            "Executable from root change set",
        )
    assert a["StackId"] == env.child("app", "A")["StackId"]
    by_name = env.cfn.describe_change_set(
        StackName=a["StackName"], ChangeSetName=a["ChangeSetName"]
    )
    assert by_name["ChangeSetId"] == a["ChangeSetId"]
    listed = env.cfn.list_change_sets(StackName=a["StackId"])["Summaries"]
    assert [(c["ChangeSetId"], c["RootChangeSetId"]) for c in listed] == [
        (a["ChangeSetId"], root["ChangeSetId"])
    ]
    assert {n: r["Action"] for n, r in _rows(a).items()} == {"Q0": "Modify"}
    assert _rows(a)["Q0"]["Details"][0]["ChangeSource"] == "ParameterReference"
    assert a["Parameters"] == [{"ParameterKey": "Timeout", "ParameterValue": "90"}]
    new = env.stack(c["StackId"])
    assert (new["StackStatus"], new["ParentId"]) == ("REVIEW_IN_PROGRESS", root["StackId"])
    assert re.fullmatch(r"app-C-[A-Z0-9]{12,13}", new["StackName"])
    assert {n: r["Action"] for n, r in _rows(c).items()} == {"Q0": "Add"}


def test_without_include_nested_stacks_each_nested_stack_is_an_automatic_modify(
    env: Env, deployed: dict[str, str]
) -> None:
    """AWS (ResourceChangeDetail, ChangeSource: "Automatic entities are
    AWS::CloudFormation::Stack resource types ... If you made no changes to the
    AWS::CloudFormation::Stack resource, CloudFormation sets the ChangeSource to Automatic
    because the nested stack's template might have changed"; CreateChangeSet
    `IncludeNestedStacks`, default false): no nested change set is made, no row has a
    ChangeSetId, and every nested stack the template keeps is a Modify row, changed or not.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_ResourceChangeDetail.html"""
    before = {cs["ChangeSetId"] for cs in _all_change_sets(env)}

    root = env.change_set("app", "c1", _second(deployed))

    rows = _rows(root)
    assert root["IncludeNestedStacks"] is False
    assert {n: r["Action"] for n, r in rows.items()} == {"A": "Modify", "B": "Modify", "C": "Add"}
    assert rows["B"]["Details"] == [AUTOMATIC]
    assert all("ChangeSetId" not in r for r in rows.values())
    assert {cs["ChangeSetId"] for cs in _all_change_sets(env)} - before == {root["ChangeSetId"]}


def _all_change_sets(env: Env) -> list[dict[str, Any]]:
    stacks = env.cfn.describe_stacks()["Stacks"]
    return [
        cs
        for s in stacks
        if s["StackStatus"] != "DELETE_COMPLETE"
        for cs in env.cfn.list_change_sets(StackName=s["StackId"])["Summaries"]
    ]


def test_a_nested_change_set_cannot_be_executed_on_its_own(
    env: Env, deployed: dict[str, str]
) -> None:
    """AWS: "You must execute or delete change sets for nested stacks from the root change set";
    a nested change set's ExecutionStatus is UNAVAILABLE ("Executable from root change set"), and
    ExecuteChangeSet refuses a change set that is not AVAILABLE with InvalidChangeSetStatus
    ("Change sets for nested stacks"; ExecuteChangeSet, InvalidChangeSetStatus)."""
    root = env.change_set("app", "c1", _second(deployed), IncludeNestedStacks=True)
    nested = _rows(root)["A"]["ChangeSetId"]

    with pytest.raises(ClientError) as info:
        env.cfn.execute_change_set(ChangeSetName=nested)

    assert info.value.response["Error"]["Code"] == "InvalidChangeSetStatus"
    assert info.value.response["Error"]["Message"] == (
        f"ChangeSet [{nested}] cannot be executed in its current execution status of [UNAVAILABLE]"
    )
    assert env.child("app", "A")["StackStatus"] == "CREATE_COMPLETE"


def test_deleting_the_root_change_set_deletes_the_nested_ones(
    env: Env, deployed: dict[str, str]
) -> None:
    """AWS: "delete-change-set must be executed from the root change set and will delete the
    whole hierarchy of change sets. Nested stacks in the REVIEW_IN_PROGRESS status will also be
    deleted if they were created during the create-change-set action" ("Change sets for nested
    stacks")."""
    root = env.change_set("app", "c1", _second(deployed), IncludeNestedStacks=True)
    nested = [_rows(root)[n]["ChangeSetId"] for n in ("A", "C")]
    review = env.cfn.describe_change_set(ChangeSetName=nested[1])["StackId"]

    env.cfn.delete_change_set(StackName="app", ChangeSetName="c1")

    for arn in nested:
        with pytest.raises(ClientError) as info:
            env.cfn.describe_change_set(ChangeSetName=arn)
        assert info.value.response["Error"]["Code"] == "ChangeSetNotFound"
    assert env.stack(review)["StackStatus"] == "DELETE_COMPLETE"
    assert _all_change_sets(env) == []


def test_executing_the_root_applies_the_nested_change_sets_as_they_were_made(
    env: Env, deployed: dict[str, str]
) -> None:
    """AWS: "execute-change-set must be executed from the root change set and will apply the
    change set on the whole hierarchy of stacks" ("Change sets for nested stacks"): A is updated
    in place, C is created as the stack its nested change set made, with the template read when
    the change set was created; then the nested change sets leave their stacks' lists
    (ExecutionStatus EXECUTE_COMPLETE), as an executed change set does."""
    root = env.change_set("app", "c1", _second(deployed), IncludeNestedStacks=True)
    nested = {n: _rows(root)[n]["ChangeSetId"] for n in ("A", "C")}
    review = env.cfn.describe_change_set(ChangeSetName=nested["C"])["StackId"]
    env.put("c.json", _queues_child("later"))  # read when the change set was made, not now

    env.cfn.execute_change_set(StackName="app", ChangeSetName="c1")

    assert final_status(env.cfn, "app") == "UPDATE_COMPLETE"
    created = env.child("app", "C")
    assert (created["StackId"], created["StackStatus"]) == (review, "CREATE_COMPLETE")
    assert _queue_names(env) == ["a1", "b1", "c1"]
    assert _visibility(env, "a1") == "90"
    assert env.child("app", "A")["StackStatus"] == "UPDATE_COMPLETE"
    for arn in nested.values():
        assert (
            env.cfn.describe_change_set(ChangeSetName=arn)["ExecutionStatus"] == "EXECUTE_COMPLETE"
        )
    assert _all_change_sets(env) == []


def test_a_create_change_set_creates_the_nested_stacks_through_their_change_sets(
    env: Env,
) -> None:
    """AWS: a CREATE change set with IncludeNestedStacks makes the root and each nested stack in
    REVIEW_IN_PROGRESS, each with its CREATE change set (Add rows); executing the root creates
    the nested stacks as those stacks ("Change sets for nested stacks"; CreateChangeSet
    `ChangeSetType`)."""
    url = env.put("a.json", _queues_child("a1"))

    root = env.change_set(
        "app",
        "c1",
        {"Resources": {"A": _nested(url)}},
        ChangeSetType="CREATE",
        IncludeNestedStacks=True,
    )
    nested = env.cfn.describe_change_set(ChangeSetName=_rows(root)["A"]["ChangeSetId"])
    waiting = env.stack(nested["StackId"])
    env.cfn.execute_change_set(StackName="app", ChangeSetName="c1")

    assert (waiting["StackStatus"], waiting["ParentId"]) == ("REVIEW_IN_PROGRESS", root["StackId"])
    assert {n: r["Action"] for n, r in _rows(nested).items()} == {"Q0": "Add"}
    assert final_status(env.cfn, "app") == "CREATE_COMPLETE"
    created = env.child("app", "A")
    assert (created["StackId"], created["StackStatus"]) == (nested["StackId"], "CREATE_COMPLETE")
    assert _queue_names(env) == ["a1"]


def test_a_nested_change_set_comes_in_pages(env: Env, deployed: dict[str, str]) -> None:
    """AWS (DescribeChangeSet, `NextToken`): every change set, a nested one too, returns at most
    100 changes a page, the rest with the NextToken of the previous page.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/APIReference/API_DescribeChangeSet.html"""
    many = env.put("many.json", _queues_child(*(f"m{n}" for n in range(150))))
    template = {
        "Resources": {"A": _nested(deployed["A"]), "B": _nested(deployed["B"]), "M": _nested(many)}
    }
    root = env.change_set("app", "c1", template, IncludeNestedStacks=True)
    arn = _rows(root)["M"]["ChangeSetId"]

    first = env.cfn.describe_change_set(ChangeSetName=arn)
    second = env.cfn.describe_change_set(ChangeSetName=arn, NextToken=first["NextToken"])

    assert (len(first["Changes"]), len(second["Changes"])) == (100, 50)
    assert "NextToken" not in second
    assert second["ParentChangeSetId"] == root["ChangeSetId"]


# 4. Failure -----------------------------------------------------------------------------------

BROKEN = {  # S3 code that does not exist: Lambda refuses to create the function
    "Type": "AWS::Lambda::Function",
    "Properties": {
        "FunctionName": "broken",
        "Runtime": "python3.12",
        "Handler": "index.handler",
        "Role": "arn:aws:iam::123456789012:role/r",
        "Code": {"S3Bucket": "no-such-bucket", "S3Key": "missing.zip"},
    },
}


def _failed_event(env: Env, stack: str, status: str) -> dict[str, Any]:
    events = env.cfn.describe_stack_events(StackName=stack)["StackEvents"]
    found: dict[str, Any] = next(e for e in events if e["ResourceStatus"] == status)
    return found


def test_a_failed_nested_update_rolls_the_root_and_every_nested_stack_back(
    env: Env, deployed: dict[str, str]
) -> None:
    """AWS ("Nested stacks"; "Stack status codes"): when a nested stack's update fails, it rolls
    back and its resource in the parent fails with "Embedded stack <arn> was not successfully
    updated. Currently in UPDATE_ROLLBACK_IN_PROGRESS with reason: The following resource(s)
    failed to update: [...]"; the parent rolls back to UPDATE_ROLLBACK_COMPLETE, taking the
    nested stacks it had already updated back to their previous templates
    (UPDATE_ROLLBACK_COMPLETE)."""
    first_a = env.child("app", "A")
    env.put(
        "b.json",
        {
            **_queues_child("b1"),
            "Resources": {**_queues_child("b1")["Resources"], "Broken": BROKEN},
        },
    )
    change = {"Resources": {"A": _nested(deployed["A"], Timeout="90"), "B": _nested(deployed["B"])}}

    env.cfn.update_stack(StackName="app", TemplateBody=body(change))

    a, b = env.child("app", "A"), env.child("app", "B")
    assert final_status(env.cfn, "app") == "UPDATE_ROLLBACK_COMPLETE"
    assert (a["StackStatus"], b["StackStatus"]) == ("UPDATE_ROLLBACK_COMPLETE",) * 2
    assert a["Parameters"] == first_a["Parameters"]
    assert _visibility(env, "a1") == "30"
    assert "broken" not in [f["FunctionName"] for f in env.lam.list_functions()["Functions"]]
    assert env.cfn.get_template(StackName=b["StackId"])["TemplateBody"] == _queues_child("b1")
    failed = _failed_event(env, "app", "UPDATE_FAILED")
    assert failed["LogicalResourceId"] == "B"
    assert failed["ResourceStatusReason"].startswith(
        f"Embedded stack {b['StackId']} was not successfully updated. Currently in "
        "UPDATE_ROLLBACK_IN_PROGRESS with reason: The following resource(s) failed to update: "
        "[Broken]."
    )
    assert env.statuses("app")[-1] == "UPDATE_ROLLBACK_COMPLETE"
    assert env.statuses(a["StackId"])[-2:] == [
        "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
        "UPDATE_ROLLBACK_COMPLETE",
    ]


def test_a_failed_nested_change_set_execution_rolls_back_and_marks_them_failed(
    env: Env, deployed: dict[str, str]
) -> None:
    """AWS: executing a root change set whose nested stack fails rolls the whole hierarchy back
    as a failed update does (UPDATE_ROLLBACK_COMPLETE, each nested stack back to its previous
    template), and the change sets end with ExecutionStatus EXECUTE_FAILED ("Change sets for
    nested stacks"; DescribeChangeSet `ExecutionStatus`)."""
    broken = {
        **_queues_child("b1"),
        "Resources": {**_queues_child("b1")["Resources"], "Broken": BROKEN},
    }
    env.put("b.json", broken)
    change = {"Resources": {"A": _nested(deployed["A"], Timeout="90"), "B": _nested(deployed["B"])}}
    root = env.change_set("app", "c1", change, IncludeNestedStacks=True)

    env.cfn.execute_change_set(StackName="app", ChangeSetName="c1")

    assert final_status(env.cfn, "app") == "UPDATE_ROLLBACK_COMPLETE"
    assert _visibility(env, "a1") == "30"
    for arn in [root["ChangeSetId"], *(_rows(root)[n]["ChangeSetId"] for n in ("A", "B"))]:
        assert env.cfn.describe_change_set(ChangeSetName=arn)["ExecutionStatus"] == "EXECUTE_FAILED"
    assert [env.child("app", n)["StackStatus"] for n in ("A", "B")] == [
        "UPDATE_ROLLBACK_COMPLETE"
    ] * 2


def test_a_failed_nested_create_rolls_the_root_back_and_deletes_the_nested_stack(
    env: Env,
) -> None:
    """AWS: a nested stack that fails to create rolls back, its resource in the parent fails
    with "Embedded stack <arn> was not successfully created: The following resource(s) failed
    to create: [...]", and the parent's rollback deletes it (ROLLBACK_COMPLETE, the nested stack
    DELETE_COMPLETE) ("Nested stacks"; "Stack status codes")."""
    url = env.put("bad.json", {"Resources": {"Q": _queue("kept-not"), "Broken": BROKEN}})
    env.cfn.create_stack(StackName="app", TemplateBody=body({"Resources": {"Bad": _nested(url)}}))

    failed = _failed_event(env, "app", "CREATE_FAILED")
    child = re.search(r"Embedded stack (\S+) was", failed["ResourceStatusReason"])
    assert final_status(env.cfn, "app") == "ROLLBACK_COMPLETE"
    assert failed["LogicalResourceId"] == "Bad"
    assert child is not None
    assert failed["ResourceStatusReason"] == (
        f"Embedded stack {child[1]} was not successfully created: "
        "The following resource(s) failed to create: [Broken]."
    )
    assert env.stack(child[1])["StackStatus"] == "DELETE_COMPLETE"
    assert _queue_names(env) == []


# 5. Delete ------------------------------------------------------------------------------------


def test_deleting_the_root_deletes_its_nested_stacks(env: Env, deployed: dict[str, str]) -> None:
    """AWS: deleting a stack deletes its resources, and a nested stack resource is deleted by
    deleting the nested stack (DELETE_COMPLETE) ("Nested stacks"; "Delete a stack")."""
    children = [env.child("app", n)["StackId"] for n in ("A", "B")]

    env.cfn.delete_stack(StackName="app")

    assert [env.stack(c)["StackStatus"] for c in children] == ["DELETE_COMPLETE"] * 2
    assert _queue_names(env) == []
    assert [s["StackName"] for s in env.cfn.describe_stacks()["Stacks"]] == []


def test_a_nested_stack_can_be_deleted_on_its_own(env: Env, deployed: dict[str, str]) -> None:
    """AWS: DeleteStack accepts a nested stack (the user guide only recommends operating on the
    root: "Certain stack operations, such as stack updates, should be initiated from the root
    stack"); the parent keeps its resource, and deleting the parent later succeeds."""
    child = env.child("app", "A")["StackId"]

    env.cfn.delete_stack(StackName=child)
    env.cfn.delete_stack(StackName="app")

    assert env.stack(child)["StackStatus"] == "DELETE_COMPLETE"
    assert (
        env.stack(env.cfn.list_stacks()["StackSummaries"][0]["StackId"])["StackStatus"]
        == "DELETE_COMPLETE"
    )
    assert _queue_names(env) == []


# 6. Limits per template -----------------------------------------------------------------------

HANDLE = {"Type": "AWS::CloudFormation::WaitConditionHandle"}
TOO_MANY = "Template format error: Number of resources, 501, is greater than maximum allowed, 500"


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_each_nested_template_has_the_quotas_of_a_template(env: Env) -> None:
    """AWS ("CloudFormation quotas": 500 resources per template, "Template body size in an
    Amazon S3 object: 1 MB"): a nested template is a template of its own; past a quota its
    nested stack is refused with the quota's message on the parent's resource, and the parent
    rolls back; a nested template over 51,200 bytes (the TemplateBody limit) is fine from S3.
    https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html"""
    many = env.put("many.json", {"Resources": {f"H{i}": HANDLE for i in range(501)}})
    large = env.put("large.json", {"Metadata": {"Pad": "x" * 60_000}, **_queues_child("large")})

    env.cfn.create_stack(StackName="app", TemplateBody=body({"Resources": {"Many": _nested(many)}}))
    env.cfn.create_stack(
        StackName="ok", TemplateBody=body({"Resources": {"Large": _nested(large)}})
    )

    assert final_status(env.cfn, "app") == "ROLLBACK_COMPLETE"
    assert _failed_event(env, "app", "CREATE_FAILED")["ResourceStatusReason"] == TOO_MANY
    assert final_status(env.cfn, "ok") == "CREATE_COMPLETE"
    assert {s["StackName"] for s in env.cfn.describe_stacks()["Stacks"]} == {
        "app",
        "ok",
        env.child("ok", "Large")["StackName"],
    }


def test_a_nested_template_over_1_mb_fails_the_update(env: Env, deployed: dict[str, str]) -> None:
    """AWS ("CloudFormation quotas": "Template body size in an Amazon S3 object: 1 MB"): the
    nested stack's update is refused with "Template may not exceed 1000000 bytes in size." and
    the parent rolls back, the nested stack untouched."""
    env.put("a.json", {"Metadata": {"Pad": "x" * 1_000_000}, **_queues_child("a1")})
    change = {"Resources": {"A": _nested(deployed["A"], Timeout="90"), "B": _nested(deployed["B"])}}

    env.cfn.update_stack(StackName="app", TemplateBody=body(change))

    assert final_status(env.cfn, "app") == "UPDATE_ROLLBACK_COMPLETE"
    reason = _failed_event(env, "app", "UPDATE_FAILED")["ResourceStatusReason"]
    assert reason == "Template may not exceed 1000000 bytes in size."
    assert env.child("app", "A")["StackStatus"] == "CREATE_COMPLETE"


@pytest.mark.filterwarnings("ignore:Tried to parse:UserWarning")
def test_a_nested_change_set_past_a_quota_fails_with_the_root(
    env: Env, deployed: dict[str, str]
) -> None:
    """AWS: with IncludeNestedStacks each nested template is validated when its change set is
    made: the nested change set ends FAILED with the quota's message and the root with "Nested
    change set <arn> was not successfully created: Currently in FAILED." ("Change sets for
    nested stacks"; "CloudFormation quotas")."""
    env.put("a.json", {"Resources": {f"H{i}": HANDLE for i in range(501)}})
    change = {"Resources": {"A": _nested(deployed["A"], Timeout="90"), "B": _nested(deployed["B"])}}

    root = env.change_set("app", "c1", change, IncludeNestedStacks=True)

    nested = env.cfn.describe_change_set(ChangeSetName=_rows(root)["A"]["ChangeSetId"])
    assert (nested["Status"], nested["StatusReason"]) == ("FAILED", TOO_MANY)
    assert (root["Status"], root["ExecutionStatus"]) == ("FAILED", "UNAVAILABLE")
    assert root["StatusReason"] == (
        f"Nested change set {nested['ChangeSetId']} was not successfully created: "
        "Currently in FAILED."
    )


# 7. Listing -----------------------------------------------------------------------------------


def test_nested_stacks_are_listed_with_their_parent(env: Env, deployed: dict[str, str]) -> None:
    """AWS: DescribeStacks without a name and ListStacks list nested stacks with the others,
    with `ParentId` and `RootId` (DescribeStacks, ListStacks, StackSummary)."""
    root_id = env.stack("app")["StackId"]

    described = env.cfn.describe_stacks()["Stacks"]
    summaries = env.cfn.list_stacks()["StackSummaries"]

    for listing in (described, summaries):
        nested = {s["StackName"]: s.get("ParentId") for s in listing if s.get("RootId") == root_id}
        assert len(nested) == 2 and set(nested.values()) == {root_id}
    assert len(described) == len(summaries) == 3
