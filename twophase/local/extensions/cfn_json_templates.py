"""A JSON template is read as JSON: the embedded CloudFormation's cost grows with what changed,
not with a YAML parse of the whole template at every call.

AWS behaviour (CloudFormation User Guide, "Template formats"): a template is JSON or YAML, and
JSON is a subset of YAML 1.2, so either parser reads a JSON template to the same mapping. This
changes no answer of the embedded AWS, only its speed.

moto 5.2.5 parses every template with PyYAML's pure-Python loader first, even a JSON one, and
more than once a call (CreateChangeSet compares, parses and diffs the old and the new template):
for the example app that is about 2 of every 3 seconds an `infra up` spends in the embedded AWS,
and it grows with the number of functions (issue "Performance past the small case"). twophase
sends JSON templates (see `twophase.infra.render.template.dump_template`). Here moto's
CloudFormation modules see a `yaml` whose `load` reads text that starts as a JSON object with the
C-accelerated `json` module, and falls back to YAML for anything else (a user's YAML template
through the AWS CLI, short-form tags and all).
"""

from __future__ import annotations

import json
from typing import Any

import yaml

_MODULES = ("moto.cloudformation.models", "moto.cloudformation.responses")


class JsonFirstYaml:
    """`yaml`, but `load` tries JSON first; every other name is PyYAML's own."""

    def __getattr__(self, name: str) -> Any:
        return getattr(yaml, name)

    @staticmethod
    def load(stream: Any, Loader: Any = None) -> Any:
        text = stream.decode() if isinstance(stream, bytes) else stream
        if isinstance(text, str) and text.lstrip().startswith("{"):
            try:
                return json.loads(text)
            except ValueError:
                pass  # not JSON after all (YAML flow style): YAML decides
        return yaml.load(stream, Loader=Loader)


def install() -> None:
    import importlib

    for name in _MODULES:
        module = importlib.import_module(name)
        if not isinstance(module.yaml, JsonFirstYaml):
            module.yaml = JsonFirstYaml()  # type: ignore[attr-defined]
