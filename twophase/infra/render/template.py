"""The phase-one template: the shared template merged with every function's resources.

Pure and deterministic: no AWS calls, no clock, no file writes; the same config, dummies and
deployed template give the same dict, and `dump_template` the same bytes.

The ownership contract (DESIGN.md §2): when the deployed template is given, every function that
already exists keeps, verbatim from it, its `Code`, its dummy version's properties and each existing
alias's `FunctionVersion` and `RoutingConfig`. CloudFormation then sees no change to them, so an
infrastructure update never reverts pushed code nor moves an alias.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from twophase import __version__
from twophase.config.model import Config, ResolvedFunction
from twophase.errors import ConfigError
from twophase.infra.render.function import (
    DummyCode,
    Resources,
    function_resources,
    ref,
    serving_alias,
)
from twophase.infra.render.triggers import trigger_parts
from twophase.names import ARTIFACT_BUCKET_OUTPUT, FunctionIds, ids_for

TEMPLATE_FORMAT_VERSION = "2010-09-09"
OWNED_ALIAS_PROPERTIES = ("FunctionVersion", "RoutingConfig")
_MERGED_SECTIONS = ("Parameters", "Rules", "Mappings", "Conditions")


def parameter_values(config: Config, env: str) -> dict[str, str]:
    """The shared template's parameter values for `env` (from `environments.<env>.parameters`)."""
    return dict(config.environments[env].parameters)


def render_template(
    config: Config,
    env: str,
    *,
    dummies: Mapping[str, DummyCode],
    artifact_bucket: str,
    deployed: Mapping[str, Any] | None = None,
    new_aliases: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    serving_code: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """The CloudFormation template phase one deploys for `env`, as a dict.

    `dummies` maps each function's short name to its staged dummy artifact (image functions need
    none); `deployed` is the stack's current template (GetTemplate, parsed), if the stack exists.
    `new_aliases` gives, per function, the properties (`FunctionVersion`, `RoutingConfig`) of
    aliases the deployed chain lacks: where the traffic they take over is served today.
    `serving_code` names the functions whose serving alias serves pushed code today.
    """
    if env not in config.environments:
        known = ", ".join(config.environments)
        raise ConfigError(f"unknown environment {env!r}; use one of {known}")
    shared = config.shared_template()
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": TEMPLATE_FORMAT_VERSION,
        "Description": shared.get("Description", f"twophase app {config.app} ({env})"),
    }
    for section in _MERGED_SECTIONS:
        if shared.get(section):
            template[section] = copy.deepcopy(shared[section])
    if "Transform" in shared:
        template["Transform"] = copy.deepcopy(shared["Transform"])
    resources: Resources = copy.deepcopy(shared.get("Resources", {}))
    outputs: dict[str, Any] = copy.deepcopy(shared.get("Outputs", {}))
    functions_meta: dict[str, Any] = {}
    for name in sorted(config.functions):
        fn = config.resolved(name)
        ids = ids_for(name)
        generated, generated_outputs = _render_function(
            config, env, fn, ids, dummies.get(name), name in serving_code
        )
        _refuse_collisions(config, name, resources, generated, outputs, generated_outputs)
        resources.update(generated)
        outputs.update(generated_outputs)
        functions_meta[name] = _function_metadata(config, fn, ids, dummies.get(name))
    outputs[ARTIFACT_BUCKET_OUTPUT] = {
        "Description": "S3 bucket for this app's code artifacts",
        "Value": artifact_bucket,
    }
    if deployed:
        _keep_deployed(config, resources, functions_meta, deployed, new_aliases or {})
    template["Metadata"] = {
        **copy.deepcopy(shared.get("Metadata", {})),
        "Twophase": {
            "Version": __version__,
            "App": config.app,
            "Environment": env,
            "Functions": functions_meta,
        },
    }
    template["Resources"] = resources
    template["Outputs"] = outputs
    return template


def dump_template(template: Mapping[str, Any]) -> str:
    """The template's text: JSON, keys sorted, indent 2, ASCII only, one trailing newline.

    JSON rather than YAML because CloudFormation gives it back from GetTemplate exactly as sent
    (no short-form tags or YAML typing to reinterpret), and sorted keys make the bytes depend on
    the content only, never on the order dicts were built in: the same input gives byte-identical
    output on any machine, and diffs between renders are stable.
    """
    return json.dumps(template, indent=2, sort_keys=True, ensure_ascii=True) + "\n"


def _render_function(
    config: Config,
    env: str,
    fn: ResolvedFunction,
    ids: FunctionIds,
    dummy: DummyCode | None,
    serves_code: bool,
) -> tuple[Resources, dict[str, Any]]:
    physical = config.function_name(env, fn.name)
    # Triggers call the last alias of the chain: the one serving production traffic.
    serving = ids.alias(serving_alias(config))
    trigger = trigger_parts(fn, ids, physical, serving, serves_code=serves_code)
    resources = function_resources(config, env, fn, ids, dummy, trigger.statements)
    resources.update(trigger.resources)
    outputs: dict[str, Any] = {
        ids.out_function_name: {"Description": "Function name", "Value": ref(ids.function)},
        ids.out_function_arn: {
            "Description": "Function ARN",
            "Value": {"Fn::GetAtt": [ids.function, "Arn"]},
        },
        ids.out_aliases: {
            "Description": "Alias chain, first to last",
            "Value": ",".join(config.aliases),
        },
        **trigger.outputs,
    }
    return resources, outputs


def _function_metadata(
    config: Config, fn: ResolvedFunction, ids: FunctionIds, dummy: DummyCode | None
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "LogicalId": ids.function,
        "Aliases": list(config.aliases),  # the chain, first to last
        "AliasLogicalIds": {alias: ids.alias(alias) for alias in config.aliases},
        "Trigger": fn.trigger.kind if fn.trigger and fn.trigger.kind else "none",
    }
    if dummy is not None and fn.image is None:
        meta["DummyCodeSha256"] = dummy.code_sha256
    return meta


def _refuse_collisions(
    config: Config,
    name: str,
    resources: Resources,
    generated: Resources,
    outputs: Mapping[str, Any],
    generated_outputs: Mapping[str, Any],
) -> None:
    parameters = config.shared_template().get("Parameters", {})
    for logical_id in generated:
        if logical_id in resources or logical_id in parameters:
            raise ConfigError(
                f"functions.{name}: generates {logical_id!r}, which the shared template or "
                "another function also defines; rename one of them"
            )
    for logical_id in [*generated_outputs, ARTIFACT_BUCKET_OUTPUT]:
        if logical_id in outputs:
            raise ConfigError(
                f"functions.{name}: generates the output {logical_id!r}, which is already "
                "defined; rename the output in the shared template"
            )


def _keep_deployed(
    config: Config,
    resources: Resources,
    functions_meta: dict[str, Any],
    deployed: Mapping[str, Any],
    new_aliases: Mapping[str, Mapping[str, Mapping[str, Any]]],
) -> None:
    """Copy phase two's properties from the deployed template (see the module docstring); a
    new alias of a deployed function starts where `new_aliases` says."""
    live = deployed.get("Resources") or {}
    live_meta = ((deployed.get("Metadata") or {}).get("Twophase") or {}).get("Functions") or {}
    for name, meta in functions_meta.items():
        ids = ids_for(name)
        deployed_fn = live.get(ids.function)
        if not deployed_fn or deployed_fn.get("Type") != "AWS::Lambda::Function":
            continue
        props = resources[ids.function]["Properties"]
        deployed_code = (deployed_fn.get("Properties") or {}).get("Code")
        if deployed_code is not None:
            props["Code"] = copy.deepcopy(deployed_code)
        sha = (live_meta.get(name) or {}).get("DummyCodeSha256")
        if sha is not None:
            meta["DummyCodeSha256"] = sha
        _keep_properties(resources, live, ids.version, None)
        for alias in config.aliases:
            logical_id = ids.alias(alias)
            if logical_id in live:
                _keep_properties(resources, live, logical_id, OWNED_ALIAS_PROPERTIES)
            elif alias in new_aliases.get(name, {}):
                start = new_aliases[name][alias]
                props = resources[logical_id]["Properties"]
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
