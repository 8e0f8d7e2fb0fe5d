"""The one collision check: nothing twophase generates may take an id the shared template uses.

The builder collects what it generates as `Part`s (one per function, one for twophase's own
outputs and metadata) and hands them here before merging anything, so the check knows every id
that was actually rendered (resources, deployer policies, outputs, metadata), never a prediction
of them. A collision would otherwise replace the user's resource silently.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from twophase.errors import ConfigError

_NOUN = {
    "Resources": "resource",
    "Parameters": "parameter",
    "Outputs": "output",
    "Conditions": "condition",
    "Mappings": "mapping",
    "Rules": "rule",
    "Metadata": "metadata key",
}
# Sections whose ids share one namespace: a `Ref` names a resource or a parameter.
_NAMESPACE = {"Resources": "Ref", "Parameters": "Ref"}


@dataclass(frozen=True)
class Part:
    """What one owner adds to the template, by section: `owner` is the config entry it comes
    from (`functions.api`), or None for what twophase adds for the app as a whole."""

    owner: str | None
    sections: Mapping[str, Mapping[str, Any]]


def refuse_collisions(
    shared: Mapping[str, Any], parts: Iterable[Part], *, source: str, config: str
) -> None:
    """Raise one `ConfigError` line for the first id a part generates that the shared template
    (the file `source`) or an earlier part already defines; `config` names twophase.yml."""
    theirs = {
        _key(section, logical_id): noun
        for section, noun in _NOUN.items()
        for logical_id in shared.get(section) or {}
    }
    ours: dict[tuple[str, str], str | None] = {}  # twophase's own ids never clash with a function's
    for part in parts:
        for section, items in part.sections.items():
            for logical_id in items:
                key, what = _key(section, logical_id), _what(section, logical_id)
                if part.owner is None and key in theirs:
                    raise ConfigError(f"{source}: {what} is a name twophase generates; rename it")
                if key in theirs:
                    raise ConfigError(
                        f"{config}: {part.owner}: generates {what}, which is also "
                        f"{_a(theirs[key])} of {source}; rename the one in {source}"
                    )
                if key in ours:
                    raise ConfigError(
                        f"{config}: {part.owner}: generates {what}, which {ours[key]} also "
                        "generates; rename one of them"
                    )
                ours[key] = part.owner


def _key(section: str, logical_id: str) -> tuple[str, str]:
    return _NAMESPACE.get(section, section), logical_id


def _what(section: str, logical_id: str) -> str:
    return repr(logical_id) if section == "Resources" else f"the {_NOUN[section]} {logical_id!r}"


def _a(noun: str) -> str:
    return f"an {noun}" if noun[0] in "aeiou" else f"a {noun}"
