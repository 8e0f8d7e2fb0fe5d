"""Change sets describe each resource change, and executing one behaves like a stack operation.

AWS behaviour (CloudFormation API reference, DescribeChangeSet / ResourceChange): every change has
`Action` Add, Modify or Remove, the `LogicalResourceId`, `ResourceType` and, for existing
resources, `PhysicalResourceId`; a Modify says whether it needs `Replacement` ("True"/"False"), its
`Scope` (["Properties"]) and `Details` naming each changed property with `RequiresRecreation`.
An unchanged resource whose properties refer to a replaced one is a Modify too, its detail
`Evaluation` Dynamic with the `ChangeSource` (ResourceReference / ResourceAttribute) and
`CausingEntity` (`Ver` / `Ver.Version`). A change set with no changes ends `FAILED` with the
reason "The submitted information didn't contain changes. Submit different information to create
a change set.". ExecuteChangeSet of a CREATE or UPDATE change set creates or updates the stack
(template, parameters, outputs) and rolls back on failure. moto 5.2.5 lists only action, id and
type, and after executing keeps the old template's outputs and raises resource errors to the
caller.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import patch, references
from twophase.local.extensions.cfn_rollback import rollback_create, rollback_update, snapshot

# Properties whose change replaces the resource ("Update requires: Replacement" in the user guide).
# "*" means every property.
REPLACING: dict[str, frozenset[str]] = {
    "AWS::Lambda::Function": frozenset({"FunctionName", "PackageType"}),
    "AWS::Lambda::Alias": frozenset({"Name", "FunctionName"}),
    "AWS::Lambda::Version": frozenset({"*"}),
    "AWS::Lambda::Permission": frozenset({"*"}),
    "AWS::SQS::Queue": frozenset({"QueueName", "FifoQueue"}),
    "AWS::DynamoDB::Table": frozenset({"TableName", "KeySchema"}),
    "AWS::S3::Bucket": frozenset({"BucketName"}),
    "AWS::IAM::Role": frozenset({"RoleName", "Path"}),
    "AWS::IAM::ManagedPolicy": frozenset({"ManagedPolicyName", "Path", "Description"}),
    "AWS::SNS::Topic": frozenset({"TopicName", "FifoTopic"}),
    "AWS::Logs::LogGroup": frozenset({"LogGroupName"}),
    "AWS::Events::Rule": frozenset({"Name"}),
    "AWS::ApiGatewayV2::Api": frozenset({"ProtocolType"}),
    "AWS::CloudWatch::Alarm": frozenset({"AlarmName"}),
    "AWS::CodeDeploy::Application": frozenset({"ApplicationName", "ComputePlatform"}),
    "AWS::CodeDeploy::DeploymentGroup": frozenset({"ApplicationName", "DeploymentGroupName"}),
    "AWS::CodeDeploy::DeploymentConfig": frozenset({"*"}),
}


def requires_replacement(resource_type: str, prop: str) -> bool:
    replacing = REPLACING.get(resource_type, frozenset())
    return "*" in replacing or prop in replacing


def changed_properties(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    before, after = old.get("Properties") or {}, new.get("Properties") or {}
    return sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))


class ResourceChange:
    """One row of DescribeChangeSet's `Changes` (serialized by moto from these attributes)."""

    def __init__(self, action: str, logical_id: str, resource_type: str, physical_id: Any) -> None:
        self.action = action
        self.logical_resource_id = logical_id
        self.resource_type = resource_type
        self.physical_resource_id = physical_id
        self.replacement: str | None = None
        self.scope: list[str] | None = None
        self.details: list[dict[str, Any]] | None = None


def modification(
    logical_id: str, old: dict[str, Any], new: dict[str, Any], physical_id: Any
) -> ResourceChange:
    kind = new["Type"]
    props = changed_properties(old, new)
    change = ResourceChange("Modify", logical_id, kind, physical_id)
    change.replacement = str(
        kind != old["Type"] or any(requires_replacement(kind, p) for p in props)
    )
    change.scope = ["Properties"] if props else []
    change.details = [
        {
            "Target": {
                "Attribute": "Properties",
                "Name": p,
                "RequiresRecreation": "Always" if requires_replacement(kind, p) else "Never",
            },
            "Evaluation": "Static",
            "ChangeSource": "DirectModification",
        }
        for p in props
    ]
    return change


def resource_changes(
    old: dict[str, Any], new: dict[str, Any], parsed: dict[str, Any]
) -> list[ResourceChange]:
    """The changes from the `old` to the `new` Resources section, in template order."""

    def physical(name: str) -> Any:
        return getattr(parsed.get(name), "physical_resource_id", None)

    changes = [ResourceChange("Add", n, r["Type"], None) for n, r in new.items() if n not in old]
    changes += [
        modification(n, old[n], r, physical(n)) for n, r in new.items() if n in old and old[n] != r
    ]
    changes += dependent_changes(old, new, changes, physical)
    changes += [
        ResourceChange("Remove", n, r["Type"], physical(n)) for n, r in old.items() if n not in new
    ]
    return changes


def dependent_changes(
    old: dict[str, Any], new: dict[str, Any], direct: list[ResourceChange], physical: Any
) -> list[ResourceChange]:
    """Modify rows for unchanged resources whose properties refer to a replaced resource: their
    `Ref`/`Fn::GetAtt` values change (`Evaluation` Dynamic, the cause in `CausingEntity`)."""
    replaced = {c.logical_resource_id for c in direct if c.replacement == "True"}
    rows: list[ResourceChange] = []
    listed = {c.logical_resource_id for c in direct}
    while True:
        found = [
            (n, r)
            for n, r in new.items()
            if n in old
            and n not in listed
            and old[n] == r
            and any(references(v) & replaced for v in (r.get("Properties") or {}).values())
        ]
        if not found:
            return rows
        for name, body in found:
            row = _dependent_row(name, body, replaced, physical(name))
            rows.append(row)
            listed.add(name)
            if row.replacement == "True":
                replaced.add(name)


def _cause(value: Any, replaced: set[str]) -> tuple[str, str]:
    """(ChangeSource, CausingEntity) of the first reference in `value` to a replaced resource."""
    if isinstance(value, dict):
        att = value.get("Fn::GetAtt")
        if isinstance(att, list) and att and att[0] in replaced:
            return "ResourceAttribute", ".".join(str(a) for a in att)
        if value.get("Ref") in replaced:
            return "ResourceReference", str(value["Ref"])
        value = list(value.values())
    for inner in value if isinstance(value, list) else []:
        found = _cause(inner, replaced)
        if found[1]:
            return found
    return "ResourceReference", ""


def _dependent_row(
    name: str, body: dict[str, Any], replaced: set[str], physical: Any
) -> ResourceChange:
    kind = body["Type"]
    props = {
        p: _cause(v, replaced)
        for p, v in sorted((body.get("Properties") or {}).items())
        if references(v) & replaced
    }
    change = ResourceChange("Modify", name, kind, physical)
    change.replacement = str(any(requires_replacement(kind, p) for p in props))
    change.scope = ["Properties"]
    change.details = [
        {
            "Target": {
                "Attribute": "Properties",
                "Name": p,
                "RequiresRecreation": "Always" if requires_replacement(kind, p) else "Never",
            },
            "Evaluation": "Dynamic",
            "ChangeSource": source,
            "CausingEntity": cause,
        }
        for p, (source, cause) in props.items()
    ]
    return change


def _diff(_original: Any) -> Any:
    def diff(self: Any) -> list[ResourceChange]:
        rm = self.stack.resource_map
        new = (self.template_dict or {}).get("Resources") or {}
        return resource_changes(rm._resource_json_map, new, rm._parsed_resources)

    return diff


def _find(backend: Any, change_set_name: str) -> Any:
    if change_set_name in backend.change_sets:
        return backend.change_sets[change_set_name]
    for cs in backend.change_sets.values():
        if cs.change_set_name == change_set_name:
            return cs
    return None


def _refresh(backend: Any, stack: Any, change_set: Any) -> None:
    """After execution the stack carries the change set's template, parameters and outputs."""
    stack.template = change_set.template
    stack._parse_template()
    stack.description = stack.template_dict.get("Description")
    if change_set.parameters:
        stack.parameters = change_set.parameters
    stack.output_map = stack._create_output_map()
    for export in stack.exports:
        backend.exports[export.name] = export


def _execute(original: Any) -> Any:
    def execute_change_set(self: Any, change_set_name: str, stack_name: str | None = None) -> None:
        change_set = _find(self, change_set_name)
        if change_set is None:
            return original(self, change_set_name, stack_name)  # moto's own "not found" error
        stack = self.stacks[change_set.stack_id]
        before = snapshot(stack)
        try:
            original(self, change_set_name, stack_name)
        except Exception as exc:
            change_set.execution_status = "EXECUTE_FAILED"
            stack.template = change_set.template
            stack._parse_template()
            if change_set.change_set_type == "CREATE":
                rollback_create(stack, exc)
            else:
                rollback_update(stack, before, exc)
            return None
        _refresh(self, stack, change_set)
        return None

    return execute_change_set


def install() -> None:
    from moto.cloudformation.models import ChangeSet, CloudFormationBackend

    patch(ChangeSet, "diff", _diff)
    patch(CloudFormationBackend, "execute_change_set", _execute)
