"""A nested child's template: a function's resources, with references to the root as parameters.

A child sees the root only through parameters: a `Ref` to a root resource or parameter becomes a
parameter of the same name, a `Fn::GetAtt` one named after the resource and attribute, and
`AWS::StackName`/`AWS::StackId` (which would name the child) the root's. Conditions and mappings a
function uses are copied into the child. Pure (see twophase.infra.render.nesting).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Iterable, Mapping
from typing import Any

STACK_TYPE = "AWS::CloudFormation::Stack"
ROOT_NAME_PARAMETER = "TwophaseRootStackName"
ROOT_ID_PARAMETER = "TwophaseRootStackId"
_ROOT_PSEUDO = {"AWS::StackName": ROOT_NAME_PARAMETER, "AWS::StackId": ROOT_ID_PARAMETER}
_LIST_TYPES = ("CommaDelimitedList", "List<")
PLACEHOLDER = re.compile(r"\$\{(?!!)([^}]+)\}")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


def child_template(
    whole: Mapping[str, Any],
    ids: list[str],
    outs: list[str],
    *,
    label: str,
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The child's template, the values its parameters take in the root, and the root resources
    it must wait for (a `DependsOn` that crosses into the root)."""
    inside = set(ids)
    rewriter = _Rewriter(whole, inside)
    resources: dict[str, Any] = {}
    depends: set[str] = set()
    for i in ids:
        body = dict(whole["Resources"][i])  # rewriting copies the rest
        on = body.get("DependsOn")
        if on is not None:
            names = [on] if isinstance(on, str) else list(on)
            depends |= {n for n in names if n not in inside}
            kept = [n for n in names if n in inside]
            if kept:
                body["DependsOn"] = kept
            else:
                del body["DependsOn"]
        if "Condition" in body:
            rewriter.condition(body["Condition"])
        resources[i] = rewriter.rewrite(body)
    outputs = {o: rewriter.rewrite(whole["Outputs"][o]) for o in outs}
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": whole.get("AWSTemplateFormatVersion", "2010-09-09"),
        "Description": f"{whole.get('Description', 'twophase app')}: functions, part {label}",
    }
    if rewriter.parameters:
        template["Parameters"] = dict(sorted(rewriter.parameters.items()))
    if rewriter.mappings:
        template["Mappings"] = dict(sorted(rewriter.mappings.items()))
    if rewriter.conditions:
        template["Conditions"] = dict(sorted(rewriter.conditions.items()))
    template["Resources"] = resources
    if outputs:
        template["Outputs"] = outputs
    return template, dict(sorted(rewriter.values.items())), sorted(depends)


class _Rewriter:
    """Rewrites a function's resources for its child: references to the root become parameters."""

    def __init__(self, whole: Mapping[str, Any], inside: set[str]) -> None:
        self.root_parameters: Mapping[str, Any] = whole.get("Parameters") or {}
        self.root_resources: Mapping[str, Any] = whole.get("Resources") or {}
        self.root_conditions: Mapping[str, Any] = whole.get("Conditions") or {}
        self.root_mappings: Mapping[str, Any] = whole.get("Mappings") or {}
        self.inside = inside
        self.parameters: dict[str, Any] = {}  # the child's Parameters section
        self.values: dict[str, Any] = {}  # what the root passes for each
        self.conditions: dict[str, Any] = {}
        self.mappings: dict[str, Any] = {}

    def rewrite(self, value: Any) -> Any:
        if isinstance(value, list):
            return [self.rewrite(v) for v in value]
        if not isinstance(value, dict):
            return value
        if len(value) == 1:
            ((key, argument),) = value.items()
            rewritten = self._intrinsic(key, argument)
            if rewritten is not None:
                return rewritten
        return {k: self.rewrite(v) for k, v in value.items()}

    def _intrinsic(self, key: str, argument: Any) -> Any:
        """A reference rewritten for the child, or None to rewrite the value's parts (noting the
        conditions and mappings it uses)."""
        if key == "Ref" and isinstance(argument, str):
            return {"Ref": self.ref(argument)}
        if key == "Fn::GetAtt":
            target, attribute = get_att(argument)
            return None if target in self.inside else {"Ref": self.attribute(target, attribute)}
        if key == "Fn::Sub":
            return {"Fn::Sub": self.sub(argument)}
        if key == "Fn::If" and isinstance(argument, list) and argument:
            self.condition(argument[0])
        elif key == "Fn::FindInMap" and isinstance(argument, list) and argument:
            self.mapping(argument[0])
        elif key == "Condition":
            self.condition(argument)
        return None

    def ref(self, name: str) -> str:
        if name in self.inside or (name.startswith("AWS::") and name not in _ROOT_PSEUDO):
            return name
        if name in _ROOT_PSEUDO:
            return self._parameter(_ROOT_PSEUDO[name], "String", {"Ref": name})
        declared = self.root_parameters.get(name)
        if isinstance(declared, Mapping) and str(declared.get("Type", "")).startswith(_LIST_TYPES):
            value = {"Fn::Join": [",", {"Ref": name}]}
            return self._parameter(name, "CommaDelimitedList", value)
        return self._parameter(name, "String", {"Ref": name})

    def attribute(self, target: str, attribute: str) -> str:
        name = f"{target}{_NOT_ALNUM.sub('', attribute)}Attribute"
        return self._parameter(name, "String", {"Fn::GetAtt": [target, attribute]})

    def sub(self, argument: Any) -> Any:
        text, variables = (
            (argument[0], argument[1]) if isinstance(argument, list) else (argument, {})
        )
        local = set(variables) if isinstance(variables, Mapping) else set()

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name in local:
                return match.group(0)
            if "." in name:
                target, attribute = name.split(".", 1)
                if target in self.inside:
                    return match.group(0)
                return "${" + self.attribute(target, attribute) + "}"
            return "${" + self.ref(name) + "}"

        rewritten = PLACEHOLDER.sub(replace, text) if isinstance(text, str) else text
        if isinstance(argument, list):
            return [rewritten, self.rewrite(variables)]
        return rewritten

    def condition(self, name: Any) -> None:
        if not isinstance(name, str) or name in self.conditions:
            return
        if name not in self.root_conditions:
            return
        self.conditions[name] = {}  # marks it seen before its body is walked (no cycles)
        self.conditions[name] = self.rewrite(self.root_conditions[name])

    def mapping(self, name: Any) -> None:
        if isinstance(name, str) and name in self.root_mappings:
            self.mappings[name] = copy.deepcopy(self.root_mappings[name])

    def _parameter(self, name: str, kind: str, value: Any) -> str:
        self.parameters[name] = {"Type": kind}
        self.values[name] = value
        return name


def get_att(argument: Any) -> tuple[str, str]:
    if isinstance(argument, str):
        target, _, attribute = argument.partition(".")
        return target, attribute
    return str(argument[0]), str(argument[1]) if len(argument) > 1 else ""


def stack_resource(bucket: str, key: str, values: Mapping[str, Any], depends: list[str]) -> Any:
    """The root's `AWS::CloudFormation::Stack` for a child: its template staged in the artifact
    bucket (the URL CloudFormation reads, in the stack's own region and partition)."""
    url = {"Fn::Sub": f"https://{bucket}.s3.${{AWS::Region}}.${{AWS::URLSuffix}}/{key}"}
    properties: dict[str, Any] = {"TemplateURL": url}
    if values:
        properties["Parameters"] = dict(values)
    resource: dict[str, Any] = {"Type": STACK_TYPE, "Properties": properties}
    if depends:
        resource["DependsOn"] = depends
    return resource


def references(values: Iterable[Any]) -> set[str]:
    """Every logical id or parameter the values name (Ref, GetAtt, Sub, DependsOn)."""
    found: set[str] = set()
    stack = list(values)
    while stack:
        value = stack.pop()
        if isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, dict):
            for key, argument in value.items():
                if key == "Ref" and isinstance(argument, str):
                    found.add(argument)
                elif key == "Fn::GetAtt":
                    found.add(get_att(argument)[0])
                elif key == "DependsOn":
                    found.update([argument] if isinstance(argument, str) else argument)
                elif key == "Fn::Sub":
                    text = argument[0] if isinstance(argument, list) else argument
                    if isinstance(text, str):
                        found.update(m.split(".")[0] for m in PLACEHOLDER.findall(text))
                stack.append(argument)
    return {n for n in found if not n.startswith("AWS::") or n in _ROOT_PSEUDO}
