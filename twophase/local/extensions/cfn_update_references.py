"""A stack update also updates the resources whose references now resolve to something else.

AWS behaviour (CloudFormation user guide, "Update behaviors of stack resources": "When you update a
resource, ... resources that depend on the updated resource might also be updated", and the change
set's `Dynamic` evaluation with `ChangeSource` `ResourceReference`/`ResourceAttribute`): when a
resource is replaced, every resource whose properties use its `Ref` or `Fn::GetAtt` is updated with
the new value, although its own template text did not change. A `Lambda::Alias` whose
`FunctionVersion` is `Fn::GetAtt [Version, Version]` moves to the version that replaced the old one.
moto 5.2.5 updates only the resources whose template text changed.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from twophase.local.extensions._cfn_common import dependents_first, patch, references

_RESOLVED = "_twophase_resolved"


def resolved_properties(rm: Any, name: str) -> Any:
    """`name`'s properties with every intrinsic function evaluated against the stack now."""
    from moto.cloudformation.parsing import clean_json

    body = rm._resource_json_map.get(name) or {}
    try:
        return clean_json(copy.deepcopy(body.get("Properties") or {}), rm)
    except Exception:
        return None


def record_resolved(rm: Any, name: str) -> None:
    """Remember what `name`'s properties resolved to when it was last created or updated."""
    rm.__dict__.setdefault(_RESOLVED, {})[name] = resolved_properties(rm, name)


def changed_by_references(rm: Any, name: str) -> set[str]:
    """The properties of `name` that resolve differently now than when it was last applied."""
    before = rm.__dict__.get(_RESOLVED, {}).get(name)
    now = resolved_properties(rm, name)
    if not isinstance(before, dict) or not isinstance(now, dict):
        return set()
    return {p for p in set(before) | set(now) if before.get(p) != now.get(p)}


def follow_references(rm: Any, changed: set[str], modify: Callable[[Any, list[str]], None]) -> None:
    """Update, in creation order, each unchanged resource that refers to a changed one and whose
    properties now resolve differently; what it updates counts as changed in turn."""
    recorded = rm.__dict__.setdefault(_RESOLVED, {})
    for name in reversed(dependents_first(rm._resource_json_map)):
        if name in changed or rm._parsed_resources.get(name) is None:
            continue
        if not references(rm._resource_json_map[name]) & changed:
            continue
        if name in recorded and resolved_properties(rm, name) == recorded[name]:
            continue
        modify(rm, [name])
        changed.add(name)


def _recording(original: Any) -> Any:
    def run(logical_id: str, resource_json: dict[str, Any], resources_map: Any, **kw: Any) -> Any:
        resource = original(logical_id, resource_json, resources_map, **kw)
        if resource is not None:
            resources_map.__dict__.setdefault(_RESOLVED, {})[logical_id] = resolved_properties(
                resources_map, logical_id
            )
        return resource

    return run


def install() -> None:
    from moto.cloudformation import parsing

    patch(parsing, "parse_and_create_resource", _recording)
