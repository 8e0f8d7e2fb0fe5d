"""YAML to plain Python, remembering the line of every key and item.

`load_yaml` returns the data and a `Lines` map from a YAML path (a tuple of keys and list indices)
to its 1-based line, so every later error can say where it is. Duplicate keys are errors (PyYAML
silently keeps the last one). Timestamps stay strings (`AWSTemplateFormatVersion: 2010-09-09`).
With `cfn_tags=True` the CloudFormation short forms (`!Ref`, `!GetAtt`, `!Sub`...) become their
long forms.
"""

from __future__ import annotations

from typing import Any

import yaml

from twophase.config.limits import MAX_ALIAS_VALUES, MAX_DEPTH

Path = tuple[str | int, ...]
Lines = dict[Path, int]

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc]  # libyaml's loader or PyYAML's, chosen above
    """SafeLoader (libyaml when available) without implicit timestamps."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in _BaseLoader.yaml_implicit_resolvers.items()
}

_CFN_FUNCTIONS = [
    "And",
    "Base64",
    "Cidr",
    "Equals",
    "FindInMap",
    "GetAZs",
    "GetAtt",
    "If",
    "ImportValue",
    "Join",
    "Length",
    "Not",
    "Or",
    "Select",
    "Split",
    "Sub",
    "ToJsonString",
    "Transform",
]


class YamlProblem(Exception):
    """A problem with the YAML itself, at a line."""

    def __init__(self, message: str, line: int, path: Path = ()) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.path = path


def load_yaml(text: str, *, cfn_tags: bool = False) -> tuple[Any, Lines]:
    loader = _Loader(text)
    try:
        node = loader.get_single_node()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 1
        raise YamlProblem(f"YAML syntax error: {exc.problem or exc.context}", line) from exc
    except yaml.YAMLError as exc:
        raise YamlProblem(f"YAML error: {exc}", 1) from exc
    except RecursionError:  # the pure-Python composer, without libyaml (which stops at 1000)
        raise YamlProblem(f"nested more than {MAX_DEPTH} levels deep", 1) from None
    finally:
        loader.dispose()
    lines: Lines = {(): 1}
    if node is None:
        return None, lines
    _check_expansion(node)
    return _Walker(loader, lines, cfn_tags).value(node, ()), lines


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


def _check_expansion(root: yaml.Node) -> None:
    """Refuse, before expanding anything, a document whose aliases would expand to more than
    `MAX_ALIAS_VALUES` values beyond its own, or that holds itself through an alias.

    One pass over the composed graph (where an alias is its anchor's node, shared): each node's
    expanded size is one plus its children's, computed once per node.
    """
    sizes: dict[int, int] = {}
    open_: set[int] = set()  # collections whose children are being sized: their ancestors
    worst: yaml.Node | None = None
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, children_done = stack.pop()
        key = id(node)
        if children_done:
            open_.discard(key)
            sizes[key] = 1 + sum([sizes[id(child)] for child in _children(node)])
            if worst is None and sizes[key] > len(sizes) + MAX_ALIAS_VALUES:
                worst = node
            continue
        if key in sizes:
            continue
        if key in open_:
            line = node.start_mark.line + 1
            raise YamlProblem("an alias refers to a value that contains it", line)
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        open_.add(key)
        stack.append((node, True))
        _push_children(node, sizes, stack)
    if sizes[id(root)] - len(sizes) > MAX_ALIAS_VALUES:
        line = (worst or root).start_mark.line + 1
        raise YamlProblem(
            f"aliases expand to more than {MAX_ALIAS_VALUES:,} values (a YAML alias bomb?); "
            "repeat the values, or use fewer nested aliases",
            line,
        )


def _push_children(
    node: yaml.Node, sizes: dict[int, int], stack: list[tuple[yaml.Node, bool]]
) -> None:
    """Size a collection's scalars at once (1 each); queue its collections not sized yet."""
    for child in _children(node):
        if isinstance(child, yaml.ScalarNode):
            sizes[id(child)] = 1
        elif id(child) not in sizes:
            stack.append((child, False))


class _Walker:
    """Nodes to values. The composed graph shares the node of an anchor with each of its aliases,
    so a node met again was reached through an alias: those are counted (`MAX_ALIAS_VALUES`), as
    is the depth (`MAX_DEPTH`), so that no file expands without bound."""

    def __init__(self, loader: Any, lines: Lines, cfn_tags: bool) -> None:
        self.loader = loader
        self.lines = lines
        self.cfn_tags = cfn_tags
        self.met: set[int] = set()
        self.through_aliases = 0

    def value(self, node: yaml.Node, path: Path) -> Any:
        self.count(node, path)
        tag = node.tag or ""
        if tag.startswith("!"):
            return self.tagged(node, path, tag[1:])
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return self.sequence(node, path)
        try:
            return self.loader.construct_object(node, deep=True)
        except yaml.YAMLError as exc:
            raise YamlProblem(f"cannot read value: {exc}", node.start_mark.line + 1, path) from exc

    def count(self, node: yaml.Node, path: Path) -> None:
        line = node.start_mark.line + 1
        if len(path) > MAX_DEPTH:
            raise YamlProblem(f"nested more than {MAX_DEPTH} levels deep", line)
        if id(node) not in self.met:
            self.met.add(id(node))
            return
        self.through_aliases += 1
        if self.through_aliases > MAX_ALIAS_VALUES:
            raise YamlProblem(
                f"aliases expand to more than {MAX_ALIAS_VALUES:,} values (a YAML alias bomb?); "
                "repeat the values, or use fewer nested aliases",
                line,
            )

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[Any, Any]:
        out: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            line = key_node.start_mark.line + 1
            if not isinstance(key_node, yaml.ScalarNode) or key_node.value == "<<":
                raise YamlProblem("keys must be plain names (no merge keys or complex keys)", line)
            key = self.loader.construct_object(key_node)
            if not isinstance(key, str):
                key = str(key)
            if key in out:
                first = self.lines[(*path, key)]
                raise YamlProblem(
                    f"duplicate key {key!r} (first at line {first}); keep one", line, (*path, key)
                )
            self.lines[(*path, key)] = line
            out[key] = self.value(value_node, (*path, key))
        return out

    def sequence(self, node: yaml.SequenceNode, path: Path) -> list[Any]:
        out = []
        for index, item in enumerate(node.value):
            self.lines[(*path, index)] = item.start_mark.line + 1
            out.append(self.value(item, (*path, index)))
        return out

    def tagged(self, node: yaml.Node, path: Path, name: str) -> Any:
        line = node.start_mark.line + 1
        if not self.cfn_tags or name not in (*_CFN_FUNCTIONS, "Ref", "Condition"):
            raise YamlProblem(f"unknown tag !{name}", line, path)
        if isinstance(node, yaml.ScalarNode):
            inner: Any = node.value
        elif isinstance(node, yaml.SequenceNode):
            inner = self.sequence(node, path)
        elif isinstance(node, yaml.MappingNode):
            inner = self.mapping(node, path)
        else:
            raise YamlProblem(f"unexpected node for !{name}", line, path)
        if name in ("Ref", "Condition"):
            return {name: inner}
        if name == "GetAtt" and isinstance(inner, str):
            resource, _, attribute = inner.partition(".")
            inner = [resource, attribute]
        if name == "GetAZs" and inner is None:
            inner = ""
        return {f"Fn::{name}": inner}
