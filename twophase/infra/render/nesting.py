"""Past one stack's limits: the whole template split into a root stack and nested child stacks.

CloudFormation holds a stack to 500 resources and 200 outputs, so an app of hundreds of functions
cannot live in one template. `split` takes the whole template the builder rendered (one logical
template, every id unique) and places each function's resources and outputs in a stack: the root
(the app stack, with the shared template, twophase's own parts, and the child stacks as
`AWS::CloudFormation::Stack` resources) or a child (`FunctionsStack<N>`, its template in the
artifact bucket). `assemble` is its inverse: the deployed root and children read back as one
logical template, so everything that compares with what is deployed (the traffic and pushed-code
checks, keeping phase two's state) works on one template whatever the layout.

**The assignment is stable.** A function never moves between stacks: CloudFormation would delete
it in one and create it in the other, which fails on its name and would lose its code. So the
deployed root records each function's stack (`Metadata.Twophase.Functions.<fn>.Stack`; absent =
the root), a function keeps it, and only new functions are placed: in the root while the whole
app still fits one stack (an app that has always fitted stays flat, its template unchanged), else
in the lowest-numbered child with room, else in a new child. Children are filled to a budget well
under AWS's limits, so a function can grow (a route, a trigger) without outgrowing its child.

A child sees the root only through parameters: a `Ref` to a root resource or parameter becomes a
parameter of the same name, a `Fn::GetAtt` one named after the resource and attribute, and
`AWS::StackName`/`AWS::StackId` (which would name the child) the root's. Conditions and mappings a
function uses are copied into its child. Pure: no AWS calls, same input, same output.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from twophase.errors import ConfigError
from twophase.names import METADATA_KEY, functions_stack_id, template_key

STACK_TYPE = "AWS::CloudFormation::Stack"
STACK_KEY = "Stack"  # a function's entry in the root's metadata: the child holding it
STACKS_KEY = "Stacks"  # the root's metadata: its child stacks, by logical id
ROOT_NAME_PARAMETER = "TwophaseRootStackName"
ROOT_ID_PARAMETER = "TwophaseRootStackId"
_ROOT_PSEUDO = {"AWS::StackName": ROOT_NAME_PARAMETER, "AWS::StackId": ROOT_ID_PARAMETER}
_LIST_TYPES = ("CommaDelimitedList", "List<")
_PLACEHOLDER = re.compile(r"\$\{(?!!)([^}]+)\}")
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]")


@dataclass(frozen=True)
class Budget:
    """How full a stack may be filled (CloudFormation allows 500, 200, 200 and 1,000,000)."""

    resources: int
    outputs: int
    parameters: int
    size: int


# The whole app stays in one stack while it fits with room to grow; a child is filled to less,
# so each of its functions can gain resources later without moving.
FLAT = Budget(resources=450, outputs=180, parameters=180, size=800_000)
CHILD = Budget(resources=400, outputs=160, parameters=150, size=600_000)


@dataclass(frozen=True)
class Group:
    """What one function owns in the whole template, by logical id."""

    resources: tuple[str, ...]
    outputs: tuple[str, ...]


@dataclass(frozen=True)
class ChildTemplate:
    template: dict[str, Any]
    text: str  # as dumped: its digest names the object TemplateURL points at
    key: str  # the artifact bucket key it is staged under


@dataclass(frozen=True)
class Layout:
    """The whole logical template and how it is deployed: the root's template and each child's."""

    whole: dict[str, Any]
    root: dict[str, Any]
    children: Mapping[str, ChildTemplate] = field(default_factory=dict)
    assignment: Mapping[str, str] = field(default_factory=dict)  # function -> child ('' = root)
    root_text: str = ""  # the root's template as sent

    def sizes(self) -> dict[str, int]:
        """Each template's size in bytes, as sent, by the label `stacks` gives it."""
        return {
            "": len(self.root_text.encode()),
            **{cid: len(c.text.encode()) for cid, c in self.children.items()},
        }

    def stacks(self) -> dict[str, Mapping[str, Any]]:
        """Every template of the layout, by the label a limit error names it with."""
        return {"": self.root, **{cid: c.template for cid, c in self.children.items()}}


# --- splitting -----------------------------------------------------------------------------------


def split(
    whole: dict[str, Any],
    groups: Mapping[str, Group],
    *,
    deployed: Mapping[str, Any] | None,
    bucket: str,
    dump: Callable[[Mapping[str, Any]], str],
) -> Layout:
    """Place every function in the root or a child (see the module's docstring) and build the
    templates. `deployed` is the deployed logical template (`assemble`d) or None; `dump` turns a
    flat template into its text (the builder's `dump_template`). A split one's templates are sent
    compact, leaving the most room under the 1 MB a template may take."""
    pinned = _pinned(whole, groups)
    assignment = _assign(whole, groups, pinned, _previous(deployed))
    by_child: dict[str, list[str]] = {}
    for function, child in sorted(assignment.items()):
        if child:
            by_child.setdefault(child, []).append(function)
    if not by_child:
        return Layout(whole, whole, {}, assignment, dump(whole))
    whole = _recorded(whole, assignment, sorted(by_child))
    moved: set[str] = set()
    children: dict[str, ChildTemplate] = {}
    stacks: dict[str, Any] = {}
    for child, functions in sorted(by_child.items()):
        if child in whole.get("Resources", {}):
            raise ConfigError(
                f"the shared template uses the resource id '{child}', which twophase gives a "
                "nested stack of functions: rename it in the shared template"
            )
        ids = [i for f in functions for i in groups[f].resources]
        outs = [o for f in functions for o in groups[f].outputs]
        elsewhere = {i for f, c in assignment.items() if c != child for i in groups[f].resources}
        template, values, depends = _child(whole, ids, outs, label=child, elsewhere=elsewhere)
        text = compact(template)
        key = template_key(hashlib.sha256(text.encode()).hexdigest())
        children[child] = ChildTemplate(template, text, key)
        moved.update(ids, outs)
        stacks[child] = _stack_resource(bucket, key, values, depends)
    root = dict(whole)
    root["Resources"] = {
        **{i: b for i, b in whole["Resources"].items() if i not in moved},
        **stacks,
    }
    outputs = {o: b for o, b in (whole.get("Outputs") or {}).items() if o not in moved}
    if outputs:
        root["Outputs"] = outputs
    else:
        root.pop("Outputs", None)
    return Layout(whole, root, children, assignment, compact(root))


def compact(template: Mapping[str, Any]) -> str:
    """A child's text: compact JSON, keys sorted (nobody reads it but CloudFormation, and it
    leaves the most room under the 1 MB a template may take)."""
    return json.dumps(template, separators=(",", ":"), sort_keys=True, ensure_ascii=True)


def _recorded(
    whole: dict[str, Any], assignment: Mapping[str, str], children: list[str]
) -> dict[str, Any]:
    """The whole template with each nested function's stack and the children recorded in its
    metadata (copied on the way: the rest of the template is shared, not copied)."""
    metadata = dict(whole.get("Metadata") or {})
    meta = dict(metadata.get(METADATA_KEY) or {})
    functions = {name: dict(entry) for name, entry in (meta.get("Functions") or {}).items()}
    for function, child in assignment.items():
        if child and function in functions:
            functions[function][STACK_KEY] = child
    meta["Functions"] = functions
    meta[STACKS_KEY] = children
    metadata[METADATA_KEY] = meta
    return {**whole, "Metadata": metadata}


def _previous(deployed: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Each deployed function's stack ('' = the root), or None when nothing is deployed."""
    if not deployed:
        return None
    functions = ((deployed.get("Metadata") or {}).get(METADATA_KEY) or {}).get("Functions") or {}
    return {name: str(meta.get(STACK_KEY) or "") for name, meta in functions.items()}


def _assign(
    whole: Mapping[str, Any],
    groups: Mapping[str, Group],
    pinned: set[str],
    previous: Mapping[str, str] | None,
) -> dict[str, str]:
    kept = {f: c for f, c in (previous or {}).items() if f in groups}
    for function in pinned:
        if kept.get(function):
            raise ConfigError(
                f"the shared template references a resource of function {function}, which lives "
                f"in the nested stack {kept[function]}: reference it by name (the function's name "
                "is derivable) or through an export instead"
            )
        kept[function] = ""
    new = sorted(f for f in groups if f not in kept)
    if not any(kept.values()) and _fits(whole, FLAT):
        return {**kept, **dict.fromkeys(new, "")}
    weights = {f: _weight(whole, groups[f]) for f in groups}
    fill: dict[str, list[str]] = {}
    for function, child in kept.items():
        if child:
            fill.setdefault(child, []).append(function)
    assignment = dict(kept)
    for function in new:
        child = _room(fill, weights, function)
        fill.setdefault(child, []).append(function)
        assignment[function] = child
    return assignment


def _room(fill: Mapping[str, list[str]], weights: Mapping[str, _Weight], function: str) -> str:
    """The lowest-numbered child the function fits in, or the next new one."""
    number = 1
    while True:
        child = functions_stack_id(number)
        members = fill.get(child, [])
        if not members or _Weight.total([weights[f] for f in [*members, function]]).within(CHILD):
            return child
        number += 1


@dataclass(frozen=True)
class _Weight:
    resources: int
    outputs: int
    refs: frozenset[str]
    size: int

    @staticmethod
    def total(weights: Iterable[_Weight]) -> _Weight:
        items = list(weights)
        return _Weight(
            sum(w.resources for w in items),
            sum(w.outputs for w in items),
            frozenset().union(*(w.refs for w in items)),
            sum(w.size for w in items),
        )

    def within(self, budget: Budget) -> bool:
        return (
            self.resources <= budget.resources
            and self.outputs <= budget.outputs
            and len(self.refs) <= budget.parameters
            and self.size <= budget.size
        )


def _weight(whole: Mapping[str, Any], group: Group) -> _Weight:
    resources = {i: whole["Resources"][i] for i in group.resources}
    outputs = {o: whole["Outputs"][o] for o in group.outputs}
    refs = {name for name in _references([resources, outputs]) if name not in resources}
    size = len(json.dumps([resources, outputs], separators=(",", ":")))
    return _Weight(len(resources), len(outputs), frozenset(refs), size)


def _fits(whole: Mapping[str, Any], budget: Budget) -> bool:
    return (
        len(whole.get("Resources") or {}) <= budget.resources
        and len(whole.get("Outputs") or {}) <= budget.outputs
        and len(whole.get("Parameters") or {}) <= budget.parameters
        and len(json.dumps(whole, separators=(",", ":"))) <= budget.size
    )


def _pinned(whole: Mapping[str, Any], groups: Mapping[str, Group]) -> set[str]:
    """Functions the root's own content references: they must stay in the root."""
    owner = {i: f for f, g in groups.items() for i in (*g.resources, *g.outputs)}
    own = {i for g in groups.values() for i in (*g.resources, *g.outputs)}
    root_parts = [
        body
        for section in ("Resources", "Outputs")
        for i, body in (whole.get(section) or {}).items()
        if i not in own
    ]
    return {owner[name] for name in _references(root_parts) if name in owner}


# --- a child's template --------------------------------------------------------------------------


def _child(
    whole: Mapping[str, Any],
    ids: list[str],
    outs: list[str],
    *,
    label: str,
    elsewhere: set[str],
) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
    """The child's template, the values its parameters take in the root, and the root resources
    it must wait for (a `DependsOn` that crosses into the root). `elsewhere` holds the ids of
    functions in other stacks: a child cannot reach them."""
    inside = set(ids)
    crossing = sorted(_references([whole["Resources"][i] for i in ids]) & elsewhere)
    if crossing:
        raise ConfigError(
            f"a function in nested stack {label} references '{crossing[0]}', a resource of a "
            "function in another stack: functions must not reference each other's resources"
        )
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
            target, attribute = _get_att(argument)
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

        rewritten = _PLACEHOLDER.sub(replace, text) if isinstance(text, str) else text
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


def _get_att(argument: Any) -> tuple[str, str]:
    if isinstance(argument, str):
        target, _, attribute = argument.partition(".")
        return target, attribute
    return str(argument[0]), str(argument[1]) if len(argument) > 1 else ""


def _stack_resource(bucket: str, key: str, values: Mapping[str, Any], depends: list[str]) -> Any:
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


def _references(values: Iterable[Any]) -> set[str]:
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
                    found.add(_get_att(argument)[0])
                elif key == "DependsOn":
                    found.update([argument] if isinstance(argument, str) else argument)
                elif key == "Fn::Sub":
                    text = argument[0] if isinstance(argument, list) else argument
                    if isinstance(text, str):
                        found.update(m.split(".")[0] for m in _PLACEHOLDER.findall(text))
                stack.append(argument)
    return {n for n in found if not n.startswith("AWS::") or n in _ROOT_PSEUDO}


# --- reading a deployed layout back --------------------------------------------------------------


def child_ids(root: Mapping[str, Any]) -> list[str]:
    """The child stacks a deployed root records ([] for a flat app)."""
    meta = (root.get("Metadata") or {}).get(METADATA_KEY) or {}
    return [str(c) for c in meta.get(STACKS_KEY) or []]


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
                target, attribute = _get_att(expression["Fn::GetAtt"])
                return "${" + f"{target}.{attribute}" + "}"
            return match.group(0)

        restored = _PLACEHOLDER.sub(replace, text) if isinstance(text, str) else text
        if isinstance(argument, list):
            return [restored, self.value(variables)]
        return restored
