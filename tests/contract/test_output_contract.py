"""`--output json` is a contract: per command, the exact keys and types of `data`, its schema
name, and the envelope around it (the error envelope included).

Each case builds the use case's real result, renders it through `twophase.cli.output` and compares
the document with the declared shape below. A key removed, renamed or retyped fails here; a new
command without a case fails `test_every_command_that_prints_json_has_a_case`.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import click
import pytest

from tests.unit.cli_parse import all_commands
from twophase.aws.logs import LogEvent
from twophase.build.model import Artifact
from twophase.cli import output, shapes, shapes_alias
from twophase.cli.output import Shape
from twophase.cli.terminal import Terminal
from twophase.config.scaffold import FoundFunction, InitPlan
from twophase.errors import ConflictError, ExitStatus, TwophaseError
from twophase.infra.apply import ServedConfiguration, UpResult
from twophase.infra.down import DownResult
from twophase.infra.environments import EnvironmentInfo, EnvPruneResult, Found
from twophase.infra.plan import InfraPlan, PlannedChange, Risk
from twophase.local.lifecycle import LocalStatus
from twophase.release.access import PushRight
from twophase.release.invoke import InvokeOutcome
from twophase.release.promote import DeploymentReport, PromoteResult
from twophase.release.prune import (
    DeleteVersion,
    KeepReason,
    Kept,
    PruneOutcome,
    PrunePlan,
    PruneReport,
    PruneResult,
    Skipped,
)
from twophase.release.push import PushOutcome, PushReport
from twophase.release.push_apply import PushResult
from twophase.release.push_plan import Publish, PushPlan
from twophase.release.releases import AliasPointer, Release, ReleasesResult
from twophase.release.rollback import RollbackResult
from twophase.release.status import AliasStatus, FunctionStatus, StatusResult

OPTIONAL = type(None)
SCHEMA_NAME = re.compile(r"^twophase\.[a-z]+(\.[a-z-]+)*/[1-9][0-9]*$")
ENVELOPE = {
    "version": int,
    "schema": str,
    "command": str,
    "status": str,
    "exit_code": int,
    "data": object,
    "errors": list,
}
# Printed as documents of their own, never enveloped on success: a CloudFormation template, the
# JSON schema of twophase.yml.
OWN_DOCUMENTS = {"infra render", "schema"}

# --- results, as the use cases return them ---

ARTIFACT = Artifact(
    path=Path("/cache/api.zip"),
    size=1024,
    code_sha256="c2hhMjU2",
    hexdigest="abc123",
    kind="zip",
    image_uri=None,
    unzipped_size=2048,
    needs_s3=False,
)
PUSH_RESULT = PushResult(
    function="api",
    physical="shop-dev-api",
    version="7",
    alias="next",
    code_sha256="c2hhMjU2",
    size=1024,
    seconds=0.4,
    unchanged=False,
    api_calls=5,
    previous_version="6",
    hexdigest="abc123",
    settings_changed=("memory",),
)
PUSH_PLAN = PushPlan(
    function="worker",
    physical="shop-dev-worker",
    alias="next",
    artifact=ARTIFACT,
    steps=(Publish("shop-dev-worker", "c2hhMjU2"),),
    latest_revision="r1",
    reads=2,
)
RELEASE = Release(
    version="7",
    code_sha256="c2hhMjU2",
    by="arn:aws:iam::123456789012:user/alice",
    at="2024-05-01T12:00:00Z",
    commit="0123456789abcdef",
    dirty=False,
    previous="6",
    aliases=(AliasPointer("next", 1.0), AliasPointer("live", 0.1)),
)
FUNCTION_STATUS = FunctionStatus(
    function="api",
    physical="shop-dev-api",
    code="real",
    latest_sha256="c2hhMjU2",
    aliases=(AliasStatus("live", "6", {"7": 0.1}, False, ("memory",)),),
    last_release=RELEASE,
)
KEPT = (Kept("1", KeepReason.DUMMY), Kept("6", KeepReason.SERVED, "live"))
PRUNE_PLAN = PrunePlan(
    "api", "shop-dev-api", 3, (DeleteVersion("shop-dev-api", "2", "c2hhMjU2"),), KEPT
)
PRUNE_RESULT = PruneResult("api", "shop-dev-api", ("2",), (Skipped("3", "taken by next"),), KEPT)
INFRA_PLAN = InfraPlan(
    app="shop",
    env="dev",
    stack="shop-dev",
    bucket="shop-dev-artifacts",
    template_body="{}",
    parameters={},
    stack_exists=True,
    changes=(
        PlannedChange("Remove", "ApiFunction", "AWS::Lambda::Function", False, ("Properties",)),
        PlannedChange(
            "Modify",
            "Table",
            "AWS::DynamoDB::Table",
            True,
            ("KeySchema",),
            danger="replaces a data resource",
            risk=Risk.DATA,
        ),
    ),
    refusals=("ApiFunction holds pushed code",),
    held_mappings=("worker",),
)
UP_RESULT = UpResult(
    stack="shop-dev",
    status="UPDATE_COMPLETE",
    changed=True,
    outputs={"ApiEndpoint": "https://example.test"},
    changes=2,
    behind=(ServedConfiguration("api", (("live", ("memory", "environment")),), True),),
)
LOCAL = LocalStatus(
    endpoint="http://127.0.0.1:4566",
    pid=4242,
    port=4566,
    started_at=1_700_000_000.0,
    iam_enforcement=False,
    state_file=Path("/home/u/.cache/twophase/local.json"),
)
EVENT = LogEvent("e1", 1_700_000_000_000, "2024/05/01/[$LATEST]abc", "START RequestId: 1\n")
INVOKED = InvokeOutcome("api", "live", "6", None, {"statusCode": 200}, "REPORT RequestId: 1")

# --- the declared shapes ---

PUSH_RESULT_KEYS = {
    "function": str,
    "physical": str,
    "version": str,
    "alias": str,
    "code_sha256": str,
    "size": int,
    "seconds": float,
    "unchanged": bool,
    "api_calls": int,
    "previous_version": (str, OPTIONAL),
    "hexdigest": str,
    "code_changed": bool,
    "settings_changed": [str],
}
RELEASE_KEYS = {
    "version": str,
    "code_sha256": str,
    "by": (str, OPTIONAL),
    "at": str,
    "commit": (str, OPTIONAL),
    "dirty": (bool, OPTIONAL),
    "previous": (str, OPTIONAL),
    "aliases": [{"alias": str, "weight": float}],
    "dummy": bool,
}
KEPT_KEYS = [{"version": str, "reason": str, "alias": (str, OPTIONAL)}]
LOCAL_KEYS = {
    "endpoint": str,
    "pid": int,
    "started_at": float,
    "uptime_seconds": float,
    "iam_enforcement": bool,
}
ERROR_KEYS = {"error": str, "exit_code": int}
PROMOTE_KEYS: dict[str, Any] = {
    "function": str,
    "alias": str,
    "version": str,
    "previous_version": str,
    "percents": [int],
    "seconds": float,
    "unchanged": bool,
}
DEPLOYED = DeploymentReport(
    deployment_id="d-ABCDEFGHI",
    config="CodeDeployDefault.LambdaCanary10Percent5Minutes",
    schedule="10% first, the rest after 5 minutes",
    status="Stopped",
    attached=True,
    percent=10.0,
    seconds_left=None,
    alarms=(("shop-dev-api-errors", "ALARM"), ("api-latency", None)),
    reason="alarm shop-dev-api-errors in ALARM",
    rolled_back=True,
    rollback_deployment_id="d-JKLMNOPQR",
)
FAILED = ConflictError("shop-dev-api moved under you")

# command -> (the shape of a representative result, its schema, the declared data)
CREATED = datetime(2026, 5, 1, 9, 0, tzinfo=UTC)

CASES: dict[str, tuple[Shape, str, Any]] = {
    "push": (
        shapes.push(
            PushReport(
                (
                    PushOutcome("api", result=PUSH_RESULT, pruned=("3",)),
                    PushOutcome("worker", plan=PUSH_PLAN),
                    PushOutcome("nightly", error=FAILED),
                )
            )
        ),
        "twophase.push/1",
        (
            {"function": str, "result": PUSH_RESULT_KEYS, "pruned": [str]},
            {"function": str, "plan": [str]},
            {"function": str} | ERROR_KEYS,
        ),
    ),
    "alias promote": (
        shapes.promote(PromoteResult("api", "live", "7", "6", (100,), 0.3)),
        "twophase.alias.promote/1",
        PROMOTE_KEYS | {"deployment": None},
    ),
    "alias promote (on CodeDeploy)": (
        shapes.promote(PromoteResult("api", "live", "7", "6", (10, 100), 300.0, False, DEPLOYED)),
        "twophase.alias.promote/1",
        PROMOTE_KEYS
        | {
            "deployment": {
                "id": str,
                "config": str,
                "schedule": str,
                "status": str,
                "attached": bool,
                "percent": float,
                "seconds_left": (float, OPTIONAL),
                "alarms": [{"name": str, "state": (str, OPTIONAL)}],
                "reason": (str, OPTIONAL),
                "rolled_back": bool,
                "rollback_deployment_id": (str, OPTIONAL),
            }
        },
    ),
    "alias promote --dry-run": (
        shapes.promote_dry_run(["point live at v7"]),
        "twophase.alias.promote.dry-run/1",
        {"dry_run": bool, "steps": [str]},
    ),
    "alias rollback": (
        shapes.rollback(RollbackResult("api", "live", "7", "6", 0.2)),
        "twophase.alias.rollback/1",
        {"function": str, "alias": str, "from_version": str, "to_version": str, "seconds": float},
    ),
    "alias rollback --dry-run": (
        shapes.rollback_dry_run(["point live at v6"]),
        "twophase.alias.rollback.dry-run/1",
        {"dry_run": bool, "steps": [str]},
    ),
    "releases": (
        shapes.releases(ReleasesResult("api", "shop-dev-api", (RELEASE,))),
        "twophase.releases/1",
        {"function": str, "physical": str, "releases": [RELEASE_KEYS]},
    ),
    "status": (
        shapes.status(StatusResult((FUNCTION_STATUS,))),
        "twophase.status/1",
        {
            "functions": [
                {
                    "function": str,
                    "physical": str,
                    "code": str,
                    "latest_sha256": (str, OPTIONAL),
                    "unpublished": bool,
                    "aliases": [
                        {
                            "alias": str,
                            "version": str,
                            "weights": {"7": float},
                            "dummy": (bool, OPTIONAL),
                            "older_settings": [str],
                        }
                    ],
                    "last_release": RELEASE_KEYS,
                    "error": (str, OPTIONAL),
                    "latest_dummy": bool,
                }
            ]
        },
    ),
    "prune": (
        shapes.prune(
            PruneReport(
                (
                    PruneOutcome("api", plan=PRUNE_PLAN, result=PRUNE_RESULT),
                    PruneOutcome("worker", error=FAILED),
                )
            ),
            dry_run=False,
        ),
        "twophase.prune/1",
        (
            {
                "function": str,
                "physical": str,
                "keep": int,
                "kept": KEPT_KEYS,
                "deleted": [str],
                "skipped": [{"version": str, "note": str}],
            },
            {"function": str} | ERROR_KEYS,
        ),
    ),
    "prune --dry-run": (
        shapes.prune(PruneReport((PruneOutcome("api", plan=PRUNE_PLAN),)), dry_run=True),
        "twophase.prune/1",
        (
            {
                "function": str,
                "physical": str,
                "keep": int,
                "kept": KEPT_KEYS,
                "would_delete": [str],
            },
        ),
    ),
    "invoke": (
        shapes.invoke(INVOKED),
        "twophase.invoke/1",
        {
            "function": str,
            "qualifier": str,
            "executed_version": str,
            "function_error": (str, OPTIONAL),
            "payload": object,  # what the function answered, as it answered it
            "log_tail": str,
        },
    ),
    "logs": (
        shapes.logs("/aws/lambda/shop-dev-api", [EVENT]),
        "twophase.logs/1",
        {
            "log_group": str,
            "events": [{"event_id": str, "timestamp_ms": int, "stream": str, "message": str}],
        },
    ),
    "logs -f": (
        shapes.log_event(EVENT),
        "twophase.logs.event/1",
        {"event_id": str, "timestamp_ms": int, "stream": str, "message": str},
    ),
    "infra plan": (
        shapes.infra_plan(INFRA_PLAN),
        "twophase.infra.plan/1",
        {
            "stack": str,
            "exists": bool,
            "changes": [
                {
                    "action": str,
                    "logical_id": str,
                    "resource_type": str,
                    "replacement": bool,
                    "details": [str],
                    "danger": str,
                    "function": str,
                    "risk": (str, OPTIONAL),
                    "fix": str,
                }
            ],
            "refusals": [str],
            "held_mappings": [str],
        },
    ),
    "infra up": (
        shapes.infra_up(UP_RESULT, UP_RESULT.outputs),
        "twophase.infra.up/1",
        {
            "stack": str,
            "status": str,
            "changed": bool,
            "outputs": {"ApiEndpoint": str},
            "behind": [{"function": str, "aliases": {"live": [str]}, "latest_dummy": bool}],
        },
    ),
    "infra down": (
        shapes.infra_down(DownResult("shop-dev", True, "shop-dev-artifacts")),
        "twophase.infra.down/1",
        {"stack": str, "deleted": bool, "purged_bucket": str},
    ),
    "env list": (
        shapes.env_list(
            Found(
                (
                    EnvironmentInfo("dev", "declared", None, "shop-dev", CREATED, 90_000, None),
                    EnvironmentInfo(
                        "pr-1",
                        "preview",
                        "dev",
                        "shop-pr-1",
                        CREATED,
                        90_000,
                        86_400,
                        "2026-05-02T10:00:00Z",
                        "arn:aws:iam::123456789012:user/alice",
                    ),
                )
            )
        ),
        "twophase.env.list/1",
        {
            "environments": [
                {
                    "name": str,
                    "kind": str,
                    "base": (str, OPTIONAL),
                    "stack": str,
                    "created": str,
                    "age_seconds": int,
                    "ttl_seconds": (int, OPTIONAL),
                    "expires": (str, OPTIONAL),
                    "expired": bool,
                    "last_push": (str, OPTIONAL),
                    "pushed_by": (str, OPTIONAL),
                }
            ]
        },
    ),
    "env prune": (
        shapes.env_prune(EnvPruneResult(False, ("pr-1",), ("pr-2",))),
        "twophase.env.prune/1",
        {"dry_run": bool, "pruned": [str], "kept": [str]},
    ),
    "build": (
        shapes.build("api", ARTIFACT, "dist/api.zip"),
        "twophase.build/1",
        {
            "function": str,
            "path": (str, OPTIONAL),
            "kind": str,
            "size": int,
            "code_sha256": str,
            "image_uri": (str, OPTIONAL),
        },
    ),
    "policy": (
        shapes.policy("api", "shop-dev-api-deployer", {"Version": "2012-10-17"}),
        "twophase.policy/1",
        {"function": str, "policy_name": str, "document": {"Version": str}},
    ),
    "whoami": (
        shapes.whoami(
            "arn:aws:iam::123456789012:user/alice",
            "123456789012",
            "eu-west-1",
            [PushRight("api", "shop-dev-api", "yes", "simulated")],
        ),
        "twophase.whoami/1",
        {
            "caller": str,
            "account": str,
            "region": str,
            "functions": [{"function": str, "physical": str, "may_push": str, "how": str}],
        },
    ),
    "init": (
        shapes.init(
            InitPlan(
                Path("twophase.yml"),
                "shop",
                (FoundFunction("api", "services/api", "python", "app.handler"),),
                "app: shop\n",
                ("services/odd: no handler",),
            )
        ),
        "twophase.init/1",
        {
            "path": str,
            "app": str,
            "functions": [
                {"name": str, "source": str, "family": str, "handler": str, "runtime": str}
            ],
            "skipped": [str],
        },
    ),
    "local start": (shapes.local_start(LOCAL), "twophase.local.start/1", LOCAL_KEYS),
    "local status": (shapes.local_status(LOCAL), "twophase.local.status/1", LOCAL_KEYS),
    "local status (none runs)": (shapes.local_status(None), "twophase.local.status/1", None),
    "local stop": (shapes.local_stop(True), "twophase.local.stop/1", {"stopped": bool}),
}


def conforms(value: Any, spec: Any, where: str = "data") -> None:
    """`value` has exactly the keys of a dict spec, one item per spec of a tuple, every item of a
    list per `[spec]`, and otherwise the type(s) named (a bool is not an int)."""
    if isinstance(spec, dict):
        assert isinstance(value, dict), where
        assert set(value) == set(spec), (where, sorted(value), sorted(spec))
        for key, sub in spec.items():
            conforms(value[key], sub, f"{where}.{key}")
    elif isinstance(spec, list):
        assert isinstance(value, list) and value, where  # the cases fill every list
        for i, item in enumerate(value):
            conforms(item, spec[0], f"{where}[{i}]")
    elif isinstance(spec, tuple) and all(not isinstance(s, type) for s in spec):
        assert isinstance(value, list) and len(value) == len(spec), where
        for i, (item, sub) in enumerate(zip(value, spec, strict=True)):
            conforms(item, sub, f"{where}[{i}]")
    elif spec is None:
        assert value is None, where
    else:
        types = spec if isinstance(spec, tuple) else (spec,)
        assert isinstance(value, types), (where, value, types)
        assert not (isinstance(value, bool) and bool not in types and object not in types), where


def rendered(capsys: pytest.CaptureFixture[str], shape: Shape | None, **kw: Any) -> dict[str, Any]:
    output.envelope(Terminal(output="json"), "some command", shape, **kw)
    doc: dict[str, Any] = json.loads(capsys.readouterr().out)
    return doc


@pytest.mark.parametrize("case", sorted(CASES))
def test_the_json_of_each_command_is_its_declared_shape(
    case: str, capsys: pytest.CaptureFixture[str]
) -> None:
    shape, schema, declared = CASES[case]
    doc = rendered(capsys, shape)

    conforms(doc, ENVELOPE, "envelope")
    assert (doc["schema"], doc["status"], doc["exit_code"]) == (schema, "ok", 0)
    conforms(doc["data"], declared)


def test_a_stream_line_carries_its_schema(capsys: pytest.CaptureFixture[str]) -> None:
    output.json_line(Terminal(output="json"), shapes.log_event(EVENT))
    line = json.loads(capsys.readouterr().out)
    assert line.pop("schema") == "twophase.logs.event/1"
    conforms(line, CASES["logs -f"][2])


def _command(case: str) -> str:
    """ "alias promote --dry-run" → "alias promote"."""
    return case.split(" -")[0].split(" (")[0]


def test_schema_names_follow_the_convention() -> None:
    """`twophase.<the command's words, dotted>[.<variant>]/<version>`."""
    for case, (shape, schema, _) in CASES.items():
        assert shape.schema == schema and SCHEMA_NAME.match(schema), case
        assert re.match(rf"twophase\.{_command(case).replace(' ', '.')}[./]", schema), case
    assert SCHEMA_NAME.match(output.ERROR_SCHEMA)


def test_every_command_that_prints_json_has_a_case() -> None:
    commands = {path for path, command in all_commands() if not isinstance(command, click.Group)}
    assert commands - OWN_DOCUMENTS == {_command(case) for case in CASES}


# --- internal fields do not reach the output ---


def grown(cls: type[Any], result: Any) -> Any:
    """`result` as an instance of `cls`, its subclass with one field more."""
    return cls(**{f.name: getattr(result, f.name) for f in dataclasses.fields(result)})


@dataclasses.dataclass(frozen=True)
class GrownPushResult(PushResult):
    internal_note: str = "a field added inside twophase"


@dataclasses.dataclass(frozen=True)
class GrownPromoteResult(PromoteResult):
    attempts: int = 3


@dataclasses.dataclass(frozen=True)
class GrownRelease(Release):
    cached: bool = True


@dataclasses.dataclass(frozen=True)
class GrownDown(DownResult):
    waited_seconds: float = 12.5


GROWN: list[tuple[Callable[[], Shape], Callable[[], Shape]]] = [
    (
        lambda: shapes.push(PushReport((PushOutcome("api", result=PUSH_RESULT),))),
        lambda: shapes.push(
            PushReport((PushOutcome("api", result=grown(GrownPushResult, PUSH_RESULT)),))
        ),
    ),
    (
        lambda: shapes.promote(PromoteResult("api", "live", "7", "6")),
        lambda: shapes.promote(GrownPromoteResult("api", "live", "7", "6")),
    ),
    (
        lambda: shapes.releases(ReleasesResult("api", "shop-dev-api", (RELEASE,))),
        lambda: shapes.releases(
            ReleasesResult(
                "api",
                "shop-dev-api",
                (grown(GrownRelease, RELEASE),),
            )
        ),
    ),
    (
        lambda: shapes.infra_down(DownResult("shop-dev", True)),
        lambda: shapes.infra_down(GrownDown("shop-dev", True)),
    ),
]


@pytest.mark.parametrize("pair", GROWN, ids=["push", "alias promote", "releases", "infra down"])
def test_a_field_added_to_a_result_changes_no_json(
    pair: tuple[Callable[[], Shape], Callable[[], Shape]],
) -> None:
    declared, grown = pair
    assert json.dumps(grown().data, sort_keys=True) == json.dumps(declared().data, sort_keys=True)


def test_the_shapes_copy_no_object_wholesale() -> None:
    """The mapping is written key by key: no `asdict`, `vars` or `__dict__` in it."""
    for module in (shapes, shapes_alias):
        source = Path(module.__file__ or "").read_text()
        assert not re.search(r"\basdict\(|\bvars\(|__dict__", source), module.__name__


def test_an_enum_is_shown_by_its_value_not_its_python_name() -> None:
    (_, dangerous) = shapes.infra_plan(INFRA_PLAN).data["changes"]
    assert dangerous["risk"] == "data"


# --- the envelope and its failures ---


def test_a_failure_without_a_result_is_the_error_envelope(
    capsys: pytest.CaptureFixture[str],
) -> None:
    terminal = Terminal(output="json")
    output.fail(terminal, "alias promote", ExitStatus.CONFLICT, ["moved under you"])
    captured = capsys.readouterr()

    doc = json.loads(captured.out)
    conforms(doc, ENVELOPE, "envelope")
    assert doc == {
        "version": 1,
        "schema": "twophase.error/1",
        "command": "alias promote",
        "status": "error",
        "exit_code": 4,
        "data": None,
        "errors": ["moved under you"],
    }
    assert captured.err == "error: moved under you\n"


def test_a_failure_after_the_commands_envelope_adds_none(
    capsys: pytest.CaptureFixture[str],
) -> None:
    terminal = Terminal(output="json")
    report = PushReport((PushOutcome("api", error=FAILED),))
    errors = [f"api: {FAILED}"]
    output.show(terminal, "push", shapes.push(report), lambda: None, exit_code=4, errors=errors)
    output.fail(terminal, "push", ExitStatus.CONFLICT, [str(FAILED)])
    captured = capsys.readouterr()

    doc = json.loads(captured.out)  # one document: the push's, with its error inside
    assert (doc["schema"], doc["status"], doc["errors"]) == ("twophase.push/1", "error", errors)
    assert captured.err == f"error: {FAILED}\n"


def test_human_output_prints_no_json(capsys: pytest.CaptureFixture[str]) -> None:
    said: list[str] = []
    output.show(Terminal(), "push", CASES["push"][0], lambda: said.append("human"))
    assert said == ["human"] and capsys.readouterr().out == ""


def test_without_json_a_failure_is_only_said(capsys: pytest.CaptureFixture[str]) -> None:
    output.fail(Terminal(), "push", ExitStatus.FAILED, ["one", "two"])
    output.fail(None, "twophase", ExitStatus.FAILED, ["three"])
    captured = capsys.readouterr()
    assert (captured.out, captured.err) == ("", "error: one\nerror: two\nerror: three\n")


def test_data_that_is_not_json_fails_loudly(capsys: pytest.CaptureFixture[str]) -> None:
    """No `default=str` fallback: a Path or an enum left in a shape fails its contract test
    instead of printing whatever its `str` is."""
    with pytest.raises(TypeError):
        rendered(capsys, Shape("twophase.x/1", {"path": Path("a")}))


def test_an_error_in_a_list_result_keeps_its_exit_code() -> None:
    error = TwophaseError("no")
    (data,) = shapes.push(PushReport((PushOutcome("api", error=error),))).data
    assert data == {"function": "api", "error": "no", "exit_code": 1}
