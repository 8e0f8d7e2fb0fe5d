"""The ownership contract (README, "How it works"): what phase two changed survives every render.

When the deployed template is given, every function that already exists keeps, verbatim from it,
its `Code`, its dummy version's properties and each existing alias's `FunctionVersion` and
`RoutingConfig`. CloudFormation then sees no change to them, so an infrastructure update never
reverts pushed code nor moves an alias.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from typing import Any

from twophase.infra.render.function import Resources
from twophase.names import METADATA_KEY, FunctionIds

OWNED_ALIAS_PROPERTIES = ("FunctionVersion", "RoutingConfig")


def keep_deployed(
    name: str,
    ids: FunctionIds,
    aliases: tuple[str, ...],
    generated: Resources,
    meta: dict[str, Any],
    deployed: Mapping[str, Any],
    new_aliases: Mapping[str, Mapping[str, Any]],
) -> None:
    """Copy phase two's properties of function `name` from the deployed template into the
    resources and metadata generated for it; a new alias of a deployed function starts where
    `new_aliases` (alias -> its `FunctionVersion` and `RoutingConfig`) says."""
    live = deployed.get("Resources") or {}
    live_meta = ((deployed.get("Metadata") or {}).get(METADATA_KEY) or {}).get("Functions") or {}
    deployed_fn = live.get(ids.function)
    if not deployed_fn or deployed_fn.get("Type") != "AWS::Lambda::Function":
        return
    props = generated[ids.function]["Properties"]
    deployed_code = (deployed_fn.get("Properties") or {}).get("Code")
    if deployed_code is not None:
        props["Code"] = copy.deepcopy(deployed_code)
    sha = (live_meta.get(name) or {}).get("DummyCodeSha256")
    if sha is not None:
        meta["DummyCodeSha256"] = sha
    _keep_properties(generated, live, ids.version, None)
    for alias in aliases:
        logical_id = ids.alias(alias)
        if logical_id in live:
            _keep_properties(generated, live, logical_id, OWNED_ALIAS_PROPERTIES)
        elif alias in new_aliases:
            start = new_aliases[alias]
            props = generated[logical_id]["Properties"]
            for key in OWNED_ALIAS_PROPERTIES:
                if start.get(key) is None:
                    props.pop(key, None)
                else:
                    props[key] = copy.deepcopy(start[key])


def _keep_properties(
    resources: Resources,
    live: Mapping[str, Any],
    logical_id: str,
    keys: tuple[str, ...] | None,
) -> None:
    """Take `keys` (all properties when None) of `logical_id` from the deployed resource."""
    deployed = live.get(logical_id)
    if not deployed or deployed.get("Type") != resources[logical_id]["Type"]:
        return
    deployed_props = copy.deepcopy(deployed.get("Properties") or {})
    if keys is None:
        resources[logical_id]["Properties"] = deployed_props
        return
    props = resources[logical_id]["Properties"]
    for key in keys:
        if key in deployed_props:
            props[key] = deployed_props[key]
        else:
            props.pop(key, None)
