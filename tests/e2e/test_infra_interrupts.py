"""Ctrl-C or SIGKILL at any point of `infra up` blocks nothing.

`twophase infra up --yes` runs as a process through an `InterruptingProxy`
(tests/e2e/interrupting_proxy.py) in front of the embedded AWS, which sends it SIGINT or SIGKILL
at one chosen CloudFormation request: before it is forwarded (the write never happened) or after
(the write happened; its answer never reaches the process). Points of a first `infra up` (no stack
yet) and of a later one (after a push and a promote, with an edited twophase.yml).

Then `infra up --yes` runs again, in-process: it exits 0 within 60 s, a second run says
"no changes", no change set is left on `shop-local` or `shop-local-artifacts`, and after a later
run's interruption the pushed code still answers through `live`, every function's `$LATEST` and
versions keep their code and every alias its target. A Ctrl-C-ed run ends 130 with one `error:`
line and no traceback. Last, `infra down` then `infra up`, three times in a row.

What twophase/infra/up.py promises a Ctrl-C beyond that (its message says it was interrupted,
and after the change set executed that CloudFormation carries on; before it executed, the run
takes back the change set and stack shell it made) is checked once convergence has been
asserted: a case whose gap is known (CTRL_C_GAPS) then ends as an expected failure naming what was
seen, and fails when the gap is gone, so that its entry is removed (strict).
"""

from __future__ import annotations

import json
import signal
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

import twophase.infra.services
from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import edit_config, run_cli
from tests.e2e.interrupting_proxy import (
    Call,
    Interrupted,
    InterruptingProxy,
    Point,
    query_call,
    run_interrupted,
)
from tests.e2e.lossy_proxy import Head
from twophase.aws.cloudformation import CloudFormation

STACK = "shop-local"
ARTIFACTS = "shop-local-artifacts"
FUNCTIONS = ("api", "worker", "nightly")
CONVERGE_SECONDS = 60.0

# How far the interrupted run got: what a Ctrl-C must take back, or say.
NOT_EXECUTED = "nothing executed"  # the run's change set and stack shell are to be removed
ARTIFACTS_EXECUTED = "artifact stack executed"
APP_EXECUTED = "app stack executed"  # CloudFormation carries on: the message says so


@dataclass(frozen=True)
class Case:
    point: Point
    stage: str


FIRST = {
    "artifacts-CreateChangeSet-before": Case(
        Point("CreateChangeSet", ARTIFACTS, when="before"), NOT_EXECUTED
    ),
    "artifacts-CreateChangeSet-after": Case(Point("CreateChangeSet", ARTIFACTS), NOT_EXECUTED),
    "artifacts-ExecuteChangeSet-after": Case(
        Point("ExecuteChangeSet", ARTIFACTS), ARTIFACTS_EXECUTED
    ),
    "app-CreateChangeSet-after": Case(Point("CreateChangeSet", STACK), NOT_EXECUTED),
    "app-ExecuteChangeSet-after": Case(Point("ExecuteChangeSet", STACK), APP_EXECUTED),
    # waiting for the executed change set: its first poll, never answered
    "app-waiting": Case(
        Point("DescribeStacks", STACK, when="before", following=("ExecuteChangeSet", STACK)),
        APP_EXECUTED,
    ),
}
LATER = {
    "app-CreateChangeSet-after": Case(Point("CreateChangeSet", STACK), NOT_EXECUTED),
    "app-DescribeChangeSet-after": Case(Point("DescribeChangeSet", STACK), NOT_EXECUTED),
    "app-ExecuteChangeSet-after": Case(Point("ExecuteChangeSet", STACK), APP_EXECUTED),
}

# (first|later, point) -> what a Ctrl-C there does not do yet, of what infra_up.py promises.
CTRL_C_GAPS: dict[tuple[str, str], str] = {}


# SIGKILL leaves exactly the remote state of the moment; where that state is the same as at
# another point (nothing made yet, or the same change set made), one SIGKILL case covers both.
KILL_POINTS = {
    "artifacts-CreateChangeSet-after",
    "app-CreateChangeSet-after",
    "app-ExecuteChangeSet-after",
}


def cases(table: dict[str, Case]) -> list[Any]:
    return [
        pytest.param(name, case, sig, id=f"{name}-{sig.name}")
        for name, case in table.items()
        for sig in (signal.SIGINT, signal.SIGKILL)
        if sig is signal.SIGINT or name in KILL_POINTS
    ]


@dataclass
class BoundedCloudFormation(CloudFormation):
    """The product's client, its stack waits bounded by this test's limit instead of an hour."""

    timeout_seconds: float = CONVERGE_SECONDS


@pytest.fixture(autouse=True)
def bounded_waits(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(twophase.infra.services, "CloudFormation", BoundedCloudFormation)


# --- remote state -------------------------------------------------------------------------------


@dataclass(frozen=True)
class RemoteState:
    stacks: dict[str, str]
    change_sets: dict[str, list[str]] = field(default_factory=dict)
    buckets: tuple[str, ...] = ()

    def __str__(self) -> str:
        return f"stacks {self.stacks}; change sets {self.change_sets}; buckets {list(self.buckets)}"


def change_sets(aws: LocalAwsHandle) -> dict[str, list[str]]:
    """Every change set on the app stack and the artifact stack (a missing stack has none)."""
    cfn = aws.clients().client("cloudformation")
    out: dict[str, list[str]] = {}
    for stack in (STACK, ARTIFACTS):
        try:
            summaries = cfn.list_change_sets(StackName=stack)["Summaries"]
        except cfn.exceptions.ClientError:
            summaries = []
        out[stack] = [f"{s['ChangeSetName']} ({s.get('ExecutionStatus')})" for s in summaries]
    return out


def remote_state(aws: LocalAwsHandle) -> RemoteState:
    clients = aws.clients()
    cfn, s3 = clients.client("cloudformation"), clients.client("s3")
    summaries = cfn.list_stacks().get("StackSummaries", [])
    stacks: dict[str, str] = {s["StackName"]: s["StackStatus"] for s in summaries}
    buckets = tuple(sorted(b["Name"] for b in s3.list_buckets().get("Buckets", [])))
    return RemoteState(stacks, change_sets(aws), buckets)


def release_state(aws: LocalAwsHandle) -> dict[str, Any]:
    """Per function: the code of `$LATEST` and of every version, and every alias's target."""
    lam = aws.clients().client("lambda")
    state: dict[str, Any] = {}
    for name in FUNCTIONS:
        function = f"{STACK}-{name}"
        versions = lam.list_versions_by_function(FunctionName=function)["Versions"]
        aliases = lam.list_aliases(FunctionName=function)["Aliases"]
        state[name] = {
            "code": {v["Version"]: v["CodeSha256"] for v in versions},
            "aliases": {
                a["Name"]: (a["FunctionVersion"], a.get("RoutingConfig") or {}) for a in aliases
            },
        }
    return state


# --- steps and checks ---------------------------------------------------------------------------


def interrupt_infra_up(
    app: Path, home: Path, aws: LocalAwsHandle, point: Point, sig: signal.Signals
) -> tuple[Interrupted, RemoteState]:
    """`twophase infra up --yes` as a process, signalled at `point`; how it ended (checked) and
    what it left."""
    with InterruptingProxy(aws.endpoint_url, point) as proxy:
        result = run_interrupted(
            ["infra", "up", "--yes"], cwd=app.parent, home=home, proxy=proxy, sig=sig
        )
        calls = proxy.calls
    assert result.fired, f"infra up never reached {point}: {calls}\n{result.stderr}"
    assert not result.answered_late, f"the process still read the answer at {point}"
    if sig is signal.SIGKILL:
        assert result.exit_code == -signal.SIGKILL, result.stderr
    else:
        lines = result.stderr.splitlines()
        errors = [line for line in lines if line.startswith("error")]
        assert result.exit_code == 130, result.stderr
        assert "Traceback" not in result.stderr, result.stderr
        assert len(errors) == 1 and lines[-1] == errors[0], result.stderr
    return result, remote_state(aws)


def assert_converges(capsys: pytest.CaptureFixture[str], aws: LocalAwsHandle) -> None:
    """`infra up --yes` exits 0 within the bound, a second says "no changes", and no change set
    is left behind."""
    started = time.monotonic()
    up = run_cli(capsys, "infra", "up", "--yes")
    seconds = time.monotonic() - started
    assert up.exit_code == 0, f"{up.stderr.strip()}\n{remote_state(aws)}"
    assert seconds < CONVERGE_SECONDS
    again = run_cli(capsys, "infra", "up", "--yes")
    assert (again.exit_code, again.stdout) == (0, f"{STACK}: no changes\n"), (
        f"{again.stdout}{again.stderr}\n{remote_state(aws)}"
    )
    assert change_sets(aws) == {STACK: [], ARTIFACTS: []}, str(remote_state(aws))


def assert_live_serves_pushed_code(capsys: pytest.CaptureFixture[str]) -> None:
    """`invoke api` through `live` answers with the pushed code (the dummy answers 501)."""
    result = run_cli(capsys, "invoke", "api", "--route", "GET /orders/{id}")
    assert result.exit_code == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["order"] == "1", answer
    assert "api (live, v2) answered" in result.stderr


def ctrl_c_gaps(case: Case, result: Interrupted, left: RemoteState) -> list[str]:
    """What a Ctrl-C-ed run did not do of what infra_up.py promises."""
    lines = result.stderr.splitlines()
    said = lines[-1]
    gaps = []
    if len(lines) > 1 and not lines[-2].strip():
        gaps.append("a blank line before the error line")
    if "interrupted" not in said:
        gaps.append(f"the error line does not say it was interrupted: {said!r}")
    if case.stage == APP_EXECUTED and "CloudFormation finishes" not in said:
        gaps.append(f"the error line does not say CloudFormation carries on: {said!r}")
    if case.stage == NOT_EXECUTED:
        made = {stack: sets for stack, sets in left.change_sets.items() if sets}
        shells = [stack for stack, status in left.stacks.items() if status == "REVIEW_IN_PROGRESS"]
        if made or shells:
            gaps.append(f"left behind: change sets {made}, REVIEW_IN_PROGRESS stacks {shells}")
    return gaps


def expect_ctrl_c_promises(
    key: tuple[str, str], case: Case, result: Interrupted, left: RemoteState
) -> None:
    """Strict: a known gap must still be there (then the case is an expected failure), any other
    gap fails."""
    gaps = ctrl_c_gaps(case, result, left)
    known = CTRL_C_GAPS.get(key)
    seen = f"stderr ends {result.stderr.splitlines()[-2:]}; {'; '.join(gaps)}"
    if known is None:
        assert not gaps, seen
    elif gaps:
        pytest.xfail(f"converged, but Ctrl-C at {key}: {known} (seen: {seen})")
    else:
        pytest.fail(f"Ctrl-C at {key} now keeps its promises: remove it from CTRL_C_GAPS")


# --- the proxy's choice of request -------------------------------------------------------------


def test_a_point_is_one_request_by_action_exact_stack_order_and_what_came_before() -> None:
    form = Head(b"", "POST / HTTP/1.1", (("Content-Type", "application/x-www-form-urlencoded"),))
    body = b"Action=ExecuteChangeSet&ChangeSetName=twophase-1&StackName=shop-local&Version=2010"
    assert query_call("POST", form, body) == Call("ExecuteChangeSet", STACK)
    assert query_call("PUT", form, body) is None
    assert query_call("POST", Head(b"", "POST / HTTP/1.1", ()), body) is None  # REST, JSON

    def fired(point: Point, calls: list[Call]) -> list[bool]:
        proxy = InterruptingProxy("http://127.0.0.1:9", point)  # never started
        return [proxy._hits(call) for call in calls]

    describe, execute = Call("DescribeStacks", STACK), Call("ExecuteChangeSet", STACK)
    artifacts = Call("DescribeStacks", ARTIFACTS)
    calls = [describe, artifacts, describe, execute, artifacts, describe, describe]
    assert fired(Point("DescribeStacks", STACK, nth=2), calls) == [0, 0, 1, 0, 0, 0, 0]
    assert fired(Point("DescribeStacks", ARTIFACTS), calls) == [0, 1, 0, 0, 0, 0, 0]
    assert fired(FIRST["app-waiting"].point, calls) == [0, 0, 0, 0, 0, 1, 0]
    assert fired(Point("DescribeStacks", None, nth=3), calls) == [0, 0, 1, 0, 0, 0, 0]
    assert not any(fired(Point("CreateChangeSet"), calls))


# --- a first `infra up` -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "case", "sig"), cases(FIRST))
def test_an_interrupted_first_infra_up_blocks_nothing(
    app: Path,
    local_aws: LocalAwsHandle,
    twophase_home: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    case: Case,
    sig: signal.Signals,
) -> None:
    result, left = interrupt_infra_up(app, twophase_home, local_aws, case.point, sig)

    assert_converges(capsys, local_aws)
    if sig is signal.SIGINT:
        expect_ctrl_c_promises(("first", name), case, result, left)


# --- a later `infra up` -------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "case", "sig"), cases(LATER))
def test_an_interrupted_later_infra_up_blocks_nothing_and_keeps_the_release(
    app: Path,
    local_aws: LocalAwsHandle,
    twophase_home: Path,
    capsys: pytest.CaptureFixture[str],
    name: str,
    case: Case,
    sig: signal.Signals,
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    assert run_cli(capsys, "push", "api").exit_code == 0
    assert run_cli(capsys, "alias", "promote", "api").exit_code == 0
    edit_config(app, functions__api__memory=1024)
    before = release_state(local_aws)

    result, left = interrupt_infra_up(app, twophase_home, local_aws, case.point, sig)

    assert_converges(capsys, local_aws)
    assert_live_serves_pushed_code(capsys)
    assert release_state(local_aws) == before
    if sig is signal.SIGINT:
        expect_ctrl_c_promises(("later", name), case, result, left)


# --- down and up, again and again ---------------------------------------------------------------


def test_infra_down_then_up_three_times_in_a_row(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    for down in (("--yes",), ("--yes", "--purge"), ("--yes",)):
        gone = run_cli(capsys, "infra", "down", *down)
        assert gone.exit_code == 0, f"down {down}: {gone.stderr}\n{remote_state(local_aws)}"
        assert gone.stdout.startswith(f"{STACK}: deleted\n"), gone.stdout
        assert remote_state(local_aws).stacks.get(STACK) in (None, "DELETE_COMPLETE")
        started = time.monotonic()
        up = run_cli(capsys, "infra", "up", "--yes")
        assert up.exit_code == 0, f"up after down {down}: {up.stderr}\n{remote_state(local_aws)}"
        assert time.monotonic() - started < CONVERGE_SECONDS
        assert change_sets(local_aws) == {STACK: [], ARTIFACTS: []}, str(remote_state(local_aws))
    assert run_cli(capsys, "infra", "up", "--yes").stdout == f"{STACK}: no changes\n"
