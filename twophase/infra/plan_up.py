"""Planning `infra up` against what is deployed: render the template with the live alias targets
and pushed-code markers, make a change set, and classify its rows into an `InfraPlan` (dangerous
rows marked, refusals listed). Changes nothing remotely unless asked to keep the change set."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twophase.aws.lambda_client import LambdaClient
from twophase.config.model import Config
from twophase.errors import AwsError, NotFoundError
from twophase.infra.nested import Deployed, flatten, read_deployed, stage_nested
from twophase.infra.plan import (
    InfraPlan,
    added_rows,
    check_stack_state,
    classify,
    owning_function,
    refusals,
    with_traffic_risks,
)
from twophase.infra.render import LiveState, build_dummies, dump_template, render, stack_tags
from twophase.infra.render.nesting import Layout
from twophase.infra.services import (
    InfraServices,
    bucket_for,
    change_set_name,
    removed_on_failure,
    template_arg,
)
from twophase.infra.traffic import AliasReader, new_alias_targets, traffic_risks
from twophase.names import METADATA_KEY, function_name
from twophase.release.dummy_versions import dummy_shas

# A stack in these states has no deployed template to compare with (a shell, or a failed create).
NOT_DEPLOYED = ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE")
OFFLINE_BUCKET = "ARTIFACT_BUCKET"  # what an offline render names the artifact bucket


def deployed_template(svc: InfraServices, stack_name: str) -> Deployed | None:
    """What the stack runs (its nested children assembled in), or None when nothing is
    deployed yet."""
    stack = svc.cfn.get_stack(stack_name)
    if stack is None or stack.status in NOT_DEPLOYED:
        return None
    return read_deployed(svc, stack_name)


def template_for(config: Config, env: str, svc: InfraServices | None) -> str:
    """The template `infra render` prints: the whole app's, every nested stack's resources in
    one (the root's own when it is not split). Offline (no `svc`) with a placeholder bucket and
    no deployed template to copy pushed code and alias targets from; else with both."""
    if svc is None:
        rendered = render(config, env, OFFLINE_BUCKET, build_dummies(config), None)
    else:
        deployed = deployed_template(svc, config.stack_name(env))
        bucket = bucket_for(config, env, svc)
        template = deployed.template if deployed else None
        rendered = render(config, env, bucket, build_dummies(config), template)
    if not rendered.layout.children:
        return rendered.body
    return dump_template(rendered.template)


def read_live_state(
    config: Config, env: str, deployed: Mapping[str, Any], reader: AliasReader, svc: InfraServices
) -> LiveState:
    """Where new aliases start (the deployed serving alias's target, so no trigger moves), and
    which shared-queue functions serve pushed code (their mapping may be enabled)."""
    meta = ((deployed.get("Metadata") or {}).get(METADATA_KEY) or {}).get("Functions") or {}
    dummies = dummy_shas(deployed)
    chains = {
        name: (list(meta[name].get("Aliases") or []), list(config.aliases), physical)
        for name in config.functions
        if name in meta and (physical := function_name(config.app, env, name))
    }
    new_aliases = {
        name: {
            alias: {"FunctionVersion": t.version, "RoutingConfig": t.routing_config()}
            for alias, t in targets.items()
        }
        for name, targets in new_alias_targets(chains, reader).items()
    }
    serving: set[str] = set()
    for name, (before, _, physical) in chains.items():
        if not before or not on_shared_queue(config, name):
            continue
        try:
            served = svc.lambdas.get_configuration(physical, before[-1])
        except NotFoundError:
            continue
        if served.code_sha256 != dummies.get(name):
            serving.add(name)
    return LiveState(new_aliases, frozenset(serving))


def held_mappings(config: Config, live: LiveState | None) -> tuple[str, ...]:
    """Functions whose shared-queue mapping the rendered template keeps disabled."""
    serving = live.serving_code if live else frozenset()
    return tuple(
        name
        for name in sorted(config.functions)
        if on_shared_queue(config, name) and name not in serving
    )


def on_shared_queue(config: Config, name: str) -> bool:
    """Whether the function consumes a queue of the shared template (others may fill it)."""
    trigger = config.function(name).trigger
    return trigger is not None and trigger.queue is not None and trigger.queue.queue is not None


def plan_up(
    config: Config,
    env: str,
    svc: InfraServices,
    *,
    allow_delete: frozenset[str] = frozenset(),
    keep_change_set: bool = False,
) -> InfraPlan:
    """Read remote state and return what `infra up` would do. Changes nothing remotely unless
    `keep_change_set` (then a change set is left for `apply_up` to execute)."""

    stack_name = config.stack_name(env)
    stack = svc.cfn.get_stack(stack_name)
    check_stack_state(stack)
    exists = stack is not None and stack.status not in NOT_DEPLOYED
    bucket = bucket_for(config, env, svc)
    dummies = build_dummies(config)
    read = read_deployed(svc, stack_name) if exists else None
    deployed = read.template if read else None
    reader = AliasReader(svc.lambdas)
    live = read_live_state(config, env, deployed, reader, svc) if deployed else None
    rendered = render(config, env, bucket, dummies, deployed, live)
    body, params = rendered.body, rendered.parameters
    plan_args: dict[str, Any] = dict(
        held_mappings=held_mappings(config, live),
        app=config.app,
        env=env,
        stack=stack_name,
        bucket=bucket,
        template_body=body,
        parameters=params,
        stack_exists=exists,
        dummies=dummies,
        tags=stack_tags(config, env),
        nested=rendered.nested,
    )
    if not exists:
        rows = classify(added_rows(rendered.template), {}, {}, {})
        return InfraPlan(changes=rows, **plan_args)
    assert read is not None
    stage_nested(svc, bucket, rendered.nested)  # the change set reads them from the bucket
    name = change_set_name(body)
    with removed_on_failure(svc, stack_name, name):
        return _plan_change_set(
            svc, name, plan_args, read, rendered.layout, reader, allow_delete, keep_change_set
        )


def _plan_change_set(
    svc: InfraServices,
    name: str,
    plan_args: dict[str, Any],
    read: Deployed,
    layout: Layout,
    reader: AliasReader,
    allow_delete: frozenset[str],
    keep_change_set: bool,
) -> InfraPlan:
    stack_name, bucket = plan_args["stack"], plan_args["bucket"]
    deployed, template = read.template, layout.whole
    change_set_id = svc.cfn.create_change_set(
        stack_name,
        name,
        parameters=plan_args["parameters"],
        create=False,
        template=template_arg(svc, bucket, plan_args["template_body"]),
        tags=plan_args["tags"],
        include_nested=bool(layout.children or read.stacks),
    )
    if not change_set_id:
        return InfraPlan(changes=(), **plan_args)
    cs = svc.cfn.wait_change_set(change_set_id, stack_name)
    if cs.empty:
        svc.cfn.delete_change_set(change_set_id, stack_name)
        return InfraPlan(changes=(), **plan_args)
    if cs.status == "FAILED":
        svc.cfn.delete_change_set(change_set_id, stack_name)
        raise AwsError(f"CloudFormation rejected the template: {cs.reason}")
    changes = flatten(svc, cs, layout, read)
    pushed = _pushed_functions(changes, deployed, svc)
    names = short_names(plan_args["app"], plan_args["env"], deployed, template)
    rows = classify(changes, deployed, pushed, names)
    risks = traffic_risks(changes, deployed, template, reader)
    rows = with_traffic_risks(rows, risks, names)
    if not keep_change_set:
        svc.cfn.delete_change_set(change_set_id, stack_name)
        change_set_id = ""
    return InfraPlan(
        changes=rows,
        change_set_id=change_set_id or None,
        refusals=refusals(rows, allow_delete),
        **plan_args,
    )


def _pushed_functions(
    changes: Any, deployed: Mapping[str, Any], svc: InfraServices
) -> dict[str, bool]:
    """For each function a change would delete or replace: does it hold pushed code?"""
    known_dummies = set(dummy_shas(deployed).values())
    out: dict[str, bool] = {}
    for c in changes:
        destroys = c.action == "Remove" or c.replacement in ("True", "Conditional")
        function = owning_function(deployed, c.logical_id)
        if not destroys or not function or function in out:
            continue
        out[function] = _holds_pushed_code(svc.lambdas, function, known_dummies)
    return out


def _holds_pushed_code(lambdas: LambdaClient, function: str, dummies: set[str]) -> bool:
    """Whether $LATEST or any published version holds code other than a dummy."""
    try:
        versions = lambdas.list_versions(function, include_latest=True)
    except NotFoundError:
        return False
    return any(v.code_sha256 not in dummies for v in versions)


def short_names(
    app: str, env: str, deployed: Mapping[str, Any], template: Mapping[str, Any]
) -> dict[str, str]:
    """Physical function name -> twophase.yml's name, for the functions the deployed and the new
    template record (a removed function is only in the deployed one)."""
    recorded: set[str] = set()
    for t in (deployed, template):
        recorded |= set(t.get("Metadata", {}).get(METADATA_KEY, {}).get("Functions", {}))
    return {function_name(app, env, fn): fn for fn in recorded}
