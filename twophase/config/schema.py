"""The JSON schema of twophase.yml, for editors (`twophase schema`)."""

from __future__ import annotations

from typing import Any

from twophase.config.model import Config
from twophase.config.rules import RETENTION_DAYS, RUNTIMES

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"

# Values checked by validators, which pydantic cannot see, so editors can offer them.
_ENUMS: dict[str, list[Any]] = {
    "runtime": list(RUNTIMES),
    "log_retention_days": list(RETENTION_DAYS),
}


def config_json_schema() -> dict[str, Any]:
    """The validation schema of the config model, with each field's description."""
    schema = Config.model_json_schema(mode="validation")
    for definition in [schema, *schema.get("$defs", {}).values()]:
        for name, prop in definition.get("properties", {}).items():
            if name in _ENUMS:
                _add_enum(prop, _ENUMS[name])
    return {**schema, "$schema": SCHEMA_DIALECT, "title": "twophase.yml"}


def _add_enum(prop: dict[str, Any], values: list[Any]) -> None:
    branches = prop.get("anyOf", [prop])
    for branch in branches:
        if branch.get("type") in ("string", "integer"):
            branch["enum"] = values
