"""Phase two's core against the embedded AWS: push, unchanged push, conflicts between pushers.

The function, its dummy version 1 and the aliases are created directly with boto3, as phase one
would leave them. Helpers here are shared by the other `test_phase_two_core_*` modules.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from twophase.aws.session import Clients
from twophase.build.detzip import Entry, build_zip, code_sha256, hex_sha256
from twophase.build.model import Artifact
from twophase.cli.wiring import PhaseTwoWiring
from twophase.config.model import Config, Environment, Function
from twophase.errors import ConflictError, ExitStatus
from twophase.names import artifact_bucket_name
from twophase.release.context import Scope
from twophase.release.push import PushOptions, push
from twophase.release.push_apply import apply_push
from twophase.release.push_plan import plan_push
from twophase.release.release_record import ReleaseRecord
from twophase.reporter import RecordingReporter

# The artifact bucket phase one creates (its name is derived: push reads no stack to learn it).
BUCKET = artifact_bucket_name("shop", "local", "123456789012", "us-east-1")

PHYSICAL = "shop-local-api"
DUMMY_BODY = "def handler(event, context):\n    raise RuntimeError('no code pushed yet')\n"


def make_config(root: Path, functions: tuple[str, ...] = ("api",)) -> Config:
    return Config(
        app="shop",
        path=root / "twophase.yml",
        environments={"local": Environment(endpoint="local")},
        functions={name: Function(name=name, handler="app.handler") for name in functions},
    )


def make_artifact(folder: Path, body: str, *, needs_s3: bool = False) -> Artifact:
    data = build_zip([Entry("app.py", body.encode())])
    path = folder / f"{hex_sha256(data)}.zip"
    path.write_bytes(data)
    return Artifact(
        path=path,
        size=len(data),
        code_sha256=code_sha256(data),
        hexdigest=hex_sha256(data),
        kind="zip",
        image_uri=None,
        unzipped_size=len(body),
        needs_s3=needs_s3,
    )


def deploy_dummy(
    clients: Any, name: str = PHYSICAL, aliases: tuple[str, ...] = ("next", "live")
) -> str:
    """What phase one leaves behind: the dummy code as version 1, every alias on it."""
    iam = clients.client("iam")
    trust = {"Version": "2012-10-17", "Statement": []}
    try:
        role = iam.get_role(RoleName="api-role")["Role"]
    except iam.exceptions.NoSuchEntityException:
        role = iam.create_role(RoleName="api-role", AssumeRolePolicyDocument=json.dumps(trust))[
            "Role"
        ]
    lam = clients.client("lambda")
    dummy = build_zip([Entry("app.py", DUMMY_BODY.encode())])
    lam.create_function(
        FunctionName=name,
        Runtime="python3.12",
        Role=role["Arn"],
        Handler="app.handler",
        Code={"ZipFile": dummy},
        Publish=True,
    )
    for alias in aliases:
        lam.create_alias(FunctionName=name, Name=alias, FunctionVersion="1")
    return code_sha256(dummy)


@dataclass
class CallLog:
    """Every AWS API call made through the watched clients: (service, operation, params)."""

    calls: list[tuple[str, str, dict[str, Any]]]

    def names(self) -> list[str]:
        return [f"{service}:{op}" for service, op, _ in self.calls]


def record_calls(ctx_clients: Any, services: tuple[str, ...]) -> CallLog:
    log = CallLog([])
    lock = threading.Lock()

    def on_call(model: Any, params: dict[str, Any], **_: Any) -> None:
        with lock:
            log.calls.append((model.service_model.service_name, model.name, params))

    for service in services:
        # Fires once per API call, with the call's own (CamelCase) parameters.
        ctx_clients.client(service).meta.events.register("before-parameter-build", on_call)
    paced = ctx_clients.client("lambda", paced=True)  # push's own Lambda client
    paced.meta.events.register("before-parameter-build", on_call)
    return log


SERVICES = ("lambda", "s3", "sts", "cloudwatch", "cloudformation", "codedeploy")


@dataclass
class World:
    aws: LocalAwsHandle
    clients: Any
    ctx: PhaseTwoWiring
    reporter: RecordingReporter
    dummy_sha: str
    tmp: Path
    log: CallLog

    def lam(self) -> Any:
        return self.clients.client("lambda")


@pytest.fixture(scope="session")
def shared_session(local_aws_server: LocalAwsHandle) -> Any:
    """One boto3 session for every test: creating one costs a second (it loads the models)."""
    return local_aws_server.clients().session


def clients_on(local_aws: LocalAwsHandle, session: Any) -> Clients:
    """Fresh clients (their own events, so recording stays separate) on the shared session."""
    return Clients(local_aws.clients().target, _session=session)


@pytest.fixture
def world(local_aws: LocalAwsHandle, shared_session: Any, tmp_path: Path) -> Iterator[World]:
    setup = clients_on(local_aws, shared_session)
    dummy_sha = deploy_dummy(setup)
    clients = clients_on(local_aws, shared_session)
    reporter = RecordingReporter()
    fixed = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    ctx = PhaseTwoWiring(
        make_config(tmp_path),
        "local",
        clients,
        reporter=reporter,
        sleep=lambda _: None,
        now=lambda: fixed,
        dummies=lambda: {"api": dummy_sha},  # what phase one records in the template
    )
    log = record_calls(clients, SERVICES)
    yield World(local_aws, setup, ctx, reporter, dummy_sha, tmp_path, log)


def test_push_publishes_version_2_and_moves_next(world: World) -> None:
    artifact = make_artifact(world.tmp, "def handler(e, c):\n    return 'v2'\n")

    plan = plan_push(world.ctx.push(), "api", artifact)
    result = apply_push(world.ctx.push(), plan)

    assert (result.version, result.alias, result.unchanged) == ("2", "next", False)
    assert result.previous_version == "1"
    lam = world.lam()
    assert lam.get_alias(FunctionName=PHYSICAL, Name="next")["FunctionVersion"] == "2"
    assert lam.get_alias(FunctionName=PHYSICAL, Name="live")["FunctionVersion"] == "1"
    v2 = lam.get_function_configuration(FunctionName=PHYSICAL, Qualifier="2")
    assert v2["CodeSha256"] == artifact.code_sha256
    record = ReleaseRecord.decode(v2["Description"])
    assert record is not None
    assert (record.previous, record.at) == ("1", "2026-01-02T03:04:05Z")
    assert artifact.hexdigest.startswith(record.artifact)
    assert record.by is not None and record.by.startswith("arn:aws:")
    assert result.api_calls == len(world.log.calls)
    writes = [n for n in world.log.names() if not n.split(":")[1].startswith(("Get", "List"))]
    assert writes == ["lambda:UpdateFunctionCode", "lambda:PublishVersion", "lambda:UpdateAlias"]


def test_a_push_onto_a_split_alias_sends_all_of_its_traffic_to_the_code(world: World) -> None:
    artifact = make_artifact(world.tmp, "def handler(e, c):\n    return 'v2'\n")
    apply_push(world.ctx.push(), plan_push(world.ctx.push(), "api", artifact))
    lam = world.lam()
    lam.update_alias(
        FunctionName=PHYSICAL,
        Name="next",
        FunctionVersion="2",
        RoutingConfig={"AdditionalVersionWeights": {"1": 0.5}},
    )

    result = apply_push(world.ctx.push(), plan_push(world.ctx.push(), "api", artifact))

    alias = lam.get_alias(FunctionName=PHYSICAL, Name="next")
    assert (result.version, alias["FunctionVersion"]) == ("2", "2")
    assert not alias.get("RoutingConfig", {}).get("AdditionalVersionWeights")


def test_second_push_of_the_same_code_is_unchanged_in_two_calls(world: World) -> None:
    artifact = make_artifact(world.tmp, "def handler(e, c):\n    return 'v2'\n")
    apply_push(world.ctx.push(), plan_push(world.ctx.push(), "api", artifact))
    world.log.calls.clear()

    plan = plan_push(world.ctx.push(), "api", artifact)
    result = apply_push(world.ctx.push(), plan)

    assert result.unchanged and result.version == "2"
    assert plan.describe() == [
        "shop-local-api: unchanged, next already serves this code and configuration as v2"
    ]
    assert len(world.log.calls) <= 2 and result.api_calls == len(world.log.calls)
    assert all(op.startswith("Get") for _, op, _ in world.log.calls)


def test_large_artifact_goes_through_the_bucket_once(world: World) -> None:
    s3 = world.clients.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    cfn_template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"ArtifactBucket": {"Value": BUCKET}},
    }
    world.clients.client("cloudformation").create_stack(
        StackName="shop-local", TemplateBody=json.dumps(cfn_template)
    )
    artifact = make_artifact(world.tmp, "def handler(e, c):\n    return 'big'\n", needs_s3=True)

    plan = plan_push(world.ctx.push(), "api", artifact)
    key = f"shop/local/api/{artifact.hexdigest}.zip"
    assert [type(s).__name__ for s in plan.steps] == [
        "Upload",
        "UpdateCode",
        "Publish",
        "MoveAlias",
    ]
    apply_push(world.ctx.push(), plan)
    assert s3.head_object(Bucket=BUCKET, Key=key)["ContentLength"] == artifact.size

    # The same bytes again, after somebody else's push: no second upload.
    other = make_artifact(world.tmp, "def handler(e, c):\n    return 'other'\n")
    apply_push(world.ctx.push(), plan_push(world.ctx.push(), "api", other))
    again = plan_push(world.ctx.push(), "api", artifact)
    assert [type(s).__name__ for s in again.steps] == ["UpdateCode", "Publish", "MoveAlias"]


def test_push_many_reports_each_function(world: World, local_aws: LocalAwsHandle) -> None:
    world.ctx.scope = Scope(make_config(world.tmp, ("api", "missing")), "local")
    artifact = make_artifact(world.tmp, "def handler(e, c):\n    return 3\n")

    report = push(world.ctx.push(), PushOptions(all=True), lambda name: artifact)

    by_name = {o.function: o for o in report.outcomes}
    assert by_name["api"].result is not None and by_name["api"].result.version == "2"
    assert by_name["missing"].error is not None
    assert "run `twophase infra up -e ENV` first" in str(by_name["missing"].error)
    assert report.exit_status == ExitStatus.FAILED


def test_dry_run_changes_nothing(world: World) -> None:
    artifact = make_artifact(world.tmp, "def handler(e, c):\n    return 4\n")
    report = push(
        world.ctx.push(), PushOptions(functions=("api",), dry_run=True), lambda name: artifact
    )
    (outcome,) = report.outcomes
    assert outcome.plan is not None and outcome.result is None
    assert len(outcome.plan.describe()) == 3
    assert world.lam().get_alias(FunctionName=PHYSICAL, Name="next")["FunctionVersion"] == "1"


def test_eight_concurrent_pushers_never_publish_each_others_code(world: World) -> None:
    artifacts = [
        make_artifact(world.tmp, f"def handler(e, c):\n    return {i}\n") for i in range(8)
    ]
    barrier = threading.Barrier(8)
    outcomes: dict[int, Any] = {}

    def pusher(i: int) -> None:
        plan = plan_push(world.ctx.push(), "api", artifacts[i])
        barrier.wait()
        try:
            outcomes[i] = apply_push(world.ctx.push(), plan)
        except ConflictError as exc:
            outcomes[i] = exc

    threads = [threading.Thread(target=pusher, args=(i,)) for i in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    lam = world.lam()
    versions = lam.list_versions_by_function(FunctionName=PHYSICAL)["Versions"]
    published = {
        v["Version"]: v["CodeSha256"] for v in versions if v["Version"] not in ("$LATEST", "1")
    }
    winners = {i: r for i, r in outcomes.items() if not isinstance(r, ConflictError)}
    losers = [r for r in outcomes.values() if isinstance(r, ConflictError)]
    assert len(winners) == 1 and len(losers) == 7
    for i, result in winners.items():
        assert published[result.version] == artifacts[i].code_sha256
    shas = {a.code_sha256 for a in artifacts}
    assert set(published.values()) <= shas
    alias_version = lam.get_alias(FunctionName=PHYSICAL, Name="next")["FunctionVersion"]
    assert alias_version in {r.version for r in winners.values()}
    assert all(exc.exit_status == ExitStatus.CONFLICT for exc in losers)
