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

Path = tuple[str | int, ...]
Lines = dict[Path, int]

_BaseLoader: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):
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
    finally:
        loader.dispose()
    lines: Lines = {(): 1}
    if node is None:
        return None, lines
    return _Walker(loader, lines, cfn_tags).value(node, ()), lines


class _Walker:
    def __init__(self, loader: Any, lines: Lines, cfn_tags: bool) -> None:
        self.loader = loader
        self.lines = lines
        self.cfn_tags = cfn_tags

    def value(self, node: yaml.Node, path: Path) -> Any:
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
