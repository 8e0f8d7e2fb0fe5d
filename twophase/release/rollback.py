"""`twophase alias rollback`: move an alias back to the release it served before.

"Before" comes from the recorded history, never from version numbers: a shift in progress is undone
(the alias keeps its primary version, the weights go); otherwise the alias's own history (kept in
its Description by every twophase move) gives the version it served before; failing that, the
release record of the version it serves names what the first alias served before that release.

A rollback never lands on the dummy (phase one's version: no code pushed) unless `--to` names it:
dummies in the history are passed over, and when nothing but the dummy is left the rollback is
refused (`NothingToRollBackTo`, one line saying so).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from twophase.aws.codedeploy import Deployment
from twophase.aws.lambda_client import AliasState, FunctionState
from twophase.errors import ConflictError, NotFoundError, PreconditionError, UsageError
from twophase.release.context import (
    CallCounter,
    Scope,
    both,
    check_version,
    no_dummies,
    unknown_version,
)
from twophase.release.dummy_versions import is_dummy
from twophase.release.ports import Deployments, LambdaWriter
from twophase.release.promote_plan import Group
from twophase.release.release_record import ReleaseRecord, decode_history, encode_history
from twophase.reporter import NullReporter, Reporter


class NothingToRollBackTo(PreconditionError):
    """What the alias served before is the dummy only: rolling back would serve no code."""


@dataclass(frozen=True)
class RollbackDeps:
    """What a rollback uses: Lambda's alias and versions, and phase one's record of the dummies
    (read on first use), so that a rollback never lands on the dummy unasked."""

    scope: Scope
    lambda_: LambdaWriter
    reporter: Reporter = field(default_factory=NullReporter)
    calls: CallCounter = field(default_factory=CallCounter)
    dummies: Callable[[], Mapping[str, str]] = no_dummies
    deployments: Deployments | None = None  # CodeDeploy: a gradual promotion under way


@dataclass(frozen=True)
class RollbackOptions:
    function: str
    alias: str | None = None  # default: the last alias of the chain
    to_version: str | None = None  # default: what the alias served before


@dataclass(frozen=True)
class RollbackPlan:
    function: str
    physical: str
    alias: str
    from_version: str  # what the alias serves now (the weighted version, mid-shift)
    to_version: str
    revision_id: str
    history: tuple[str, ...]  # the alias's history after the rollback
    reason: str

    def describe(self) -> list[str]:
        return [
            f"move {self.alias} of {self.physical} from v{self.from_version} back to "
            f"v{self.to_version} ({self.reason})"
        ]


@dataclass(frozen=True)
class RollbackResult:
    function: str
    alias: str
    from_version: str
    to_version: str
    seconds: float


def plan_rollback(deps: RollbackDeps, options: RollbackOptions) -> RollbackPlan:
    deps.scope.check_function(options.function)
    physical = deps.scope.physical_name(options.function)
    alias = deps.scope.check_alias(options.alias or deps.scope.aliases[-1], "--alias")
    to_version = check_version(options.to_version, "--to") if options.to_version else None
    (state, versions), active = both(
        deps.calls,
        lambda: both(
            deps.calls,
            lambda: deps.lambda_.get_alias(physical, alias),
            lambda: {v.version: v for v in deps.lambda_.list_versions(physical)},
        ),
        lambda: _promotion_under_way(deps, options.function),
    )
    _refuse_during_promotion(options.function, alias, active)
    choice = _Choice(physical, state, versions, deps.dummies().get(options.function))
    from_version, target, rest, reason = choice.choose(to_version)
    if target == from_version:
        raise UsageError(f"{alias} of {physical} already serves v{target}", hint="nothing to undo")
    return RollbackPlan(
        function=options.function,
        physical=physical,
        alias=alias,
        from_version=from_version,
        to_version=target,
        revision_id=state.revision_id,
        history=tuple(rest),
        reason=reason,
    )


def _promotion_under_way(deps: RollbackDeps, function: str) -> Deployment | None:
    """The deployment of the function's group under way, if any (none without a group)."""
    if deps.deployments is None:
        return None
    return Group.of(deps.scope, function).active(deps.deployments, required=False)


def _refuse_during_promotion(function: str, alias: str, active: Deployment | None) -> None:
    """A gradual promotion of the alias under way moves it again at its next step, undoing a
    rollback: it is stopped (and rolled back) with `alias promote --stop` instead. A promotion
    of another alias of the function leaves this one alone; one whose AppSpec twophase cannot
    read may shift any alias."""
    if active is None or (active.target is not None and active.target.alias != alias):
        return
    raise ConflictError(
        f"a gradual promotion of {function} is under way in CodeDeploy "
        f"({active.deployment_id}): its next step would undo a rollback",
        hint=f"stop it and roll it back: `twophase alias promote {function} --stop`",
    )


@dataclass(frozen=True)
class _Choice:
    """Where an alias goes back to, from its state and the function's published versions."""

    physical: str
    state: AliasState
    versions: Mapping[str, FunctionState]
    dummy_sha: str | None

    def dummy(self, version: str) -> bool:
        found = self.versions.get(version)
        return found is not None and is_dummy(found, self.dummy_sha)

    def choose(self, to_version: str | None) -> tuple[str, str, list[str], str]:
        """(from, to, the alias's history afterwards, why)."""
        state, current = self.state, self.state.function_version
        history = decode_history(state.description)
        if to_version:
            if to_version not in self.versions:
                raise unknown_version(self.physical, to_version, "--to", self.versions)
            if state.weights and to_version == current:  # undo a shift, by name
                shifting = max(state.weights, key=lambda v: state.weights[v])
                return shifting, current, history, "as requested"
            return current, to_version, [current, *history], "as requested"
        if state.weights:
            shifting = max(state.weights, key=lambda v: state.weights[v])
            if self.dummy(current):
                raise self.only_dummy(current, f"undoing the shift to v{shifting} would serve")
            return shifting, current, history, f"undo the shift to v{shifting}"
        if not history:
            target, reason = self.from_release_record(current)
            history, why = [target], reason
        else:
            why = f"what {state.name} served before"
        for index, candidate in enumerate(history):
            if candidate == current or self.dummy(candidate):
                continue  # what it serves (a promotion CodeDeploy rolled back records it too)
            if candidate not in self.versions:
                raise NotFoundError(
                    f"v{candidate}, {why} ({state.name} of {self.physical}), no longer exists",
                    hint="pass --to VERSION (see `twophase releases FUNCTION`)",
                )
            passed = any(self.dummy(v) for v in history[:index])
            skipped = " (passing over the dummy)" if passed else ""
            return current, candidate, history[index + 1 :], why + skipped
        dummy = next((v for v in history if self.dummy(v)), history[0])
        raise self.only_dummy(dummy, "nothing to roll back to but")

    def only_dummy(self, dummy: str, what: str) -> NothingToRollBackTo:
        return NothingToRollBackTo(
            f"{self.state.name} of {self.physical}: {what} v{dummy}, the dummy (no code pushed)",
            hint=f"pass --to {dummy} to serve the dummy anyway",
        )

    def from_release_record(self, current: str) -> tuple[str, str]:
        served = self.versions.get(current)
        record = ReleaseRecord.decode(served.description) if served is not None else None
        if record is None or record.previous is None:
            raise NotFoundError(
                f"no recorded history of what {self.state.name} of {self.physical} served "
                f"before v{current}",
                hint="pass --to VERSION (see `twophase releases FUNCTION`)",
            )
        return record.previous, f"the version before v{current}, from its release record"


def apply_rollback(deps: RollbackDeps, plan: RollbackPlan) -> RollbackResult:
    started = time.monotonic()
    deps.reporter.info(f"{plan.function}: {plan.describe()[0]}")
    deps.lambda_.update_alias(
        plan.physical,
        plan.alias,
        version=plan.to_version,
        revision_id=plan.revision_id,
        weights={},
        description=encode_history(list(plan.history)),
    )
    return RollbackResult(
        function=plan.function,
        alias=plan.alias,
        from_version=plan.from_version,
        to_version=plan.to_version,
        seconds=time.monotonic() - started,
    )
