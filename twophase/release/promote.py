"""`twophase alias promote`: point the next alias of the chain at the previous alias's version.

This module plans every promotion and runs the immediate one. At once is one UpdateAlias guarded
by the alias's RevisionId. Gradually (`--canary`/`--linear`), the plan is a CodeDeploy deployment
of the function's deployment group, which `promote_gradual` starts or attaches to and follows:
CodeDeploy shifts the traffic server-side, watches the alarms and rolls back, with or without
twophase watching. Re-running a promotion while a deployment of that group is under way attaches
to it, whatever the options, so the plan reads the alias and the group's deployments first.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime

from twophase.aws.lambda_client import AliasState
from twophase.errors import ConflictError, NotFoundError, UsageError
from twophase.release.context import CallCounter, Scope, both, check_version, unknown_version
from twophase.release.ports import Alarms, Deployments, LambdaWriter
from twophase.release.promote_plan import (
    GradualPlan,
    Group,
    attach_plan,
    gradual_plan,
)
from twophase.release.release_record import decode_history, encode_history, utc_now
from twophase.release.shift import FULL, schedule
from twophase.reporter import NullReporter, Reporter

POLL_SECONDS = 3.0  # between two reads of a deployment being followed (AWS counts in minutes)


@dataclass(frozen=True)
class PromoteDeps:
    """What a promotion uses: Lambda's aliases, CodeDeploy and CloudWatch alarms for a gradual
    one, the reporter, and the clock and sleep of following a deployment (injected: tests run
    without waiting)."""

    scope: Scope
    lambda_: LambdaWriter
    deployments: Deployments
    alarms: Alarms
    reporter: Reporter = field(default_factory=NullReporter)
    calls: CallCounter = field(default_factory=CallCounter)
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = utc_now
    poll_seconds: float = POLL_SECONDS


@dataclass(frozen=True)
class PromoteOptions:
    function: str
    from_alias: str | None = None  # default: the first alias of the chain
    to_alias: str | None = None  # default: the alias after `from_alias`
    version: str | None = None  # default: the version `from_alias` points at
    canary: int | None = None  # percent first, the rest after `interval`
    linear: int | None = None  # percent more every `interval`
    interval: float | None = None  # seconds, whole minutes (default 5 minutes)
    alarms: tuple[str, ...] = ()  # watched besides the deployment group's


@dataclass(frozen=True)
class Complete:
    alias: str
    old_version: str
    new_version: str

    def describe(self) -> str:
        return f"point {self.alias} at v{self.new_version} (was v{self.old_version})"


@dataclass(frozen=True)
class AlreadyPromoted:
    alias: str
    version: str

    def describe(self) -> str:
        return f"{self.alias} already points at v{self.version}: nothing to do"


PromoteStep = Complete | AlreadyPromoted


@dataclass(frozen=True)
class PromotePlan:
    """A promotion at once: one compare-and-set UpdateAlias, or nothing."""

    function: str
    physical: str
    alias: str
    version: str  # the version being promoted
    previous: str  # what the alias served before
    revision_id: str
    history: tuple[str, ...]  # the alias's history after the promotion
    steps: tuple[PromoteStep, ...]

    def describe(self) -> list[str]:
        return [step.describe() for step in self.steps]


@dataclass(frozen=True)
class DeploymentReport:
    """Where a CodeDeploy deployment stands (at its end, in a result)."""

    deployment_id: str
    config: str
    schedule: str  # "10% first, the rest after 5 minutes" ("" when not time-based)
    status: str  # Succeeded, Failed, Stopped, or still active when detached
    attached: bool  # this run followed a deployment an earlier run started
    percent: float  # of the alias's traffic on the new version
    seconds_left: float | None  # until it has all of it (None when unknown)
    alarms: tuple[tuple[str, str | None], ...]  # (name, state; None: no such alarm)
    reason: str | None = None  # why it failed or stopped
    rolled_back: bool = False
    rollback_deployment_id: str | None = None


@dataclass(frozen=True)
class PromoteResult:
    function: str
    alias: str
    version: str
    previous_version: str
    percents: tuple[int, ...] = ()  # the shares the new version was seen with, 100 last
    seconds: float = 0.0
    unchanged: bool = False
    deployment: DeploymentReport | None = None  # a gradual promotion's


def resolve_aliases(
    deps: PromoteDeps, from_alias: str | None, to_alias: str | None
) -> tuple[str, str]:
    chain = deps.scope.aliases
    source = deps.scope.check_alias(from_alias, "--from") if from_alias else chain[0]
    if to_alias:
        return source, deps.scope.check_alias(to_alias, "--to")
    if source not in chain or chain.index(source) + 1 >= len(chain):
        raise UsageError(
            f"no alias after {source!r} in the chain {chain}", hint="pass --to ALIAS explicitly"
        )
    return source, chain[chain.index(source) + 1]


def plan_promote(deps: PromoteDeps, options: PromoteOptions) -> PromotePlan | GradualPlan:
    """Read the alias and the deployment group; plan at once, on CodeDeploy, or attaching to
    the deployment under way. Every usage error is found before anything is read."""
    deps.scope.check_function(options.function)
    physical = deps.scope.physical_name(options.function)
    source, alias = resolve_aliases(deps, options.from_alias, options.to_alias)
    if source == alias:
        raise UsageError(f"cannot promote {alias} to itself", hint="pick two different aliases")
    wanted = schedule(canary=options.canary, linear=options.linear, interval=options.interval)
    if wanted is None and options.alarms:
        raise UsageError("--alarm watches a gradual promotion", hint="add --canary P or --linear P")
    version = (
        _version(deps, physical, options.version)
        or deps.lambda_.get_alias(physical, source).function_version
    )
    group = Group.of(deps.scope, options.function)
    state, active = both(
        deps.calls,
        lambda: deps.lambda_.get_alias(physical, alias),
        lambda: group.active(deps.deployments, required=wanted is not None),
    )
    base = PromotePlan(
        function=options.function,
        physical=physical,
        alias=alias,
        version=version,
        previous=state.function_version,
        revision_id=state.revision_id,
        history=history_after(state),
        steps=(),
    )
    if active is not None:
        return attach_plan(deps, base, group, active)
    if base.previous == version and not state.weights:
        return _with_steps(base, AlreadyPromoted(alias, version))
    if wanted is None:
        refuse_foreign_shift(physical, state, version)
        return _with_steps(base, Complete(alias, base.previous, version))
    refuse_split(physical, state)
    return gradual_plan(deps, base, group, wanted, options.alarms)


def _with_steps(plan: PromotePlan, *steps: PromoteStep) -> PromotePlan:
    return replace(plan, steps=steps)


def history_after(state: AliasState) -> tuple[str, ...]:
    """The alias's history once it moves on from what it serves now (newest first). A promotion
    that CodeDeploy rolled back left that version on top already: it is not repeated."""
    history = decode_history(state.description)
    if history[:1] == [state.function_version]:
        return tuple(history)
    return (state.function_version, *history)


def _version(deps: PromoteDeps, physical: str, version: str | None) -> str | None:
    """`--version`, checked: a published version of the function (one read; on a miss, one more
    to name the versions that exist)."""
    if version is None:
        return None
    check_version(version, "--version")
    try:
        deps.lambda_.get_configuration(physical, version)
    except NotFoundError:
        published = [v.version for v in deps.lambda_.list_versions(physical)]
        raise unknown_version(physical, version, "--version", published) from None
    return version


def refuse_foreign_shift(physical: str, state: AliasState, version: str) -> None:
    others = sorted(v for v in state.weights if v != version)
    if others:
        raise ConflictError(
            f"alias {state.name} of {physical} is mid-shift to v{others[0]}, not v{version}",
            hint=f"finish it with `--version {others[0]}` or undo it: "
            "`twophase alias rollback FUNCTION`",
        )


def refuse_split(physical: str, state: AliasState) -> None:
    """CodeDeploy shifts an alias that serves one version alone."""
    if state.weights:
        split = ", ".join(f"v{v} {w:.0%}" for v, w in sorted(state.weights.items()))
        raise ConflictError(
            f"alias {state.name} of {physical} is split (v{state.function_version}, {split}) "
            "and no deployment is under way: CodeDeploy shifts an alias from one version",
            hint="undo the split with `twophase alias rollback FUNCTION`, or promote at once",
        )


def apply_promote(deps: PromoteDeps, plan: PromotePlan | GradualPlan) -> PromoteResult:
    """Run a plan. A gradual one runs and is followed on CodeDeploy (`promote_gradual`)."""
    if isinstance(plan, GradualPlan):
        from twophase.release.promote_gradual import run_gradual  # it imports this module

        return run_gradual(deps, plan)
    started = time.monotonic()
    for step in plan.steps:
        deps.reporter.info(f"{plan.function}: {step.describe()}")
        match step:
            case AlreadyPromoted():
                return PromoteResult(
                    plan.function, plan.alias, plan.version, plan.previous, unchanged=True
                )
            case Complete():
                deps.lambda_.update_alias(
                    plan.physical,
                    plan.alias,
                    version=plan.version,
                    revision_id=plan.revision_id,
                    description=encode_history(list(plan.history)),
                )
    return PromoteResult(
        function=plan.function,
        alias=plan.alias,
        version=plan.version,
        previous_version=plan.previous,
        percents=(FULL,),
        seconds=time.monotonic() - started,
    )
