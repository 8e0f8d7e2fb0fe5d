"""Phase one: `infra up` executes a plan that `infra plan` shows unchanged.

Order for `up`: the artifact bucket (its own stack) → dummy artifacts staged, content-addressed →
the app template rendered with pushed code and alias targets copied from the deployed template
(`twophase.infra.plan_up`) → a change set → preflight (no silent loss of pushed code: refused as
`DeployRefused`) → execute → wait, reporting events.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from twophase.aws.cloudformation import Stack, StackEvent, TemplateSource
from twophase.aws.lambda_client import LATEST
from twophase.config.model import Config
from twophase.errors import AwsError, ExitStatus, NotFoundError, PreconditionError, TwophaseError
from twophase.infra.artifact_store import artifact_stack_template
from twophase.infra.nested import nested_outputs, stage_nested
from twophase.infra.plan import InfraPlan
from twophase.infra.services import (
    InfraServices,
    bucket_for,
    change_set_name,
    removed_on_failure,
    template_arg,
)
from twophase.names import artifact_stack_name, function_name
from twophase.reporter import Reporter

OK_STATUSES = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}


class DeployRefused(PreconditionError):
    """The preflight refused the plan: a change would lose pushed code (unless allowed) or move
    traffic. `refusals` holds one line per refused change."""

    def __init__(self, refusals: tuple[str, ...]) -> None:
        more = len(refusals) - 1
        super().__init__(
            "refusing to deploy: "
            + refusals[0]
            + (f" (and {more} more change(s) marked ! in the plan)" if more else "")
        )
        self.refusals = refusals


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


def ensure_artifact_bucket(config: Config, env: str, svc: InfraServices) -> str:
    """The artifact bucket, in its own stack: created when missing, and recovered from what an
    interrupted or failed run left (a stack in REVIEW_IN_PROGRESS or ROLLBACK_COMPLETE is
    deleted and made again; one still in progress is waited for). Returns the bucket's name."""
    bucket = bucket_for(config, env, svc)
    name = artifact_stack_name(config.app, env)
    stack = svc.cfn.get_stack(name)
    if stack is not None and stack.in_progress and stack.status != "REVIEW_IN_PROGRESS":
        stack, _ = svc.cfn.wait_stack(name, no_events)
    if stack is not None and stack.status in OK_STATUSES:
        return bucket
    if stack is not None:  # REVIEW_IN_PROGRESS, ROLLBACK_COMPLETE, a failed delete...
        svc.reporter.info(f"{name} is {stack.status} from an earlier run: making it again")
        svc.cfn.delete_stack(name)
        svc.cfn.wait_stack(name, no_events, deleting=True)
    if svc.s3.bucket_exists(bucket):
        # Its stack is gone (deleted by hand, or the bucket was kept): use the bucket as it is.
        svc.reporter.info(f"using the existing artifact bucket {bucket}")
        return bucket
    svc.reporter.info(f"creating the artifact bucket {bucket}")
    change_set = change_set_name(bucket)
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
    raise_if_failed(name, final, events)
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
        raise DeployRefused(plan.refusals)
    stage_dummies(plan, svc)
    if not plan.has_changes:
        stack = svc.cfn.get_stack(plan.stack)
        outputs = stack.outputs if stack else {}
        if stack and plan.nested:
            outputs = {**outputs, **nested_outputs(svc, plan.stack)}
        return UpResult(plan.stack, stack.status if stack else "", False, outputs)
    change_set_id = plan.change_set_id
    if change_set_id is None:
        change_set_id = _create_stack_change_set(plan, svc)
    svc.cfn.mark_events_seen(plan.stack)
    final, events = _execute(svc, plan.stack, change_set_id)
    raise_if_failed(plan.stack, final, events)
    assert final is not None
    behind = served_configuration(plan, svc)
    outputs = {**final.outputs, **nested_outputs(svc, plan.stack)} if plan.nested else final.outputs
    return UpResult(plan.stack, final.status, True, outputs, len(plan.changes), behind)


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
        physical = function_name(plan.app, plan.env, name)
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
        svc.cfn.wait_stack(plan.stack, no_events, deleting=True)
    stage_nested(svc, plan.bucket, plan.nested)
    name = change_set_name(plan.template_body)
    with removed_on_failure(svc, plan.stack, name, shell=True):
        cs = svc.cfn.create_change_set(
            plan.stack,
            name,
            parameters=plan.parameters,
            create=True,
            template=template_arg(svc, plan.bucket, plan.template_body),
            tags=plan.tags,
        )
        result = svc.cfn.wait_change_set(cs, plan.stack)
        if result.status == "FAILED":
            raise AwsError(f"CloudFormation rejected the template: {result.reason}")
    return cs


def raise_if_failed(stack: str, final: Stack | None, events: list[StackEvent]) -> None:
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


def no_events(_: StackEvent) -> None:
    """A wait that reports no events."""
