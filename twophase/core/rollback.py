"""`twophase alias rollback`: move an alias back to the release it served before.

"Before" comes from the recorded history, never from version numbers: a shift in progress is undone
(the alias keeps its primary version, the weights go); otherwise the alias's own history (kept in
its Description by every twophase move) gives the version it served before; failing that, the
release record of the version it serves names what the first alias served before that release.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from twophase.aws.lambda_client import AliasState
from twophase.core import PhaseTwo
from twophase.core.release_record import ReleaseRecord, decode_history, encode_history
from twophase.errors import NotFoundError, UsageError


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


def plan_rollback(ctx: PhaseTwo, options: RollbackOptions) -> RollbackPlan:
    ctx.check_function(options.function)
    physical = ctx.physical_name(options.function)
    alias = options.alias or ctx.aliases[-1]
    state = ctx.lambda_.get_alias(physical, alias)
    from_version, target, rest, reason = _choose(ctx, physical, state, options.to_version)
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


def _choose(
    ctx: PhaseTwo, physical: str, state: AliasState, to_version: str | None
) -> tuple[str, str, list[str], str]:
    """(from, to, the alias's history afterwards, why) for rolling `state` back."""
    history = decode_history(state.description)
    current = state.function_version
    if to_version:
        return current, to_version, [current, *history], "as requested"
    if state.weights:
        shifting = max(state.weights, key=lambda v: state.weights[v])
        return shifting, current, history, f"undo the shift to v{shifting}"
    if history:
        return current, history[0], history[1:], f"what {state.name} served before"
    target, reason = _from_release_record(ctx, physical, state.name, current)
    return current, target, [], reason


def _from_release_record(ctx: PhaseTwo, physical: str, alias: str, current: str) -> tuple[str, str]:
    served = ctx.lambda_.get_configuration(physical, current)
    record = ReleaseRecord.decode(served.description)
    if record is None or record.previous is None:
        raise NotFoundError(
            f"no recorded history of what {alias} of {physical} served before v{current}",
            hint="pass --to VERSION (see `twophase releases FUNCTION`)",
        )
    return record.previous, f"the version before v{current}, from its release record"


def apply_rollback(ctx: PhaseTwo, plan: RollbackPlan) -> RollbackResult:
    started = time.monotonic()
    ctx.reporter.info(f"{plan.function}: {plan.describe()[0]}")
    ctx.lambda_.update_alias(
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
