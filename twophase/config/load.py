"""Load twophase.yml: YAML with line numbers -> the input schema -> cross checks -> the model.

Every problem becomes one `ConfigError` line naming the file, the YAML path, the line and the fix:

    twophase.yml: functions.api.memory (line 14): must be between 128 and 10240
"""

from __future__ import annotations

import difflib
import hashlib
import types
import typing
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from twophase.config import limits
from twophase.config.checks import Problem, check_config
from twophase.config.model import Config
from twophase.config.schema import Config as Input
from twophase.config.template import load_template
from twophase.config.yamlnodes import Lines, YamlProblem, load_yaml
from twophase.config.yamlnodes import Path as YamlPath
from twophase.errors import ConfigError
from twophase.files import read_at_most

MAX_PROBLEMS = 20  # listed one a line; more would scroll the first out of sight

_TYPE_MESSAGES = {
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "string_type": 'must be a string; quote it (e.g. "8080")',
    "bool_type": "must be true or false",
    "dict_type": "must be a mapping (key: value)",
    "model_type": "must be a mapping (key: value)",
    "model_attributes_type": "must be a mapping (key: value)",
    "list_type": "must be a list ([a, b] or one `- item` per line)",
    "too_short": "must not be empty",
}


def load_config(path: Path, raw: bytes | None = None) -> Config:
    """Read, validate and check `path` (or its bytes `raw`, already read) into the model;
    relative paths in it resolve against its folder."""
    try:
        if raw is None:
            raw = limits.read_limited(path, limits.MAX_CONFIG_BYTES, "a config file")
        elif len(raw) > limits.MAX_CONFIG_BYTES:
            raise limits.too_large(str(path), limits.MAX_CONFIG_BYTES, "a config file")
        text = raw.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such config file",
            hint="run `twophase init` to write one, or pass --config PATH",
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the config: {exc}") from None
    try:
        data, lines = load_yaml(text)
    except YamlProblem as problem:
        where, line = problem.path, problem.line
        raise _error(path, {where: line}, where, problem.message) from None
    if data is None:
        raise ConfigError(f"{path}: the file is empty; start from twophase.yml.example")
    if not isinstance(data, dict):
        raise ConfigError(
            f"{path} (line 1): must be a mapping of settings (app, environments, functions)"
        )
    config = _validate(path, data, lines)
    template, template_sha256 = _shared_template(path, config, lines)
    problems = list(check_config(config, template))
    if problems:
        raise _problem_error(path, lines, problems)
    return config.to_model(path, template, template_sha256)


def _validate(path: Path, data: dict[str, Any], lines: Lines) -> Input:
    if "root" in data:
        raise _error(path, lines, ("root",), "unknown key 'root'; remove it")
    root = path.absolute().parent
    try:
        return Input.model_validate({**data, "root": root})
    except ValidationError as exc:
        problems = [_from_pydantic(err) for err in exc.errors()]
        raise _problem_error(path, lines, problems) from None


def _shared_template(path: Path, config: Input, lines: Lines) -> tuple[dict[str, Any], str | None]:
    """The shared template, checked, and the SHA-256 of its bytes as read (the cache's key)."""
    template_path = config.template_path
    if template_path is None:
        return {}, None
    if not template_path.is_file():
        raise _error(
            path,
            lines,
            ("template",),
            f"{config.template!r} is not a regular file (a device, a pipe, a folder?)"
            if template_path.exists()
            else f"{config.template!r} does not exist (relative to this file)",
        )
    try:
        data: bytes | None = read_at_most(template_path, limits.MAX_TEMPLATE_BYTES)
    except OSError:
        data = None  # load_template reads again and names the problem
    if data is not None and len(data) > limits.MAX_TEMPLATE_BYTES:
        raise _error(
            path,
            lines,
            ("template",),
            f"{config.template!r} is over {limits.MAX_TEMPLATE_BYTES // limits.MB} MB, "
            "CloudFormation's limit for a template",
        )
    template = load_template(template_path, data)
    return template, hashlib.sha256(data).hexdigest() if data is not None else None


def _problem_error(path: Path, lines: Lines, problems: list[Problem]) -> ConfigError:
    """One error for every problem found: its message is the first, with how many more; its
    `problems` list each one (up to MAX_PROBLEMS), in the order of their lines."""
    at = {str(_error(path, lines, p.path, p.message)): _line(lines, p.path) for p in problems}
    each = tuple(sorted(at, key=at.__getitem__))
    more = len(each) - 1
    if not more:
        return ConfigError(each[0])
    shown = each[:MAX_PROBLEMS]
    if len(each) > MAX_PROBLEMS:
        shown += (f"{path}: {len(each) - MAX_PROBLEMS} more problems not shown; fix these first",)
    return ConfigError(
        f"{each[0]} (and {more} more problem{'s' if more > 1 else ''})", problems=shown
    )


def _error(path: Path, lines: Lines, where: YamlPath, message: str) -> ConfigError:
    dotted = _dotted(where)
    line = _line(lines, where)
    at = f"{path}: {dotted} (line {line})" if dotted else f"{path} (line {line})"
    return ConfigError(f"{at}: {message}")


def _dotted(where: YamlPath) -> str:
    out = ""
    for part in where:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def _line(lines: Lines, where: YamlPath) -> int:
    for end in range(len(where), -1, -1):
        if where[:end] in lines:
            return lines[where[:end]]
    return 1


def _from_pydantic(err: Any) -> Problem:
    loc: YamlPath = tuple(p for p in err["loc"] if p != "[key]")
    kind = err["type"]
    if kind == "extra_forbidden":
        return Problem(loc, _unknown_key(loc))
    if kind == "missing":
        return Problem(loc, f"is missing; add `{loc[-1]}:`")
    if kind == "value_error":
        return Problem(loc, str(err["ctx"]["error"]))
    if kind in ("greater_than_equal", "less_than_equal", "greater_than", "less_than"):
        return Problem(loc, _bounds(loc) or err["msg"])
    if kind in _TYPE_MESSAGES:
        return Problem(loc, _TYPE_MESSAGES[kind])
    return Problem(loc, err["msg"].replace("Input should be", "must be"))


def _unknown_key(loc: YamlPath) -> str:
    key = str(loc[-1])
    fields = _fields_at(loc[:-1])
    close = difflib.get_close_matches(key, fields, n=1, cutoff=0.6)
    if close:
        return f"unknown key {key!r}; did you mean {close[0]!r}?"
    return f"unknown key {key!r}; valid keys here: {', '.join(fields)}"


def _bounds(loc: YamlPath) -> str | None:
    parent = _annotation_at(loc[:-1])
    if not (isinstance(parent, type) and issubclass(parent, BaseModel)):
        return None
    info = parent.model_fields.get(str(loc[-1]))
    if info is None:
        return None
    low = next((m.ge for m in info.metadata if hasattr(m, "ge")), None)
    high = next((m.le for m in info.metadata if hasattr(m, "le")), None)
    return f"must be between {low} and {high}"


def _fields_at(loc: YamlPath) -> list[str]:
    model = _annotation_at(loc)
    if isinstance(model, type) and issubclass(model, BaseModel):
        fields = model.model_fields.items()
        return [info.alias or name for name, info in fields if name != "root"]
    return []


def _annotation_at(loc: YamlPath) -> Any:
    """The type found at `loc` when walking down from the input's Config (models, dicts and
    lists)."""
    current: Any = Input
    for part in loc:
        current = _unwrap(current)
        if isinstance(current, type) and issubclass(current, BaseModel):
            field = current.model_fields.get(str(part)) or next(
                (f for f in current.model_fields.values() if f.alias == part), None
            )
            if field is None:
                return None
            current = field.annotation
        elif typing.get_origin(current) is dict:
            current = typing.get_args(current)[1]
        elif typing.get_origin(current) is list:
            current = typing.get_args(current)[0]
        else:
            return None
    return _unwrap(current)


def _unwrap(annotation: Any) -> Any:
    while True:
        origin = typing.get_origin(annotation)
        if origin is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        elif origin in (typing.Union, types.UnionType):
            args = [a for a in typing.get_args(annotation) if a is not type(None)]
            annotation = args[0]
        else:
            return annotation
