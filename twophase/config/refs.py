"""`${Name}` and `${Name.Attr}` in config values: finding them, checking them, resolving them.

A value that is exactly one reference becomes `{"Ref": Name}` or `{"Fn::GetAtt": [Name, Attr]}`;
a string that mixes text and references becomes `{"Fn::Sub": ...}`, which CloudFormation resolves
with the same syntax. `${!Literal}` is Fn::Sub's escape for a literal `${Literal}`.
"""

from __future__ import annotations

import re
from typing import Any

_REF = re.compile(r"\$\{([^}!][^}]*)\}")
_WHOLE = re.compile(r"^\$\{([A-Za-z0-9:]+)(?:\.([A-Za-z0-9.]+))?\}$")
_NAME = re.compile(r"^[A-Za-z0-9]+(?:\.[A-Za-z0-9.]+)?$|^AWS::[A-Za-z]+$")

PSEUDO_PARAMETERS = (
    "AWS::AccountId",
    "AWS::NotificationARNs",
    "AWS::Partition",
    "AWS::Region",
    "AWS::StackId",
    "AWS::StackName",
    "AWS::URLSuffix",
)


def find_refs(value: Any) -> list[str]:
    """Every `${...}` reference in a string, or in the strings of a nested list/dict."""
    if isinstance(value, str):
        return _REF.findall(value)
    if isinstance(value, dict):
        return [ref for item in value.values() for ref in find_refs(item)]
    if isinstance(value, list):
        return [ref for item in value for ref in find_refs(item)]
    return []


def check_ref(ref: str, template: dict[str, Any]) -> str | None:
    """Why `ref` does not resolve against the template, or None when it does."""
    if not _NAME.match(ref):
        return f"${{{ref}}} is not a reference; write ${{Name}} or ${{Name.Attribute}}"
    if ref in PSEUDO_PARAMETERS:
        return None
    name, _, attribute = ref.partition(".")
    resources = template.get("Resources", {})
    parameters = template.get("Parameters", {})
    if attribute and name in resources:
        return None
    if not attribute and (name in resources or name in parameters):
        return None
    if attribute and name in parameters:
        return f"${{{ref}}}: {name} is a parameter, which has no attributes; write ${{{name}}}"
    known = sorted([*resources, *parameters])
    listed = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
    where = f"the shared template defines {listed}" if known else "there is no shared template"
    return f"${{{ref}}} names no resource or parameter ({where}); fix the name"


def resolve(value: Any) -> Any:
    """The CloudFormation form of a config value (strings with `${}` become intrinsics)."""
    if isinstance(value, str):
        if "${" not in value:
            return value
        whole = _WHOLE.match(value)
        if whole and whole.group(0).count("${") == 1:
            name, attribute = whole.group(1), whole.group(2)
            return {"Fn::GetAtt": [name, attribute]} if attribute else {"Ref": name}
        return {"Fn::Sub": value}
    if isinstance(value, dict):
        return {key: resolve(item) for key, item in value.items()}
    if isinstance(value, list):
        return [resolve(item) for item in value]
    return value
