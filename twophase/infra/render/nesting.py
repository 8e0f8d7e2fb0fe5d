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

A child's template: twophase.infra.render.nesting_child; reading a layout back:
twophase.infra.render.nesting_read. Pure: no AWS calls, same input, same output.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from twophase.errors import ConfigError
from twophase.infra.render.nesting_child import (
    STACK_TYPE,
    child_template,
    references,
    stack_resource,
)
from twophase.infra.render.nesting_read import STACK_KEY, assemble, child_ids
from twophase.names import METADATA_KEY, functions_stack_id, template_key

__all__ = ["STACK_TYPE", "Layout", "assemble", "child_ids", "split"]


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
    assignment, weights = _assign(whole, groups, pinned, _previous(deployed))
    by_child: dict[str, list[str]] = {}
    for function, child in sorted(assignment.items()):
        if child:
            by_child.setdefault(child, []).append(function)
    if not by_child:
        return Layout(whole, whole, {}, assignment, dump(whole))
    whole = _recorded(whole, assignment)
    owner = {i: f for f, g in groups.items() for i in g.resources}
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
        _refuse_crossing(child, functions, weights, owner, assignment)
        template, values, depends = child_template(whole, ids, outs, label=child)
        text = compact(template)
        key = template_key(hashlib.sha256(text.encode()).hexdigest())
        children[child] = ChildTemplate(template, text, key)
        moved.update(ids, outs)
        stacks[child] = stack_resource(bucket, key, values, depends)
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


def _refuse_crossing(
    child: str,
    functions: list[str],
    weights: Mapping[str, _Weight],
    owner: Mapping[str, str],
    assignment: Mapping[str, str],
) -> None:
    """A child reaches the root through parameters, never another child's resources."""
    refs = frozenset().union(*(weights[f].refs for f in functions))
    crossing = sorted(r for r in refs if r in owner and assignment[owner[r]] != child)
    if crossing:
        raise ConfigError(
            f"a function in nested stack {child} references '{crossing[0]}', a resource of "
            f"function {owner[crossing[0]]} in another stack: functions must not reference each "
            "other's resources"
        )


def compact(template: Mapping[str, Any]) -> str:
    """A child's text: compact JSON, keys sorted (nobody reads it but CloudFormation, and it
    leaves the most room under the 1 MB a template may take)."""
    return json.dumps(template, separators=(",", ":"), sort_keys=True, ensure_ascii=True)


def _recorded(whole: dict[str, Any], assignment: Mapping[str, str]) -> dict[str, Any]:
    """The whole template with each nested function's stack recorded in its metadata (copied on
    the way: the rest of the template is shared, not copied). The children are those stacks."""
    metadata = dict(whole.get("Metadata") or {})
    meta = dict(metadata.get(METADATA_KEY) or {})
    functions = {name: dict(entry) for name, entry in (meta.get("Functions") or {}).items()}
    for function, child in assignment.items():
        if child and function in functions:
            functions[function][STACK_KEY] = child
    meta["Functions"] = functions
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
) -> tuple[dict[str, str], dict[str, _Weight]]:
    """Each function's stack ('' = the root), and the weight of each placed in a child."""
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
        return {**kept, **dict.fromkeys(new, "")}, {}
    weights: dict[str, _Weight] = {}
    fill: dict[str, _Weight] = {}  # each child's running total
    for function, child in kept.items():
        if child:
            weights[function] = _weight(whole, groups[function])
            fill[child] = fill.get(child, _EMPTY) + weights[function]
    assignment = dict(kept)
    for function in new:
        weights[function] = weight = _weight(whole, groups[function])
        child = _room(fill, weight)
        fill[child] = fill.get(child, _EMPTY) + weight
        assignment[function] = child
    return assignment, weights


def _room(fill: Mapping[str, _Weight], weight: _Weight) -> str:
    """The lowest-numbered child a function of this weight fits in, or the next new one."""
    number = 1
    while True:
        child = functions_stack_id(number)
        total = fill.get(child)
        if total is None or (total + weight).within(CHILD):
            return child
        number += 1


@dataclass(frozen=True)
class _Weight:
    resources: int
    outputs: int
    refs: frozenset[str]
    size: int

    def __add__(self, other: _Weight) -> _Weight:
        return _Weight(
            self.resources + other.resources,
            self.outputs + other.outputs,
            self.refs | other.refs,
            self.size + other.size,
        )

    def within(self, budget: Budget) -> bool:
        return (
            self.resources <= budget.resources
            and self.outputs <= budget.outputs
            and len(self.refs) <= budget.parameters
            and self.size <= budget.size
        )


_EMPTY = _Weight(0, 0, frozenset(), 0)


def _weight(whole: Mapping[str, Any], group: Group) -> _Weight:
    resources = {i: whole["Resources"][i] for i in group.resources}
    outputs = {o: whole["Outputs"][o] for o in group.outputs}
    refs = {name for name in references([resources, outputs]) if name not in resources}
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
    return {owner[name] for name in references(root_parts) if name in owner}
