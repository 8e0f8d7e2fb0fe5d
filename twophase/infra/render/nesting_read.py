"""A deployed layout read back: the root and its nested children as one logical template.

`assemble` is `split`'s inverse (twophase.infra.render.nesting): every parameter a child was given
is replaced by what the root passed for it, so the checks that compare with what is deployed see
one template whatever the layout. Pure.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from typing import Any

from twophase.infra.render.nesting_child import PLACEHOLDER, get_att
from twophase.names import METADATA_KEY

STACK_KEY = "Stack"  # a function's entry in the root's metadata: the child holding it


def child_ids(root: Mapping[str, Any]) -> list[str]:
    """The child stacks of a deployed root: those its functions are recorded in ([] for a flat
    app; a child with no function left is removed)."""
    functions = ((root.get("Metadata") or {}).get(METADATA_KEY) or {}).get("Functions") or {}
    return sorted({str(f[STACK_KEY]) for f in functions.values() if f.get(STACK_KEY)})


def assemble(root: Mapping[str, Any], children: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    """The deployed root and its children as one logical template (`split`'s inverse, except a
    `DependsOn` that crossed into the root, which stays on the child stack)."""
    whole = copy.deepcopy(dict(root))
    resources = whole.setdefault("Resources", {})
    outputs = whole.setdefault("Outputs", {})
    for child, template in children.items():
        stack = resources.pop(child, {})
        values = (stack.get("Properties") or {}).get("Parameters") or {}
        original = {name: _unwrap(value) for name, value in values.items()}
        restore = _Restorer(original)
        resources.update(restore.value(copy.deepcopy(dict(template.get("Resources") or {}))))
        outputs.update(restore.value(copy.deepcopy(dict(template.get("Outputs") or {}))))
    if not outputs:
        whole.pop("Outputs")
    return whole


def _unwrap(value: Any) -> Any:
    """What a child parameter stands for in the root (a list parameter is passed joined)."""
    if isinstance(value, Mapping) and "Fn::Join" in value:
        joined = value["Fn::Join"]
        if isinstance(joined, list) and len(joined) == 2 and joined[0] == ",":
            return joined[1]
    return value


class _Restorer:
    def __init__(self, original: Mapping[str, Any]) -> None:
        self.original = original

    def value(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.value(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            if key == "Ref" and argument in self.original:
                return copy.deepcopy(self.original[argument])
            if key == "Fn::Sub":
                return {"Fn::Sub": self.sub(argument)}
        return {k: self.value(v) for k, v in value.items()}

    def sub(self, argument: Any) -> Any:
        text, variables = (
            (argument[0], argument[1]) if isinstance(argument, list) else (argument, {})
        )

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            expression = self.original.get(name)
            if isinstance(expression, Mapping) and "Ref" in expression:
                return "${" + str(expression["Ref"]) + "}"
            if isinstance(expression, Mapping) and "Fn::GetAtt" in expression:
                target, attribute = get_att(expression["Fn::GetAtt"])
                return "${" + f"{target}.{attribute}" + "}"
            return match.group(0)

        restored = PLACEHOLDER.sub(replace, text) if isinstance(text, str) else text
        if isinstance(argument, list):
            return [restored, self.value(variables)]
        return restored
