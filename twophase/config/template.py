"""The user's shared CloudFormation template: loaded (YAML short forms or JSON) and checked.

Only structure is checked here (a mapping of known sections, resources with a Type); what the
resources mean is CloudFormation's business (and cfn-lint's).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from twophase.config import limits
from twophase.config.yamlnodes import Lines, YamlProblem, load_yaml
from twophase.errors import ConfigError

SECTIONS = (
    "AWSTemplateFormatVersion",
    "Description",
    "Metadata",
    "Parameters",
    "Rules",
    "Mappings",
    "Conditions",
    "Transform",
    "Resources",
    "Outputs",
)
_MAPPING_SECTIONS = ("Metadata", "Parameters", "Rules", "Mappings", "Conditions", "Outputs")


def load_template(path: Path, data: bytes | None = None) -> dict[str, Any]:
    """Parse and check the template at `path` (or its bytes `data`, already read); every problem
    is a one-line ConfigError."""
    try:
        if data is None:
            data = limits.read_limited(path, limits.MAX_TEMPLATE_BYTES, "a template")
        elif len(data) > limits.MAX_TEMPLATE_BYTES:
            raise limits.too_large(str(path), limits.MAX_TEMPLATE_BYTES, "a template")
        text = data.decode("utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: template not found", hint="fix `template:` in twophase.yml"
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read template: {exc}") from None
    template, lines = _parse(path, text)
    return _check(path, template, lines)


def _parse(path: Path, text: str) -> tuple[Any, Lines]:
    if path.suffix == ".json":
        try:
            return json.loads(text), {}
        except json.JSONDecodeError as exc:
            raise ConfigError(
                f"{path} (line {exc.lineno}): invalid JSON: {exc.msg}",
                hint="fix the JSON syntax",
            ) from None
    try:
        return load_yaml(text, cfn_tags=True)
    except YamlProblem as problem:
        where = ".".join(str(p) for p in problem.path)
        where = f"{where} " if where else ""
        raise ConfigError(f"{path}: {where}(line {problem.line}): {problem.message}") from None


def _fail(path: Path, lines: Lines, where: tuple[str, ...], message: str) -> ConfigError:
    line = lines.get(where)
    at = f" (line {line})" if line else ""
    return ConfigError(f"{path}: {'.'.join(where)}{at}: {message}")


def _check(path: Path, template: Any, lines: Lines) -> dict[str, Any]:
    if not isinstance(template, dict):
        raise ConfigError(f"{path}: not a CloudFormation template (expected a mapping)")
    for section in template:
        if section not in SECTIONS:
            raise _fail(path, lines, (section,), f"unknown section; use {', '.join(SECTIONS)}")
    for section in _MAPPING_SECTIONS:
        if section in template and not isinstance(template[section], dict):
            raise _fail(path, lines, (section,), "must be a mapping")
    resources = template.get("Resources")
    if not isinstance(resources, dict) or not resources:
        raise _fail(path, lines, ("Resources",), "a template needs a Resources mapping")
    for logical_id, resource in resources.items():
        where = ("Resources", logical_id)
        if not logical_id.isalnum():
            raise _fail(path, lines, where, "logical ids are letters and digits only")
        if not isinstance(resource, dict) or not isinstance(resource.get("Type"), str):
            raise _fail(path, lines, where, "needs a Type (e.g. AWS::SQS::Queue)")
    return template


def resource_ids(template: dict[str, Any], type_: str | None = None) -> list[str]:
    """Logical ids of the template's resources (of one type, if given)."""
    resources = template.get("Resources", {})
    return [rid for rid, r in resources.items() if type_ is None or r.get("Type") == type_]
