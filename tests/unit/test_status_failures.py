"""`status` when a read fails: a function it may not read is a row saying why and the command
ends in a failure (exit 1), never a quiet success; credentials that do not work are said once,
for the whole command (exit 2); a function not deployed is a state ("missing"), not a failure."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import pytest

from tests.unit.test_push_plan import DUMMY, FakeLambda, fresh_lambda, make_scope
from twophase.aws.lambda_client import AliasState, FunctionState
from twophase.build.detzip import code_sha256 as sha_of
from twophase.config.model import Function
from twophase.errors import (
    AccessDeniedError,
    CredentialsError,
    ExitStatus,
    NotFoundError,
    TwophaseError,
)
from twophase.release.context import Scope
from twophase.release.status import StatusDeps, StatusOptions, StatusResult, status

NAMES = ("api", "mail", "worker")
RECORD = {n: sha_of(DUMMY) for n in NAMES}  # phase one's record of the dummies


@dataclass
class Refusing:
    """Lambda's reads for three functions: `api` answers, the others raise what they are given."""

    api: FakeLambda
    refusals: dict[str, TwophaseError]

    def _check(self, function: str) -> None:
        for name, error in self.refusals.items():
            if function.endswith(f"-{name}"):
                raise error

    def list_versions(self, function: str, *, include_latest: bool = False) -> list[FunctionState]:
        self._check(function)
        return self.api.list_versions(function, include_latest=include_latest)

    def list_aliases(self, function: str) -> list[AliasState]:
        self._check(function)
        return self.api.list_aliases(function)

    def get_configuration(self, function: str, qualifier: str | None = None) -> FunctionState:
        raise AssertionError("status reads lists only")

    def get_alias(self, function: str, alias: str) -> AliasState:
        raise AssertionError("status reads lists only")


def three_functions(tmp_path: Path) -> Scope:
    scope = make_scope(tmp_path)
    functions = {n: Function(name=n, handler="app.handler") for n in NAMES}
    return Scope(replace(scope.config, functions=functions), scope.env)


def run(tmp_path: Path, **refusals: TwophaseError) -> tuple[StatusResult, TwophaseError | None]:
    reader = Refusing(fresh_lambda(), refusals)
    result = status(StatusDeps(three_functions(tmp_path), reader), StatusOptions(), RECORD)
    return result, result.failure()


def test_every_function_read_is_a_success(tmp_path: Path) -> None:
    result, failure = run(tmp_path)
    assert failure is None
    assert [f.code for f in result.functions] == ["dummy", "dummy", "dummy"]


def test_a_function_not_deployed_is_missing_not_a_failure(tmp_path: Path) -> None:
    result, failure = run(tmp_path, mail=NotFoundError("shop-dev-mail not found"))
    assert failure is None
    assert [f.code for f in result.functions] == ["dummy", "missing", "dummy"]


def test_a_function_the_caller_may_not_read_fails_the_command(tmp_path: Path) -> None:
    denied = AccessDeniedError("not allowed to call lambda:ListAliases on shop-dev-worker")
    result, failure = run(tmp_path, worker=denied)

    worker = result.functions[2]
    assert (worker.code, worker.error) == ("unknown", denied)
    assert failure is not None and str(failure) == "1 of 3 functions not read"
    assert failure.exit_status == ExitStatus.FAILED


def test_credentials_that_do_not_work_are_said_once(tmp_path: Path) -> None:
    broken = CredentialsError("AWS profile 'shop-prod' not found")
    every: dict[str, TwophaseError] = dict.fromkeys(NAMES, broken)
    with pytest.raises(CredentialsError) as info:
        status(
            StatusDeps(three_functions(tmp_path), Refusing(fresh_lambda(), every)),
            StatusOptions(),
            RECORD,
        )
    assert info.value.exit_status == ExitStatus.USAGE
