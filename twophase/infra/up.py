"""`infra up` as one use case that converges, whatever an earlier run left behind.

Before planning: a stack update still running (an earlier run interrupted after it executed its
change set) is waited for, within a deadline and reported; change sets an earlier run left are
deleted; a stack left `REVIEW_IN_PROGRESS` by an interrupted first deploy is adopted (a new
CREATE change set goes on it). While planning and confirming, any failure or Ctrl-C removes the
change set this run made, and the stack shell too if this run created it, so nothing remotely
changed. Once the change set executes, CloudFormation finishes (or rolls back) by itself: Ctrl-C
then says so, and the next `infra up` waits for it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from twophase.config.model import Config
from twophase.errors import AwsError
from twophase.infra.apply import DeployRunning, UpResult, apply_up, ensure_artifact_bucket
from twophase.infra.plan import InfraPlan
from twophase.infra.plan_up import plan_up
from twophase.infra.services import InfraServices, discard
from twophase.names import CHANGE_SET_PREFIX

LEFTOVER_STATES = {"AVAILABLE", "UNAVAILABLE", "OBSOLETE", "EXECUTE_FAILED", ""}


@dataclass(frozen=True)
class UpOptions:
    allow_delete: frozenset[str] = frozenset()


def up(
    config: Config,
    env: str,
    svc: InfraServices,
    options: UpOptions,
    *,
    show: Callable[[InfraPlan], None],
    confirm: Callable[[InfraPlan], None],
) -> UpResult:
    """Settle → clean up → plan → show → confirm → artifact bucket → execute and wait."""
    stack = config.stack_name(env)
    settle(svc, stack)
    discard_leftovers(svc, stack)
    had_stack = svc.cfn.get_stack(stack) is not None
    plan = plan_up(config, env, svc, allow_delete=options.allow_delete, keep_change_set=True)
    try:
        show(plan)
        if plan.has_changes and not plan.refusals:
            confirm(plan)  # before anything changes remotely
        if not plan.refusals:
            ensure_artifact_bucket(config, env, svc)
        return apply_up(plan, svc)
    except DeployRunning:
        raise  # executed: CloudFormation carries on, nothing of ours to remove
    except BaseException:
        discard(svc, plan.stack, plan.change_set_id, shell=not had_stack)
        raise


def confirmation(config: Config, env: str, plan: InfraPlan) -> str | None:
    """Why deploying `plan` needs a yes (a protected environment, or dangerous changes); None
    when it goes ahead unasked."""
    if config.environment(env).protected:
        return "a protected environment"
    return "dangerous changes" if plan.dangerous else None


def settle(svc: InfraServices, stack: str) -> None:
    """Wait (bounded, reported) for an update an earlier run started to finish or roll back."""
    current = svc.cfn.get_stack(stack)
    if current is None or not current.in_progress or current.status == "REVIEW_IN_PROGRESS":
        return
    svc.reporter.info(f"{stack} is {current.status} (an earlier run): waiting for it to finish")
    task = f"{stack}: waiting"

    def polled(status: str, waited: float, limit: float) -> None:
        svc.reporter.progress(task, int(waited), int(limit), "s")

    try:
        final, _ = svc.cfn.wait_stack(stack, _ignore, on_poll=polled)
    finally:
        svc.reporter.end(task)
    if final is not None and final.in_progress:
        raise AwsError(f"stack {stack} is still {final.status}", hint="run `infra up` again later")


def discard_leftovers(svc: InfraServices, stack: str) -> int:
    """Delete the change sets earlier runs of twophase made and never executed."""
    removed = 0
    for change_set_id, name, state in svc.cfn.list_change_sets(stack):
        if name.startswith(CHANGE_SET_PREFIX) and state in LEFTOVER_STATES:
            with contextlib.suppress(AwsError):
                svc.cfn.delete_change_set(change_set_id, stack)
                removed += 1
    if removed:
        svc.reporter.info(f"removed {removed} change set(s) an earlier run left on {stack}")
    return removed


def _ignore(_: object) -> None:
    pass
