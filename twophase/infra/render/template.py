"""The phase-one template, whole: the shared template merged with everything twophase generates.

One call, `render_template`, gives what phase one deploys: the shared template's sections, every
function's resources, trigger and deployer policy, twophase's own outputs and metadata, and the
data kept on delete. Everything generated is collected first and checked against the shared
template's ids in one place (`twophase.infra.render.collisions`), then merged.

Pure and deterministic: no AWS calls, no clock, no file writes; the same config, dummies and
deployed template give the same dict, and `dump_template` the same bytes. What phase two changed
is kept from the deployed template (`twophase.infra.render.deployed`).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from twophase import __version__
from twophase.config.model import Config, Function
from twophase.infra.deployer_policy import deployer_policy_sections
from twophase.infra.limits import check_limits
from twophase.infra.render.codedeploy import add_promotion, app_resources
from twophase.infra.render.codedeploy_role import PromotionRoles
from twophase.infra.render.collisions import Part, refuse_collisions
from twophase.infra.render.deployed import keep_deployed
from twophase.infra.render.function import (
    DummyCode,
    Resources,
    function_resources,
    ref,
    serving_alias,
)
from twophase.infra.render.nesting import Group, Layout, split
from twophase.infra.render.triggers import trigger_parts
from twophase.names import (
    ARTIFACT_BUCKET_OUTPUT,
    METADATA_KEY,
    TAG_APP,
    TAG_BASE,
    TAG_ENV,
    TAG_KIND,
    TAG_TTL,
    FunctionIds,
    ids_for,
)

TEMPLATE_FORMAT_VERSION = "2010-09-09"
_MERGED_SECTIONS = ("Parameters", "Rules", "Mappings", "Conditions")
RETAINED_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket")


def parameter_values(config: Config, env: str) -> dict[str, str]:
    """The shared template's parameter values for `env` (from `environments.<env>.parameters`)."""
    return dict(config.environment(env).parameters)


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
    """The whole CloudFormation template phase one deploys for `env`, as one logical dict
    (`render_layout` tells which stack each part goes to)."""
    return render_layout(
        config,
        env,
        dummies=dummies,
        artifact_bucket=artifact_bucket,
        deployed=deployed,
        new_aliases=new_aliases,
        serving_code=serving_code,
    ).whole


def render_layout(
    config: Config,
    env: str,
    *,
    dummies: Mapping[str, DummyCode],
    artifact_bucket: str,
    deployed: Mapping[str, Any] | None = None,
    new_aliases: Mapping[str, Mapping[str, Mapping[str, Any]]] | None = None,
    serving_code: frozenset[str] = frozenset(),
) -> Layout:
    """The whole template for `env` and its layout: the root stack's template and, for an app
    past one stack's limits, its nested children's (twophase.infra.render.nesting).

    `dummies` maps each function's short name to its staged dummy artifact (image functions need
    none); `deployed` is what the stack runs (the root and its children read back as one logical
    template), if it exists. `new_aliases` gives, per function, the properties
    (`FunctionVersion`, `RoutingConfig`) of aliases the deployed chain lacks: where the traffic
    they take over is served today. `serving_code` names the functions whose serving alias serves
    pushed code today. Deployer policies are attached to their owners except locally, where the
    owners name roles of a real account.
    """
    attach_owners = not config.environment(env).is_local  # refuses an undeclared environment
    shared = config.shared_template()
    parts: list[Part] = []
    groups: dict[str, Group] = {}
    functions_meta: dict[str, Any] = {}
    promotion = PromotionRoles.of(config, env)
    for name in sorted(config.functions):
        fn, ids = config.function(name), ids_for(name)
        dummy = dummies.get(name)
        resources, outputs = _render_function(config, env, fn, ids, dummy, name in serving_code)
        add_promotion(config, env, fn, ids, resources, promotion)
        functions_meta[name] = meta = _function_metadata(config, fn, ids, dummy)
        if deployed:
            starts = (new_aliases or {}).get(name, {})
            keep_deployed(name, ids, config.aliases, resources, meta, deployed, starts)
        parts.append(Part(f"functions.{name}", {"Resources": resources, "Outputs": outputs}))
        groups[name] = Group(tuple(resources), tuple(outputs))
    policies = deployer_policy_sections(
        config, env, artifact_bucket=artifact_bucket, attach_owners=attach_owners
    )
    parts.extend(Part(owner, sections) for owner, sections in policies)
    parts.append(_app_part(config, env, artifact_bucket, functions_meta))
    parts.append(Part(None, {"Resources": app_resources(config, env, promotion)}))
    source = config.template or "the shared template"
    refuse_collisions(shared, parts, source=source, config=str(config.path))
    template = _from_shared(config, env, shared)
    for part in parts:
        for section, items in part.sections.items():
            template.setdefault(section, {}).update(items)
    if config.environment(env).kind == "preview":
        delete_data(template)
    else:
        retain_data(template)
    layout = split(template, groups, deployed=deployed, bucket=artifact_bucket, dump=dump_template)
    check_limits(
        config, env, template, stacks=layout.stacks(), sizes=layout.sizes()
    )  # before any remote change
    return layout


def retain_data(template: dict[str, Any]) -> None:
    """Tables and buckets survive `infra down` and replacements unless the template says otherwise
    (`infra down --purge` deletes them explicitly)."""
    for body in template.get("Resources", {}).values():
        if body.get("Type") in RETAINED_TYPES:
            body.setdefault("DeletionPolicy", "Retain")
            body.setdefault("UpdateReplacePolicy", "Retain")


def delete_data(template: dict[str, Any]) -> None:
    """A preview's tables and buckets go with it, whatever the shared template says for the
    environments it was written for: a retained one would outlive `env prune` and, holding a
    fixed name, block the next preview of that name."""
    for body in template.get("Resources", {}).values():
        if body.get("Type") in RETAINED_TYPES:
            body["DeletionPolicy"] = "Delete"
            body["UpdateReplacePolicy"] = "Delete"


def stack_tags(config: Config, env: str) -> dict[str, str]:
    """The tags of the environment's app stack: `env list` and `env prune` find previews by them
    (a preview's ttl is on its stack, so a pattern removed from twophase.yml still expires)."""
    environment = config.environment(env)
    tags = {TAG_APP: config.app, TAG_ENV: env, TAG_KIND: environment.kind}
    if environment.kind == "preview":
        tags[TAG_BASE] = str(environment.base)
        tags[TAG_TTL] = str(environment.ttl)
    return tags


def _from_shared(config: Config, env: str, shared: Mapping[str, Any]) -> dict[str, Any]:
    """The shared template's part of the result: its sections, copied (never modified)."""
    template: dict[str, Any] = {
        "AWSTemplateFormatVersion": TEMPLATE_FORMAT_VERSION,
        "Description": shared.get("Description", f"twophase app {config.app} ({env})"),
    }
    for section in _MERGED_SECTIONS:
        if shared.get(section):
            template[section] = copy.deepcopy(shared[section])
    if "Transform" in shared:
        template["Transform"] = copy.deepcopy(shared["Transform"])
    for section in ("Resources", "Outputs", "Metadata"):
        template[section] = copy.deepcopy(shared.get(section, {}))
    return template


def _app_part(
    config: Config, env: str, artifact_bucket: str, functions_meta: dict[str, Any]
) -> Part:
    """What twophase adds for the app as a whole: where the bucket is, and what phase one made
    (phase two reads the dummies' hashes from it)."""
    bucket_output = {
        "Description": "S3 bucket for this app's code artifacts",
        "Value": artifact_bucket,
    }
    metadata = {
        "Version": __version__,
        "App": config.app,
        "Environment": env,
        "Functions": functions_meta,
    }
    return Part(
        None,
        {"Outputs": {ARTIFACT_BUCKET_OUTPUT: bucket_output}, "Metadata": {METADATA_KEY: metadata}},
    )


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
    fn: Function,
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
    config: Config, fn: Function, ids: FunctionIds, dummy: DummyCode | None
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
