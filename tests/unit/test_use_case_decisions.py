"""Decisions the use cases make (not the CLI): which error a many-function command ends with, when
`infra up` asks before deploying, and the preflight's refusal as a type."""

from __future__ import annotations

from pathlib import Path

import pytest

from twophase.config.model import Config, Environment, Function
from twophase.errors import ConflictError, ExitStatus, NotFoundError, PreconditionError
from twophase.infra.apply import DeployRefused, apply_up
from twophase.infra.plan import InfraPlan, PlannedChange
from twophase.infra.services import InfraServices
from twophase.infra.up import confirmation
from twophase.release.context import failure_of


def test_a_single_function_ends_with_its_own_error_many_with_a_count() -> None:
    conflict = ConflictError("alias next moved under you")
    assert failure_of([None, None], "pushes failed", ExitStatus.OK) is None
    assert failure_of([conflict], "pushes failed", ExitStatus.CONFLICT) is conflict
    counted = failure_of(
        [None, conflict, NotFoundError("gone")], "pushes failed", ExitStatus.CONFLICT
    )
    assert counted is not None and str(counted) == "2 of 3 pushes failed"
    assert counted.exit_status == ExitStatus.CONFLICT


def plan(*changes: PlannedChange, refusals: tuple[str, ...] = ()) -> InfraPlan:
    return InfraPlan(
        app="shop",
        env="dev",
        stack="shop-dev",
        bucket="bucket",
        template_body="{}",
        parameters={},
        stack_exists=True,
        changes=changes,
        refusals=refusals,
    )


def config(tmp_path: Path, *, protected: bool) -> Config:
    return Config(
        app="shop",
        path=tmp_path / "twophase.yml",
        environments={"dev": Environment(region="eu-west-1", protected=protected)},
        functions={"api": Function(name="api", handler="app.handler")},
    )


def test_infra_up_asks_for_a_protected_environment_or_dangerous_changes_only(
    tmp_path: Path,
) -> None:
    safe = PlannedChange("Modify", "ApiFunction", "AWS::Lambda::Function", False, ())
    risky = PlannedChange("Remove", "Table", "AWS::DynamoDB::Table", False, (), "deletes data")
    assert confirmation(config(tmp_path, protected=False), "dev", plan(safe)) is None
    assert confirmation(config(tmp_path, protected=False), "dev", plan(risky)) == (
        "dangerous changes"
    )
    assert confirmation(config(tmp_path, protected=True), "dev", plan(safe)) == (
        "a protected environment"
    )


class NoAws(InfraServices):
    """Services a refused plan never reaches."""

    def __init__(self) -> None:
        pass


def test_a_refused_plan_raises_the_refusal_type_before_any_call() -> None:
    reasons = ("Remove ApiFunction: deletes api, which holds pushed code", "Remove Worker: …")
    with pytest.raises(DeployRefused) as refused:
        apply_up(plan(refusals=reasons), NoAws())
    assert isinstance(refused.value, PreconditionError)
    assert refused.value.refusals == reasons
    assert str(refused.value) == (
        "refusing to deploy: Remove ApiFunction: deletes api, which holds pushed code "
        "(and 1 more change(s) marked ! in the plan)"
    )
