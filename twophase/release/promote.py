"""`twophase alias promote`: point the next alias of the chain at the previous alias's version.

At once (one UpdateAlias guarded by the alias's RevisionId), or gradually: each step routes a share
of the alias's traffic to the new version through RoutingConfig, waits, and checks the new version's
health (its CloudWatch `Errors` and any named alarms); unhealthy rolls the alias back and raises
`HealthCheckError`. Every step leaves the alias consistent, so an interrupted shift is resumed by
running the promotion again, or undone by `alias rollback`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from twophase.aws.lambda_client import AliasState
from twophase.errors import ConflictError, HealthCheckError, NotFoundError, UsageError
from twophase.release.context import Scope, check_version, unknown_version
from twophase.release.ports import Health, LambdaWriter
from twophase.release.release_record import decode_history, encode_history, utc_now
from twophase.release.shift import FULL, remaining_after, shift_percentages, to_percent, to_weight
from twophase.reporter import NullReporter, Reporter

DEFAULT_INTERVAL = 300.0
METRIC_MARGIN = timedelta(minutes=1)


@dataclass(frozen=True)
class PromoteDeps:
    """What a promotion uses: Lambda's aliases, the new version's health, the clock and the sleep
    between a gradual shift's steps (injected: tests run instantly), and the reporter."""

    scope: Scope
    lambda_: LambdaWriter
    health: Health
    reporter: Reporter = field(default_factory=NullReporter)
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = utc_now


@dataclass(frozen=True)
class PromoteOptions:
    function: str
    from_alias: str | None = None  # default: the first alias of the chain
    to_alias: str | None = None  # default: the alias after `from_alias`
    version: str | None = None  # default: the version `from_alias` points at
    canary: int | None = None  # percent on the first step
    linear: int | None = None  # percent added per step
    interval: float = DEFAULT_INTERVAL  # seconds between steps
    alarms: tuple[str, ...] = ()


@dataclass(frozen=True)
class Shift:
    alias: str
    old_version: str
    new_version: str
    percent: int
    wait: float

    def describe(self) -> str:
        return (
            f"route {self.percent}% of {self.alias} to v{self.new_version} "
            f"({FULL - self.percent}% stays on v{self.old_version}), then check health after "
            f"{format_seconds(self.wait)}"
        )


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


PromoteStep = Shift | Complete | AlreadyPromoted


@dataclass(frozen=True)
class PromotePlan:
    function: str
    physical: str
    alias: str
    version: str  # the version being promoted
    previous: str  # what the alias served before
    revision_id: str
    history: tuple[str, ...]  # the alias's history after the promotion
    steps: tuple[PromoteStep, ...]
    resumed_at: float = 0.0  # percent the new version already had when planned
    alarms: tuple[str, ...] = ()

    def describe(self) -> list[str]:
        lines = [step.describe() for step in self.steps]
        if self.resumed_at:
            lines.insert(
                0, f"resume the shift of {self.alias}: v{self.version} has {self.resumed_at:g}%"
            )
        return lines


@dataclass(frozen=True)
class PromoteResult:
    function: str
    alias: str
    version: str
    previous_version: str
    percents: tuple[int, ...] = ()
    seconds: float = 0.0
    unchanged: bool = False


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


def plan_promote(deps: PromoteDeps, options: PromoteOptions) -> PromotePlan:
    deps.scope.check_function(options.function)
    physical = deps.scope.physical_name(options.function)
    source, alias = resolve_aliases(deps, options.from_alias, options.to_alias)
    if source == alias:
        raise UsageError(f"cannot promote {alias} to itself", hint="pick two different aliases")
    percents = shift_percentages(canary=options.canary, linear=options.linear)
    version = (
        _version(deps, physical, options.version)
        or deps.lambda_.get_alias(physical, source).function_version
    )
    state = deps.lambda_.get_alias(physical, alias)
    _refuse_foreign_shift(physical, state, version)
    previous = state.function_version
    history = (previous, *decode_history(state.description))
    plan = PromotePlan(
        function=options.function,
        physical=physical,
        alias=alias,
        version=version,
        previous=previous,
        revision_id=state.revision_id,
        history=history,
        steps=(),
        alarms=options.alarms,
    )
    if previous == version and not state.weights:
        return replace(plan, steps=(AlreadyPromoted(alias, version),))
    already = to_percent(state.weights.get(version, 0.0))
    steps: list[PromoteStep] = [
        Shift(alias, previous, version, p, options.interval)
        for p in remaining_after(percents, already)
        if p < FULL
    ]
    steps.append(Complete(alias, previous, version))
    return replace(plan, steps=tuple(steps), resumed_at=already)


def _version(deps: PromoteDeps, physical: str, version: str | None) -> str | None:
    """`--version`, checked: a published version of the function (one read)."""
    if version is None:
        return None
    check_version(version, "--version")
    try:
        deps.lambda_.get_configuration(physical, version)
    except NotFoundError:
        raise unknown_version(physical, version, "--version") from None
    return version


def _refuse_foreign_shift(physical: str, state: AliasState, version: str) -> None:
    others = sorted(v for v in state.weights if v != version)
    if others:
        raise ConflictError(
            f"alias {state.name} of {physical} is mid-shift to v{others[0]}, not v{version}",
            hint=f"finish it with `--version {others[0]}` or undo it: "
            "`twophase alias rollback FUNCTION`",
        )


@dataclass
class _Shifting:
    revision_id: str
    percents: list[int] = field(default_factory=list)


def apply_promote(deps: PromoteDeps, plan: PromotePlan) -> PromoteResult:
    """Run the steps; a failed health check rolls the alias back and raises HealthCheckError."""
    try:
        return _apply(deps, plan)
    finally:
        deps.reporter.end(_task(plan))  # a shift that stopped part-way leaves no bar behind


def _task(plan: PromotePlan) -> str:
    return f"{plan.function}: {plan.alias} → v{plan.version}"


def _apply(deps: PromoteDeps, plan: PromotePlan) -> PromoteResult:
    started = time.monotonic()
    since = deps.now() - METRIC_MARGIN
    state = _Shifting(plan.revision_id)
    for step in plan.steps:
        deps.reporter.info(f"{plan.function}: {step.describe()}")
        match step:
            case AlreadyPromoted():
                return PromoteResult(
                    plan.function, plan.alias, plan.version, plan.previous, unchanged=True
                )
            case Shift():
                _shift(deps, plan, step, state)
                deps.sleep(step.wait)
                _check_health(deps, plan, state, since)
            case Complete():
                moved = deps.lambda_.update_alias(
                    plan.physical,
                    plan.alias,
                    version=plan.version,
                    revision_id=state.revision_id,
                    description=encode_history(list(plan.history)),
                )
                state.revision_id = moved.revision_id
                state.percents.append(FULL)
                if len(state.percents) > 1:  # a gradual shift: its bar ends at 100%
                    deps.reporter.progress(_task(plan), FULL, FULL, "%")
    return PromoteResult(
        function=plan.function,
        alias=plan.alias,
        version=plan.version,
        previous_version=plan.previous,
        percents=tuple(state.percents),
        seconds=time.monotonic() - started,
    )


def _shift(deps: PromoteDeps, plan: PromotePlan, step: Shift, state: _Shifting) -> None:
    moved = deps.lambda_.update_alias(
        plan.physical,
        plan.alias,
        version=step.old_version,
        revision_id=state.revision_id,
        weights={step.new_version: to_weight(step.percent)},
    )
    state.revision_id = moved.revision_id
    state.percents.append(step.percent)
    deps.reporter.progress(_task(plan), step.percent, FULL, "%")


def _check_health(deps: PromoteDeps, plan: PromotePlan, state: _Shifting, since: datetime) -> None:
    errors = deps.health.version_errors(
        plan.physical, plan.alias, plan.version, start=since, end=deps.now() + METRIC_MARGIN
    )
    firing = deps.health.alarms_firing(plan.alarms)
    if not errors and not firing:
        deps.reporter.info(f"{plan.function}: v{plan.version} healthy at {state.percents[-1]}%")
        return
    why = f"{errors:g} errors" if errors else f"alarm {', '.join(firing)} firing"
    deps.reporter.warn(f"{plan.function}: v{plan.version} unhealthy ({why}); rolling back")
    deps.lambda_.update_alias(
        plan.physical, plan.alias, version=plan.previous, revision_id=state.revision_id, weights={}
    )
    raise HealthCheckError(
        f"v{plan.version} of {plan.physical} was unhealthy at {state.percents[-1]}% ({why}); "
        f"{plan.alias} is back on v{plan.previous}",
        hint="check `twophase logs FUNCTION`, fix, push and promote again",
    )


def format_seconds(seconds: float) -> str:
    if seconds >= 60 and seconds % 60 == 0:
        return f"{seconds / 60:g}m"
    return f"{seconds:g}s"
