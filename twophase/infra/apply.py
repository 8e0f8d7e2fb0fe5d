"""Phase one: `infra up` and `infra down`, from a plan that `infra plan` shows unchanged.

Order for `up`: the artifact bucket (its own stack) → dummy artifacts staged, content-addressed →
the app template rendered with pushed code and alias targets copied from the deployed template →
a change set → preflight (no silent loss of pushed code) → execute → wait, reporting events.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from twophase.aws.cloudformation import CloudFormation, Stack, StackEvent, TemplateSource
from twophase.aws.identity import Sts
from twophase.aws.lambda_client import LATEST, LambdaClient
from twophase.aws.s3_client import ArtifactStore
from twophase.config import rules
from twophase.config.model import Config
from twophase.errors import AwsError, ExitStatus, NotFoundError, PreconditionError, TwophaseError
from twophase.infra.artifact_store import (
    artifact_bucket_name,
    artifact_stack_name,
    artifact_stack_template,
)
from twophase.infra.plan import (
    InfraPlan,
    added_rows,
    check_stack_state,
    classify,
    owning_function,
    refusals,
    with_traffic_risks,
)
from twophase.infra.traffic import AliasReader, new_alias_targets, traffic_risks
from twophase.release.dummy_versions import dummy_shas
from twophase.reporter import Reporter

MAX_INLINE_TEMPLATE = 51_200
OK_STATUSES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}


@dataclass
class InfraServices:
    """The AWS clients phase one uses, and where progress goes."""

    cfn: CloudFormation
    s3: ArtifactStore
    lambdas: LambdaClient
    sts: Sts
    reporter: Reporter

    @classmethod
    def from_clients(
        cls, clients: Any, reporter: Reporter, sleep: Callable[[float], None] = time.sleep
    ) -> InfraServices:
        return cls(
            cfn=CloudFormation(clients.client("cloudformation"), sleep=sleep),
            s3=ArtifactStore(clients.client("s3")),
            lambdas=LambdaClient(clients.client("lambda"), sleep=sleep),
            sts=Sts(clients.client("sts")),
            reporter=reporter,
        )


class DeployRunning(TwophaseError):
    """Interrupted after the change set executed: CloudFormation goes on without us."""

    exit_status = ExitStatus.INTERRUPTED


@dataclass(frozen=True)
class ServedConfiguration:
    """A function whose aliases serve older configuration than phase one just deployed."""

    function: str  # the name in twophase.yml
    aliases: tuple[tuple[str, tuple[str, ...]], ...]  # (alias, the settings it serves older)
    latest_dummy: bool = False  # the update put the dummy back on `$LATEST` (architecture)


@dataclass(frozen=True)
class UpResult:
    stack: str
    status: str
    changed: bool
    outputs: Mapping[str, str] = field(default_factory=dict)
    changes: int = 0
    # A release is code and configuration: what phase one changed reaches an alias only through
    # a push (and a promote). Phase one never publishes nor moves an alias itself.
    behind: tuple[ServedConfiguration, ...] = ()


def bucket_for(config: Config, env: str, svc: InfraServices) -> str:
    ident = svc.sts.identity
    region = svc.cfn.client.meta.region_name
    return artifact_bucket_name(config.app, env, ident.account, region)


def build_dummies(config: Config) -> dict[str, Any]:
    from twophase.dummies import dummy_artifact

    out: dict[str, Any] = {}
    for name in sorted(config.functions):
        fn = config.resolved(name)
        if fn.image is None:
            out[name] = dummy_artifact(fn.runtime, fn.handler)
    return out


def render(
    config: Config,
    env: str,
    bucket: str,
    dummies: Mapping[str, Any],
    deployed: Any,
    live: LiveState | None = None,
) -> tuple[str, dict[str, str]]:
    from twophase.infra.render import DummyCode, dump_template, parameter_values, render_template

    codes = {n: DummyCode(bucket, d.key, d.code_sha256) for n, d in dummies.items()}
    live = live or LiveState()
    template = render_template(
        config,
        env,
        dummies=codes,
        artifact_bucket=bucket,
        deployed=deployed,
        new_aliases=live.new_aliases,
        serving_code=live.serving_code,
    )
    retain_data(template)
    add_deployer_policies(template, config, env, bucket)
    return dump_template(template), dict(parameter_values(config, env))


def add_deployer_policies(template: dict[str, Any], config: Config, env: str, bucket: str) -> None:
    """One least-privilege deployer policy per function (see twophase.infra.policy), attached to its
    owners. Locally the owners are not attached: they name roles of a real account."""
    from twophase.infra.policy import deployer_policy_outputs, deployer_policy_resources

    attach = not config.environments[env].is_local
    template["Resources"].update(
        deployer_policy_resources(config, env, artifact_bucket=bucket, attach_owners=attach)
    )
    template["Outputs"].update(deployer_policy_outputs(config, env))


RETAINED_TYPES = ("AWS::DynamoDB::Table", "AWS::DynamoDB::GlobalTable", "AWS::S3::Bucket")


def retain_data(template: dict[str, Any]) -> None:
    """Tables and buckets survive `infra down` and replacements unless the template says otherwise
    (`infra down --purge` deletes them explicitly)."""
    for body in template.get("Resources", {}).values():
        if body.get("Type") in RETAINED_TYPES:
            body.setdefault("DeletionPolicy", "Retain")
            body.setdefault("UpdateReplacePolicy", "Retain")


@dataclass(frozen=True)
class LiveState:
    """What phase one reads of phase two's state before rendering (see twophase.infra.traffic)."""

    new_aliases: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    serving_code: frozenset[str] = frozenset()  # functions whose serving alias serves pushed code


def read_live_state(
    config: Config, env: str, deployed: Mapping[str, Any], reader: AliasReader, svc: InfraServices
) -> LiveState:
    """Where new aliases start (the deployed serving alias's target, so no trigger moves), and
    which shared-queue functions serve pushed code (their mapping may be enabled)."""
    meta = ((deployed.get("Metadata") or {}).get("Twophase") or {}).get("Functions") or {}
    dummies = dummy_shas(deployed)
    chains = {
        name: (list(meta[name].get("Aliases") or []), list(config.aliases), physical)
        for name in config.functions
        if name in meta and (physical := rules.function_name(config.app, env, name))
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
    trigger = config.resolved(name).trigger
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
    import json

    stack_name = config.stack_name(env)
    stack = svc.cfn.get_stack(stack_name)
    check_stack_state(stack)
    exists = stack is not None and stack.status not in ("REVIEW_IN_PROGRESS", "ROLLBACK_COMPLETE")
    bucket = bucket_for(config, env, svc)
    dummies = build_dummies(config)
    deployed = svc.cfn.get_template(stack_name) if exists else None
    reader = AliasReader(svc.lambdas)
    live = read_live_state(config, env, deployed, reader, svc) if deployed else None
    body, params = render(config, env, bucket, dummies, deployed, live)
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
    )
    if not exists:
        rows = classify(added_rows(json.loads(body)), {}, {}, "")
        return InfraPlan(changes=rows, **plan_args)
    name = _change_set_name(body)
    with removed_on_failure(svc, stack_name, name):
        return _plan_change_set(
            svc, name, plan_args, deployed, json.loads(body), reader, allow_delete, keep_change_set
        )


@contextlib.contextmanager
def removed_on_failure(
    svc: InfraServices, stack: str, change_set: str, *, shell: bool = False
) -> Iterator[None]:
    """Delete the change set (by name: an interrupted CreateChangeSet never gave its id) if the
    block fails or is interrupted, and with `shell` the stack too if it is only a shell
    (REVIEW_IN_PROGRESS). Best effort: the error at hand wins."""
    try:
        yield
    except BaseException:
        discard(svc, stack, change_set, shell=shell)
        raise


def discard(svc: InfraServices, stack: str, change_set: str | None, *, shell: bool) -> None:
    """Delete a change set this run made and, with `shell`, the stack if it is only the shell
    its CREATE change set made (REVIEW_IN_PROGRESS). Best effort: the error at hand wins."""
    with contextlib.suppress(Exception):
        if change_set:
            svc.cfn.delete_change_set(change_set, stack)
        current = svc.cfn.get_stack(stack)
        if shell and current is not None and current.status == "REVIEW_IN_PROGRESS":
            svc.cfn.delete_stack(stack)


def _plan_change_set(
    svc: InfraServices,
    name: str,
    plan_args: dict[str, Any],
    deployed: Mapping[str, Any] | None,
    template: Mapping[str, Any],
    reader: AliasReader,
    allow_delete: frozenset[str],
    keep_change_set: bool,
) -> InfraPlan:
    stack_name, bucket = plan_args["stack"], plan_args["bucket"]
    change_set_id = svc.cfn.create_change_set(
        stack_name,
        name,
        parameters=plan_args["parameters"],
        create=False,
        template=_template_arg(svc, bucket, plan_args["template_body"]),
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
    assert deployed is not None
    pushed = _pushed_functions(cs.changes, deployed, svc)
    prefix = f"{plan_args['app']}-{plan_args['env']}-"
    rows = classify(cs.changes, deployed, pushed, prefix)
    risks = traffic_risks(cs.changes, deployed, template, reader)
    rows = with_traffic_risks(rows, risks, prefix)
    if not keep_change_set:
        svc.cfn.delete_change_set(change_set_id, stack_name)
        change_set_id = ""
    return InfraPlan(
        changes=rows,
        change_set_id=change_set_id or None,
        refusals=refusals(rows, allow_delete),
        **plan_args,
    )


def ensure_artifact_bucket(config: Config, env: str, svc: InfraServices) -> str:
    """The artifact bucket, in its own stack: created when missing, and recovered from what an
    interrupted or failed run left (a stack in REVIEW_IN_PROGRESS or ROLLBACK_COMPLETE is
    deleted and made again; one still in progress is waited for). Returns the bucket's name."""
    bucket = bucket_for(config, env, svc)
    name = artifact_stack_name(config.stack_name(env))
    stack = svc.cfn.get_stack(name)
    if stack is not None and stack.in_progress and stack.status != "REVIEW_IN_PROGRESS":
        stack, _ = svc.cfn.wait_stack(name, _ignore)
    if stack is not None and stack.status in OK_STATUSES:
        return bucket
    if stack is not None:  # REVIEW_IN_PROGRESS, ROLLBACK_COMPLETE, a failed delete...
        svc.reporter.info(f"{name} is {stack.status} from an earlier run: making it again")
        svc.cfn.delete_stack(name)
        svc.cfn.wait_stack(name, _ignore, deleting=True)
    if svc.s3.bucket_exists(bucket):
        # Its stack is gone (deleted by hand, or the bucket was kept): use the bucket as it is.
        svc.reporter.info(f"using the existing artifact bucket {bucket}")
        return bucket
    svc.reporter.info(f"creating the artifact bucket {bucket}")
    change_set = _change_set_name(bucket)
    with removed_on_failure(svc, name, change_set, shell=True):
        cs = svc.cfn.create_change_set(
            name,
            change_set,
            template=TemplateSource(body=artifact_stack_template(bucket)),
            parameters={},
            create=True,
        )
        svc.cfn.wait_change_set(cs, name)
    final, events = _execute(svc, name, cs, report=False)
    _raise_if_failed(name, final, events)
    return bucket


def stage_dummies(plan: InfraPlan, svc: InfraServices) -> int:
    """Upload the dummy artifacts the bucket does not hold yet; returns how many were uploaded."""
    uploaded = 0
    for artifact in {d.key: d for d in plan.dummies.values()}.values():
        if not svc.s3.exists(plan.bucket, artifact.key):
            svc.s3.put_bytes(plan.bucket, artifact.key, artifact.data)
            uploaded += 1
    if uploaded:
        svc.reporter.info(f"staged {uploaded} dummy artifact(s) in {plan.bucket}")
    return uploaded


def apply_up(plan: InfraPlan, svc: InfraServices) -> UpResult:
    """Execute a plan made with `keep_change_set=True` (or create the stack)."""
    if plan.refusals:
        more = len(plan.refusals) - 1
        raise PreconditionError(
            "refusing to deploy: "
            + plan.refusals[0]
            + (f" (and {more} more change(s) marked ! in the plan)" if more else "")
        )
    stage_dummies(plan, svc)
    if not plan.has_changes:
        stack = svc.cfn.get_stack(plan.stack)
        return UpResult(
            plan.stack, stack.status if stack else "", False, stack.outputs if stack else {}
        )
    change_set_id = plan.change_set_id
    if change_set_id is None:
        change_set_id = _create_stack_change_set(plan, svc)
    svc.cfn.mark_events_seen(plan.stack)
    final, events = _execute(svc, plan.stack, change_set_id)
    _raise_if_failed(plan.stack, final, events)
    assert final is not None
    behind = served_configuration(plan, svc)
    return UpResult(plan.stack, final.status, True, final.outputs, len(plan.changes), behind)


def served_configuration(plan: InfraPlan, svc: InfraServices) -> tuple[ServedConfiguration, ...]:
    """For each function whose configuration this update changed: the aliases that now serve
    older configuration, and whether `$LATEST` got the dummy back (two reads per function)."""
    from twophase.release.status import settings_behind

    changed = sorted(
        {
            c.function
            for c in plan.changes
            if c.resource_type == "AWS::Lambda::Function" and c.action == "Modify" and c.function
        }
    )
    out = []
    for name in changed:
        physical = rules.function_name(plan.app, plan.env, name)
        try:
            versions = svc.lambdas.list_versions(physical, include_latest=True)
            aliases = svc.lambdas.list_aliases(physical)
        except NotFoundError:
            continue
        dummy = plan.dummies.get(name)
        shas = {v.version: v.code_sha256 for v in versions}
        latest_dummy = dummy is not None and shas.get(LATEST) == dummy.code_sha256
        pushed = any(shas.get(a.function_version) not in (None, shas.get(LATEST)) for a in aliases)
        behind = settings_behind(versions, aliases)
        if behind or (latest_dummy and pushed):
            out.append(
                ServedConfiguration(name, tuple(sorted(behind.items())), latest_dummy and pushed)
            )
    return tuple(out)


def _execute(
    svc: InfraServices, stack: str, change_set_id: str, *, report: bool = True
) -> tuple[Stack | None, list[StackEvent]]:
    """Execute the change set and wait: events as lines, the time waited on a status line.
    Ctrl-C from the moment ExecuteChangeSet is sent cannot stop CloudFormation: say so, and how
    to pick it up again."""
    task = f"{stack}: deploying"

    def polled(status: str, waited: float, limit: float) -> None:
        svc.reporter.progress(task, int(waited), int(limit), "s")

    def event(e: StackEvent) -> None:
        if report:
            _report_event(svc.reporter, e)

    try:
        svc.cfn.execute_change_set(change_set_id, stack)
        return svc.cfn.wait_stack(stack, event, on_poll=polled)
    except KeyboardInterrupt:
        raise DeployRunning(
            f"interrupted while {stack} deploys: once its change set runs, CloudFormation "
            "finishes (or rolls back) by itself",
            hint="run `twophase infra up` again: it waits for this deploy, then converges",
        ) from None
    finally:
        svc.reporter.end(task)


def _create_stack_change_set(plan: InfraPlan, svc: InfraServices) -> str:
    existing = svc.cfn.get_stack(plan.stack)
    if existing is not None and existing.status == "ROLLBACK_COMPLETE":
        svc.reporter.info(f"{plan.stack} is ROLLBACK_COMPLETE from a failed create: recreating it")
        svc.cfn.delete_stack(plan.stack)
        svc.cfn.wait_stack(plan.stack, _ignore, deleting=True)
    name = _change_set_name(plan.template_body)
    with removed_on_failure(svc, plan.stack, name, shell=True):
        cs = svc.cfn.create_change_set(
            plan.stack,
            name,
            parameters=plan.parameters,
            create=True,
            template=_template_arg(svc, plan.bucket, plan.template_body),
        )
        result = svc.cfn.wait_change_set(cs, plan.stack)
        if result.status == "FAILED":
            raise AwsError(f"CloudFormation rejected the template: {result.reason}")
    return cs


def _template_arg(svc: InfraServices, bucket: str, body: str) -> TemplateSource:
    """Inline up to CloudFormation's 51,200 bytes; larger templates go through the bucket."""
    if len(body.encode()) <= MAX_INLINE_TEMPLATE:
        return TemplateSource(body=body)
    key = f"templates/{hashlib.sha256(body.encode()).hexdigest()}.json"
    if not svc.s3.exists(bucket, key):
        svc.s3.put_bytes(bucket, key, body.encode())
    return TemplateSource(url=svc.s3.url(bucket, key))


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


def _raise_if_failed(stack: str, final: Stack | None, events: list[StackEvent]) -> None:
    if final is not None and final.status in OK_STATUSES:
        return
    failed = [e for e in events if e.status.endswith("_FAILED") and e.reason]
    first = [e for e in failed if "cancelled" not in e.reason.lower()] or failed
    reasons = "; ".join(f"{e.logical_id} ({e.resource_type}): {e.reason}" for e in first[:5])
    state = final.status if final else "DELETED"
    raise AwsError(
        f"stack {stack} failed and is now {state}: {reasons or final.reason if final else ''}",
    )


def _report_event(reporter: Reporter, e: StackEvent) -> None:
    reason = f" — {e.reason}" if e.reason and e.status.endswith("FAILED") else ""
    reporter.info(f"  {e.status:<28} {e.logical_id} ({e.resource_type}){reason}")


def _ignore(_: StackEvent) -> None:
    pass


def _change_set_name(body: str) -> str:
    digest = hashlib.sha256(body.encode()).hexdigest()[:12]
    return f"twophase-{int(time.time())}-{digest}"
