"""The public JSON of `alias promote` and `alias rollback` (see `twophase.cli.shapes`, which
re-exports them with every other command's)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from twophase.cli.output import Shape

if TYPE_CHECKING:
    from twophase.release.promote import DeploymentReport, PromoteResult
    from twophase.release.rollback import RollbackResult


def promote(r: PromoteResult) -> Shape:
    """`deployment` is null at once; a gradual promotion's CodeDeploy deployment otherwise."""
    return Shape(
        "twophase.alias.promote/1",
        {
            "function": r.function,
            "alias": r.alias,
            "version": r.version,
            "previous_version": r.previous_version,
            "percents": list(r.percents),
            "seconds": r.seconds,
            "unchanged": r.unchanged,
            "deployment": _deployment(r.deployment) if r.deployment is not None else None,
        },
    )


def _deployment(d: DeploymentReport) -> dict[str, Any]:
    return {
        "id": d.deployment_id,
        "config": d.config,
        "schedule": d.schedule,
        "status": d.status,
        "attached": d.attached,
        "percent": d.percent,
        "seconds_left": d.seconds_left,
        "alarms": [{"name": name, "state": state} for name, state in d.alarms],
        "reason": d.reason,
        "rolled_back": d.rolled_back,
        "rollback_deployment_id": d.rollback_deployment_id,
    }


def rollback(r: RollbackResult) -> Shape:
    return Shape(
        "twophase.alias.rollback/1",
        {
            "function": r.function,
            "alias": r.alias,
            "from_version": r.from_version,
            "to_version": r.to_version,
            "seconds": r.seconds,
        },
    )


def promote_dry_run(steps: Sequence[str]) -> Shape:
    """`alias promote --dry-run`: the steps that would run."""
    return Shape("twophase.alias.promote.dry-run/1", {"dry_run": True, "steps": list(steps)})


def rollback_dry_run(steps: Sequence[str]) -> Shape:
    """`alias rollback --dry-run`: the step that would run."""
    return Shape("twophase.alias.rollback.dry-run/1", {"dry_run": True, "steps": list(steps)})
