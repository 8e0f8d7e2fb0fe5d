"""The change matrix: invariant 8 (no traffic moved by phase one), one twophase.yml edit at a time.

Every case starts from the same deployed app: `infra up`, every function pushed and promoted (live
serves a real release), then pushed again with changed sources (next serves another real release,
live still the first). It records what every trigger reaches — the HTTP API integration, the SQS
event source mapping and the schedule rule's target, each resolved through its alias to versions,
weights and code — what each function answers, every alias's target and every `$LATEST` code. Then
it applies ONE edit (twophase.yml and/or the shared template) and runs `infra up --yes`. A case
passes when either

- (applied) exit 0, every trigger that still exists reaches the same code (same versions, weights
  and code hashes, the same answer when invoked), every alias that still exists has the same
  target, no version's and no `$LATEST`'s code was reverted — except where the edit's documented
  effect says otherwise (an architecture change puts the dummy on `$LATEST`, and says so); or
- (refused) a non-zero exit with one `error: refusing to deploy …` line, and nothing changed
  remotely: same state, same template, same stack status, no change set left; or
- (invalid, for an edit that breaks the config) exit 2, only `error:` lines, nothing changed.

Known bugs of the product (here: of its embedded AWS) are `xfail(strict=True)` with the reason.

With TWOPHASE_WRITE_MATRIX=PATH the module writes the matrix as a Markdown table to PATH
(docs/change-matrix.md is made that way).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import ROOT, CliResult, run_cli

APP = "shop-local"
FUNCTIONS = ("api", "worker", "nightly")
LIVE, NEXT = "live", "next"
WRITE_MATRIX = "TWOPHASE_WRITE_MATRIX"

# What each function is sent when invoked, whatever its trigger: the answer must not depend on
# the edit, only on the code the last alias serves.
HEALTH_EVENT = {
    "version": "2.0",
    "routeKey": "GET /health",
    "rawPath": "/health",
    "rawQueryString": "",
    "headers": {"accept": "application/json"},
    "requestContext": {"http": {"method": "GET", "path": "/health"}, "stage": "$default"},
    "isBase64Encoded": False,
}
ORDER_BATCH = {
    "Records": [
        {
            "messageId": "m-1",
            "body": json.dumps({"id": "o-1"}),
            "attributes": {"ApproximateReceiveCount": "1"},
            "eventSource": "aws:sqs",
        }
    ]
}
SCHEDULED = json.loads((ROOT / "tests/events/schedule.json").read_text())
EVENTS = {"api": HEALTH_EVENT, "worker": ORDER_BATCH, "nightly": SCHEDULED}

# The second release: each source edited so that its answer tells the releases apart.
SECOND_RELEASE = {
    "examples/shop/services/api/app.py": (
        'return _response(200, {"status": "ok"})',
        'return _response(200, {"status": "ok", "release": "second"})',
    ),
    "examples/shop/services/worker/index.mjs": (
        "return { processed: processed.length };",
        'return { processed: processed.length, release: "second" };',
    ),
    "examples/shop/services/nightly/report.py": (
        '"kind": "nightly-report",',
        '"kind": "nightly-report",\n        "release": "second",',
    ),
}


@pytest.fixture(scope="module", autouse=True)
def _botocore_models_read_once() -> Iterator[None]:
    """Each CLI run makes new botocore sessions, which list the model folders and parse the same
    JSON models again (about 0.2 s per client; a case makes ~25 clients). This module shares them
    between runs: botocore treats loaded models as read-only, as its own per-session cache does."""
    from botocore.loaders import JSONFileLoader, Loader

    parsed: dict[str, Any] = {}
    listed: dict[tuple[Any, ...], Any] = {}
    load_file, list_services = JSONFileLoader.load_file, Loader.list_available_services

    def load_file_once(self: JSONFileLoader, file_path: str) -> Any:
        if file_path not in parsed:
            parsed[file_path] = load_file(self, file_path)
        return parsed[file_path]

    def list_services_once(self: Loader, type_name: str) -> Any:
        key = (tuple(self.search_paths), type_name)
        if key not in listed:
            listed[key] = list_services(self, type_name)
        return listed[key]

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(JSONFileLoader, "load_file", load_file_once)
        patch.setattr(Loader, "list_available_services", list_services_once)
        yield


# --- the state read from the embedded AWS -------------------------------------------------------


@dataclass(frozen=True)
class Reach:
    """Where a trigger's target ARN leads: through an alias (or straight) to weighted versions."""

    arn: str
    via: str  # the alias, a version number, or $LATEST
    versions: tuple[tuple[str, str, float], ...]  # (version, CodeSha256, weight)

    def describe(self) -> str:
        parts = ", ".join(f"v{v}" if w == 1 else f"v{v} {w:.0%}" for v, _, w in self.versions)
        return parts if self.via.isdigit() or self.via == "$LATEST" else f"{self.via} ({parts})"


@dataclass
class State:
    stack_status: str
    stack_updated: str
    template: str
    change_sets: list[str]
    latest: dict[str, str]  # function → $LATEST CodeSha256
    versions: dict[str, dict[str, str]]  # function → version → CodeSha256
    aliases: dict[str, dict[str, tuple[str, dict[str, float]]]]  # alias → (version, weights)
    configs: dict[str, dict[str, Any]]  # function → $LATEST configuration
    triggers: dict[tuple[str, str], Reach]  # (function, kind) → reach
    routes: dict[str, list[str]]  # function → route keys
    settings: dict[tuple[str, str], Any]  # trigger → its schedule expression or batch size
    answers: dict[str, tuple[str, Any]]  # function → `twophase invoke`: (version, answer)
    heard: dict[tuple[str, str], tuple[str, Any]]  # trigger → its target invoked: (version, answer)


def _short(physical: str) -> str:
    return physical.removeprefix(f"{APP}-")


def _split_arn(arn: str) -> tuple[str, str]:
    """`arn:…:function:NAME[:QUALIFIER]` → (NAME, QUALIFIER or '')."""
    tail = arn.split(":function:", 1)[1]
    name, _, qualifier = tail.partition(":")
    return name, qualifier


class Reader:
    def __init__(self, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str], app: Path):
        clients = local_aws.clients()
        self.lam = clients.client("lambda")
        self.cfn = clients.client("cloudformation")
        self.apigw = clients.client("apigatewayv2")
        self.events = clients.client("events")
        self.capsys = capsys
        self.folder = app.parent

    def state(self) -> State:
        stack = self.cfn.describe_stacks(StackName=APP)["Stacks"][0]
        names = sorted(
            f["FunctionName"]
            for page in self.lam.get_paginator("list_functions").paginate()
            for f in page["Functions"]
            if f["FunctionName"].startswith(f"{APP}-")
        )
        latest, versions, aliases, configs = {}, {}, {}, {}
        for name in names:
            short = _short(name)
            config: dict[str, Any] = dict(self.lam.get_function_configuration(FunctionName=name))
            config.pop("ResponseMetadata", None)
            configs[short] = config
            latest[short] = config["CodeSha256"]
            versions[short] = {
                v["Version"]: v["CodeSha256"]
                for page in self.lam.get_paginator("list_versions_by_function").paginate(
                    FunctionName=name
                )
                for v in page["Versions"]
                if v["Version"] != "$LATEST"
            }
            aliases[short] = {
                a["Name"]: (
                    a["FunctionVersion"],
                    (a.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or {},
                )
                for a in self.lam.list_aliases(FunctionName=name)["Aliases"]
            }
        triggers, routes, settings = self._triggers(versions, aliases)
        # `twophase invoke` of each function (its last alias, as triggers), and each trigger's
        # target invoked with the same event (the same call when it is that alias).
        answers, calls = {}, {}
        for fn in latest:
            found = self.answer(fn)
            if found is not None:
                qualifier, answers[fn] = found
                calls[f"{APP}-{fn}:{qualifier}"] = answers[fn]

        def heard(short: str, arn: str) -> tuple[str, Any]:
            name = arn.split(":function:", 1)[1]
            return calls[name] if name in calls else self.invoke(short, arn)

        return State(
            stack_status=stack["StackStatus"],
            stack_updated=str(stack.get("LastUpdatedTime", "")),
            template=json.dumps(self.cfn.get_template(StackName=APP)["TemplateBody"]),
            change_sets=[
                s["ChangeSetName"] for s in self.cfn.list_change_sets(StackName=APP)["Summaries"]
            ],
            latest=latest,
            versions=versions,
            aliases=aliases,
            configs=configs,
            triggers=triggers,
            routes=routes,
            settings=settings,
            answers=answers,
            heard={key: heard(key[0], reach.arn) for key, reach in triggers.items()},
        )

    def invoke(self, short: str, arn: str) -> tuple[str, Any]:
        """Invoke a trigger's target as the trigger does, with a fixed event."""
        answer = self.lam.invoke(FunctionName=arn, Payload=json.dumps(EVENTS.get(short, {})))
        return answer.get("ExecutedVersion", ""), json.loads(answer["Payload"].read() or b"null")

    def _triggers(
        self, versions: dict[str, dict[str, str]], aliases: dict[str, dict[str, tuple[str, Any]]]
    ) -> tuple[dict[tuple[str, str], Reach], dict[str, list[str]], dict[tuple[str, str], Any]]:
        found: dict[tuple[str, str], Reach] = {}
        routes: dict[str, list[str]] = {}
        settings: dict[tuple[str, str], Any] = {}

        def add(kind: str, arn: str, setting: Any = None) -> None:
            short = _short(_split_arn(arn)[0])
            key = (short, kind)
            assert key not in found, f"two {kind} triggers for {short}"
            found[key] = self.resolve(arn, versions.get(short, {}), aliases.get(short, {}))
            settings[key] = setting

        for api in self.apigw.get_apis()["Items"]:
            integrations = self.apigw.get_integrations(ApiId=api["ApiId"])["Items"]
            for integration in integrations:
                add("http", integration["IntegrationUri"])
            by_id = {i["IntegrationId"]: i["IntegrationUri"] for i in integrations}
            for route in self.apigw.get_routes(ApiId=api["ApiId"])["Items"]:
                target = by_id[route["Target"].removeprefix("integrations/")]
                routes.setdefault(_short(_split_arn(target)[0]), []).append(route["RouteKey"])
        for mapping in self.lam.list_event_source_mappings()["EventSourceMappings"]:
            add("queue", mapping["FunctionArn"], mapping["BatchSize"])
        for rule in self.events.list_rules()["Rules"]:
            for target in self.events.list_targets_by_rule(Rule=rule["Name"])["Targets"]:
                add("schedule", target["Arn"], rule["ScheduleExpression"])
        return found, {k: sorted(v) for k, v in routes.items()}, settings

    @staticmethod
    def resolve(arn: str, versions: dict[str, str], aliases: dict[str, tuple[str, Any]]) -> Reach:
        _, qualifier = _split_arn(arn)
        if qualifier in aliases:
            primary, extra = aliases[qualifier]
            weights = dict(extra)
            weights[primary] = 1 - sum(weights.values())
        else:
            weights = {qualifier or "$LATEST": 1.0}
        reach = tuple(sorted((v, versions.get(v, "?"), round(w, 6)) for v, w in weights.items()))
        return Reach(arn, qualifier or "$LATEST", reach)

    def answer(self, short: str) -> tuple[str, tuple[str, Any]] | None:
        """`twophase invoke FUNCTION` with a fixed event: (qualifier, (version, answer)), or None
        when the (edited) config does not name the function or does not load."""
        event = self.folder / f"event-{short}.json"
        event.write_text(json.dumps(EVENTS.get(short, {})))
        result = run_cli(self.capsys, "--output", "json", "invoke", short, "--payload", str(event))
        if result.exit_code == 2:
            return None
        data = json.loads(result.stdout)["data"]
        return data["qualifier"], (str(data["executed_version"]), data["payload"])


# --- the edits ----------------------------------------------------------------------------------


def _yml(edit: Callable[[dict[str, Any]], None]) -> Callable[[Path], None]:
    """An edit of twophase.yml's document (comments are not kept)."""

    def apply(app: Path) -> None:
        doc = yaml.safe_load(app.read_text())
        edit(doc)
        app.write_text(yaml.safe_dump(doc, sort_keys=False))

    return apply


def _shared(edit: Callable[[str], str]) -> Callable[[Path], None]:
    """An edit of the shared template's text."""

    def apply(app: Path) -> None:
        path = app.parent / "infra/cloudformation/shared.yaml"
        before = path.read_text()
        after = edit(before)
        assert after != before, "the shared template edit matched nothing"
        path.write_text(after)

    return apply


def _set(dotted: str, value: Any) -> Callable[[Path], None]:
    def edit(doc: dict[str, Any]) -> None:
        *parents, last = dotted.split(".")
        node = doc
        for key in parents:
            node = node.setdefault(key, {})
        node[last] = value

    return _yml(edit)


def _rename_function(old: str, new: str) -> Callable[[Path], None]:
    def edit(doc: dict[str, Any]) -> None:
        doc["functions"] = {new if k == old else k: v for k, v in doc["functions"].items()}

    return _yml(edit)


def _remove_route(doc: dict[str, Any]) -> None:
    doc["functions"]["api"]["trigger"]["http"]["routes"].remove("POST /orders")


def _add_route(doc: dict[str, Any]) -> None:
    doc["functions"]["api"]["trigger"]["http"]["routes"].append("DELETE /orders/{id}")


def _add_owner(doc: dict[str, Any]) -> None:
    doc["functions"]["api"]["owners"].append("arn:aws:iam::123456789012:role/mobile-team")


def _add_policy(doc: dict[str, Any]) -> None:
    doc["functions"]["worker"]["policies"].append(
        {"Effect": "Allow", "Action": "sns:Publish", "Resource": "${OrderEventsTopic}"}
    )


def _add_env(doc: dict[str, Any]) -> None:
    doc["functions"]["api"]["environment"]["FEATURE_FLAGS"] = "checkout-v2"


def _add_function(doc: dict[str, Any]) -> None:
    doc["functions"]["audit"] = {
        "handler": "report.handler",
        "source": "examples/shop/services/nightly",
        "trigger": {"schedule": "rate(1 hour)"},
    }


def _remove_topic_and_its_uses(doc: dict[str, Any]) -> None:
    api = doc["functions"]["api"]
    del api["environment"]["EVENTS_TOPIC"]
    api["policies"] = [p for p in api["policies"] if p["Action"] != "sns:Publish"]


def _remove_topic(text: str) -> str:
    text = re.sub(r"\n  # Order events.*?order-events\"\n", "\n", text, flags=re.S)
    return re.sub(r"  OrderEventsTopicArn:.*?Ref OrderEventsTopic\n", "", text, flags=re.S)


def _both(*edits: Callable[[Path], None]) -> Callable[[Path], None]:
    def apply(app: Path) -> None:
        for edit in edits:
            edit(app)

    return apply


AUDIT_TOPIC = """
  AuditTopic:
    Type: AWS::SNS::Topic
    Properties:
      TopicName: !Sub "shop-${Stage}-audit"
"""


@dataclass(frozen=True)
class Case:
    id: str
    description: str
    edit: Callable[[Path], None]
    expect: str = "applied"  # applied | refused | invalid (a config error: exit 2)
    up_args: tuple[str, ...] = ()
    mentions: tuple[str, ...] = ()  # in the refusal / error line
    gone_triggers: frozenset[tuple[str, str]] = frozenset()
    gone_aliases: frozenset[tuple[str, str]] = frozenset()
    gone_functions: frozenset[str] = frozenset()
    new_aliases: frozenset[tuple[str, str]] = frozenset()
    dummy_latest: frozenset[str] = frozenset()  # documented: $LATEST gets the dummy back
    check: Callable[[State, State, CliResult], None] | None = None  # more, when applied
    notes: str = ""
    xfail: str = ""  # a known bug that fails this case
    see: tuple[str, ...] = ()  # known bugs (xfail reasons of other tests) this case's row cites


def _check_added_function(before: State, after: State, up: CliResult) -> None:
    assert "audit" in after.latest and "audit" not in before.latest
    reach = after.triggers[("audit", "schedule")]
    assert reach.via == LIVE
    assert [sha for _, sha, _ in reach.versions] == [after.latest["audit"]]  # the dummy
    version, answer = after.heard[("audit", "schedule")]
    assert version == "1" and answer["errorType"] == "FunctionHasNoCode", answer


def _check_prod(before: State, after: State, up: CliResult) -> None:
    for fn in FUNCTIONS:
        assert after.aliases[fn]["prod"] == before.aliases[fn][LIVE], fn
    for key, reach in after.triggers.items():
        assert reach.via == "prod", key


def _check_staging(before: State, after: State, up: CliResult) -> None:
    for fn in FUNCTIONS:
        assert after.aliases[fn]["staging"] == before.aliases[fn][LIVE], fn
    for key, reach in after.triggers.items():
        assert reach.via == before.triggers[key].via, key


def _check_routes(expected: list[str]) -> Callable[[State, State, CliResult], None]:
    def check(before: State, after: State, up: CliResult) -> None:
        assert after.routes["api"] == sorted(expected)

    return check


def _check_api_on_a_queue(before: State, after: State, up: CliResult) -> None:
    assert after.triggers[("api", "queue")].versions == before.triggers[("api", "http")].versions
    assert "api" not in after.routes


def _check_config(fn: str, key: str, value: Any) -> Callable[[State, State, CliResult], None]:
    """`$LATEST` has the new setting; `infra up` says that the aliases serve the older one."""

    def check(before: State, after: State, up: CliResult) -> None:
        found = after.configs[fn][key]
        if key == "Environment":
            found = {k: v for k, v in found["Variables"].items() if k in value}
        assert found == value, (fn, key, found)
        for alias in (NEXT, LIVE):
            assert f"{fn}  {alias} serves older " in up.stdout, up.stdout

    return check


def _check_setting(key: tuple[str, str], value: Any) -> Callable[[State, State, CliResult], None]:
    def check(before: State, after: State, up: CliResult) -> None:
        assert after.settings[key] == value, (key, after.settings[key])

    return check


def _check_architecture(*functions: str) -> Callable[[State, State, CliResult], None]:
    def check(before: State, after: State, up: CliResult) -> None:
        for fn in functions:
            assert after.configs[fn]["Architectures"] == ["x86_64"], fn
            assert after.latest[fn] == before.versions[fn]["1"], fn  # the dummy, as v1 holds it
            assert f"{fn}  $LATEST holds the dummy again" in up.stdout

    return check


def _check_new_table(before: State, after: State, up: CliResult) -> None:
    old = before.configs["nightly"]["Environment"]["Variables"]["TABLE"]
    for fn in FUNCTIONS:
        assert after.configs[fn]["Environment"]["Variables"]["TABLE"] != old, fn
    assert after.answers["nightly"][1]["table"] == old  # the serving release: the old table


ROUTES = ["GET /health", "GET /orders/{id}", "POST /orders"]

CASES = [
    Case(
        "add-function",
        "add a function `audit` with a schedule",
        _yml(_add_function),
        check=_check_added_function,
        notes="the new function starts with its dummy behind its aliases",
    ),
    Case(
        "remove-function",
        "remove `nightly`, which holds pushed code",
        _yml(lambda doc: doc["functions"].pop("nightly")),
        expect="refused",
        mentions=("nightly", "holds pushed code", "--allow-delete nightly"),
    ),
    Case(
        "remove-function-allowed",
        "remove `nightly` with `infra up --allow-delete nightly`",
        _yml(lambda doc: doc["functions"].pop("nightly")),
        up_args=("--allow-delete", "nightly"),
        gone_functions=frozenset({"nightly"}),
        gone_triggers=frozenset({("nightly", "schedule")}),
        notes="nightly, its versions and its schedule are deleted",
    ),
    Case(
        "rename-function",
        "rename `nightly` to `report`",
        _rename_function("nightly", "report"),
        expect="refused",
        mentions=("nightly", "holds pushed code"),
    ),
    Case(
        "append-alias",
        "aliases `[next, live]` → `[next, live, prod]`",
        _set("aliases", [NEXT, LIVE, "prod"]),
        new_aliases=frozenset((fn, "prod") for fn in FUNCTIONS),
        check=_check_prod,
        notes="prod starts at live's target; triggers move to prod",
    ),
    Case(
        "insert-alias",
        "aliases `[next, live]` → `[next, staging, live]`",
        _set("aliases", [NEXT, "staging", LIVE]),
        new_aliases=frozenset((fn, "staging") for fn in FUNCTIONS),
        check=_check_staging,
        notes="staging starts at live's target; triggers stay on live",
    ),
    Case(
        "remove-serving-alias",
        "aliases `[next, live]` → `[next]` while next ≠ live",
        _set("aliases", [NEXT]),
        expect="refused",
        mentions=("live", "alias promote"),
    ),
    Case(
        "remove-first-alias",
        "aliases `[next, live]` → `[live]`",
        _set("aliases", [LIVE]),
        gone_aliases=frozenset((fn, NEXT) for fn in FUNCTIONS),
        notes="next is deleted; its version stays",
    ),
    Case(
        "reorder-aliases",
        "aliases `[next, live]` → `[live, next]`",
        _set("aliases", [LIVE, NEXT]),
        expect="refused",
        mentions=("next",),
    ),
    Case(
        "add-route",
        "api: add the route `DELETE /orders/{id}`",
        _yml(_add_route),
        check=_check_routes([*ROUTES, "DELETE /orders/{id}"]),
    ),
    Case(
        "remove-route",
        "api: remove the route `POST /orders`",
        _yml(_remove_route),
        check=_check_routes([r for r in ROUTES if r != "POST /orders"]),
    ),
    Case(
        "http-to-queue",
        "api: trigger `http` → `queue`",
        _set("functions.api.trigger", {"queue": {"batch_size": 5}}),
        gone_triggers=frozenset({("api", "http")}),
        check=_check_api_on_a_queue,
        notes="the HTTP API goes; the new queue's mapping calls live",
    ),
    Case(
        "remove-trigger",
        "nightly: remove its schedule",
        _yml(lambda doc: doc["functions"]["nightly"].pop("trigger")),
        gone_triggers=frozenset({("nightly", "schedule")}),
        notes="the rule goes; nightly and its aliases stay",
    ),
    Case(
        "batch-size",
        "worker: queue `batch_size` 10 → 5",
        _set("functions.worker.trigger.queue.batch_size", 5),
        check=_check_setting(("worker", "queue"), 5),
    ),
    Case(
        "schedule",
        "nightly: schedule `cron(0 3 * * ? *)` → `rate(6 hours)`",
        _set("functions.nightly.trigger.schedule", "rate(6 hours)"),
        check=_check_setting(("nightly", "schedule"), "rate(6 hours)"),
    ),
    Case(
        "memory",
        "api: memory 512 → 1024",
        _set("functions.api.memory", 1024),
        check=_check_config("api", "MemorySize", 1024),
        notes="on `$LATEST`; aliases serve it after push + promote",
    ),
    Case(
        "timeout",
        "api: timeout 10 → 20",
        _set("functions.api.timeout", 20),
        check=_check_config("api", "Timeout", 20),
        notes="on `$LATEST`; aliases serve it after push + promote",
    ),
    Case(
        "environment",
        "api: add the environment variable `FEATURE_FLAGS`",
        _yml(_add_env),
        check=_check_config("api", "Environment", {"FEATURE_FLAGS": "checkout-v2"}),
        notes="on `$LATEST`; aliases serve it after push + promote",
    ),
    Case(
        "handler",
        "api: handler `app.handler` → `app.main`",
        _set("functions.api.handler", "app.main"),
        check=_check_config("api", "Handler", "app.main"),
        notes="on `$LATEST`; aliases serve it after push + promote",
    ),
    Case(
        "runtime",
        "api: runtime python3.12 → python3.13",
        _set("functions.api.runtime", "python3.13"),
        check=_check_config("api", "Runtime", "python3.13"),
        notes="on `$LATEST`; aliases serve it after push + promote",
    ),
    Case(
        "architecture",
        "api: architecture arm64 → x86_64",
        _set("functions.api.architecture", "x86_64"),
        dummy_latest=frozenset({"api"}),
        check=_check_architecture("api"),
        notes="`$LATEST` gets the dummy (CloudFormation re-applies Code); infra up says so",
    ),
    Case(
        "architecture-all",
        "defaults: architecture arm64 → x86_64 (every function)",
        _set("defaults.architecture", "x86_64"),
        dummy_latest=frozenset(FUNCTIONS),
        check=_check_architecture(*FUNCTIONS),
        notes="every `$LATEST` gets its dummy; infra up says so for each",
    ),
    Case(
        "owners",
        "api: add an owner role",
        _yml(_add_owner),
        notes="a deployer policy for the new owner, attached to nobody locally (owners name "
        "roles of a real account), to mobile-team on AWS",
    ),
    Case(
        "policies",
        "worker: add a policy statement",
        _yml(_add_policy),
        notes="the execution role's policy changes",
    ),
    Case(
        "shared-add-topic",
        "shared template: add an SNS topic",
        _shared(lambda t: t.replace("\nOutputs:", AUDIT_TOPIC + "\nOutputs:")),
    ),
    Case(
        "shared-table-billing",
        "shared template: the table's billing PAY_PER_REQUEST → PROVISIONED",
        _shared(
            lambda t: t.replace(
                "BillingMode: PAY_PER_REQUEST",
                "BillingMode: PROVISIONED\n      ProvisionedThroughput:"
                "\n        ReadCapacityUnits: 5\n        WriteCapacityUnits: 5",
            )
        ),
    ),
    Case(
        "shared-table-key",
        "shared template: the table's key `pk` → `order_id` (a replacement)",
        _shared(lambda t: t.replace("AttributeName: pk", "AttributeName: order_id")),
        check=_check_new_table,
        notes="a new table; `TABLE` changes on `$LATEST` only: the serving releases keep the "
        "old table (`UpdateReplacePolicy: Retain`) until push + promote",
    ),
    Case(
        "shared-remove-topic",
        "shared template: remove the topic (and its uses in twophase.yml)",
        _both(_shared(_remove_topic), _yml(_remove_topic_and_its_uses)),
    ),
    Case(
        "shared-remove-used-topic",
        "shared template: remove the topic that twophase.yml still uses",
        _shared(_remove_topic),
        expect="invalid",
        mentions=("OrderEventsTopic",),
        notes="nothing is read or changed",
    ),
]


# --- the matrix table ---------------------------------------------------------------------------


@dataclass
class Row:
    index: int
    edit: str
    outcome: str
    reach: str
    notes: str


@pytest.fixture(scope="module")
def matrix_rows(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[list[Row]]:
    """Rows of this module's cases; with TWOPHASE_WRITE_MATRIX, the table at the end. Under xdist
    each worker keeps its rows in the run's shared temporary folder, and each one, as it finishes,
    writes the table of all the rows there: the last one writes the whole table."""
    rows: list[Row] = []
    yield rows
    target = os.environ.get(WRITE_MATRIX)
    if not target:
        return
    run = tmp_path_factory.getbasetemp()
    if hasattr(request.config, "workerinput"):  # xdist: popen-gwN inside the run's folder
        run = run.parent
    folder = run / "change-matrix-rows"
    folder.mkdir(exist_ok=True)
    for row in rows:
        (folder / f"{row.index:03d}.json").write_text(json.dumps(row.__dict__))
    with _locked(folder / ".lock"):
        every = [Row(**json.loads(p.read_text())) for p in sorted(folder.glob("*.json"))]
        Path(target).write_text(_table(every))


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    with path.open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


INTRO = """# The change matrix: what `infra up` does after each twophase.yml edit

Invariant 8 of the design: after any `twophase.yml` edit and `infra up`, every trigger reaches the
same code as before, or `infra up` refused and changed nothing. The end-to-end test
`tests/e2e/test_change_matrix.py` checks it one edit at a time against the embedded local AWS and
writes this page. Each case starts from the example app (`twophase.yml.example`) deployed, every
function pushed and promoted (`live` serves v2), then pushed again with changed code (`next` serves
v3). It reads what each trigger reaches (the HTTP API integration, the SQS event source mapping,
the schedule rule's target, resolved through the alias to versions, weights and code) and what
each function answers, applies the edit, runs `infra up --yes` and reads everything again. To
keep the suite fast, the refused edits run one after another on one deployment (each changes
nothing, so each starts from the same state, its files restored), and so do the edits of unrelated
settings (batch size to billing mode in the table's order), each judged against the state the
previous one left.

- *applied*: exit 0; every trigger that still exists reaches the same code and answers the same,
  every alias that still exists keeps its target, no pushed code was reverted (an architecture
  change puts the dummy on `$LATEST` only, and `infra up` says so).
- *refused*: a non-zero exit with one `error: refusing to deploy: …` line, and nothing changed
  remotely (same stack, template and targets; no change set left).
- *invalid*: a configuration error (exit 2), reported before anything is read or changed.

"What triggers reach after" names each trigger (function and kind) and where it leads, through
its alias to versions; unless marked (new, removed, MOVED), that is the same as before the edit.
Regenerate this page with:

```
TWOPHASE_WRITE_MATRIX=docs/change-matrix.md .venv/bin/pytest -q tests/e2e/test_change_matrix.py -n 2
```

"""


def _known_bugs() -> list[str]:
    """The reasons of this module's xfail marks, in order: the matrix's footnotes."""
    reasons = [c.xfail for c in CASES if c.xfail]
    reasons += [
        mark.kwargs["reason"]
        for test in (
            test_the_queue_trigger_calls_the_serving_alias,
            test_a_replaced_table_is_retained,
        )
        for mark in getattr(test, "pytestmark", [])
        if mark.name == "xfail"
    ]
    return list(dict.fromkeys(reasons))


def _known_bug(reason: str) -> str:
    return f"[{_known_bugs().index(reason) + 1}]"


def _table(rows: list[Row]) -> str:
    lines = [
        "| edit | outcome | what triggers reach after | notes |",
        "| --- | --- | --- | --- |",
    ]
    for row in sorted(rows, key=lambda r: r.index):
        cells = [row.edit, row.outcome, row.reach, row.notes]
        lines.append("| " + " | ".join(c.replace("|", "\\|") for c in cells) + " |")
    bugs = _known_bugs()
    if bugs:
        lines += ["", "Known bugs (their cases are marked `xfail(strict=True)` until fixed):", ""]
        lines += [f"{i}. {reason}" for i, reason in enumerate(bugs, 1)]
    return INTRO + "\n".join(lines) + "\n"


def _reach_summary(before: State, after: State) -> str:
    parts = []
    for key in sorted(set(before.triggers) | set(after.triggers)):
        fn, kind = key
        old, new = before.triggers.get(key), after.triggers.get(key)
        if new is None:
            parts.append(f"{fn} {kind}: removed")
        elif old is None:
            parts.append(f"{fn} {kind} (new) → {new.describe()}")
        elif old.versions != new.versions:
            parts.append(f"{fn} {kind}: MOVED {old.describe()} → {new.describe()}")
        elif old.via != new.via:
            parts.append(f"{fn} {kind} → {new.describe()}, the same code as through {old.via}")
        else:
            parts.append(f"{fn} {kind} → {new.describe()}")
    return "; ".join(parts)


# --- the cases ----------------------------------------------------------------------------------


def deploy_two_releases(app: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """infra up; push + promote everything (live = v2); change every source and push (next = v3)."""
    for args in (("infra", "up", "--yes"), ("push", "--all")):
        result = run_cli(capsys, *args)
        assert result.exit_code == 0, result.stderr
    for fn in FUNCTIONS:
        result = run_cli(capsys, "alias", "promote", fn)
        assert result.exit_code == 0, result.stderr
    for relative, (old, new) in SECOND_RELEASE.items():
        path = app.parent / relative
        text = path.read_text()
        assert old in text, relative
        path.write_text(text.replace(old, new))
    result = run_cli(capsys, "push", "--all")
    assert result.exit_code == 0, result.stderr


# Cases that run one after another on one deployment, to keep the suite fast. A refused or
# invalid edit changes nothing remotely (each asserts it), so the next starts from the same state,
# with the files restored; applied edits of unrelated settings accumulate, each judged against
# the state the previous one left. Every other case gets a deployment of its own.
REFUSED_IN_A_ROW = (
    "remove-function",
    "rename-function",
    "remove-serving-alias",
    "reorder-aliases",
    "shared-remove-used-topic",
)
SETTINGS_IN_A_ROW = (
    "batch-size",
    "schedule",
    "memory",
    "timeout",
    "environment",
    "runtime",
    "owners",
    "policies",
    "shared-add-topic",
    "shared-table-billing",
)


def _groups() -> list[Any]:
    by_id = {case.id: case for case in CASES}
    grouped = {*REFUSED_IN_A_ROW, *SETTINGS_IN_A_ROW}
    groups = [
        pytest.param(tuple(by_id[i] for i in REFUSED_IN_A_ROW), True, id="refused-in-a-row"),
        pytest.param(tuple(by_id[i] for i in SETTINGS_IN_A_ROW), False, id="settings-in-a-row"),
    ]
    for case in CASES:
        if case.id not in grouped:
            marks = [pytest.mark.xfail(strict=True, reason=case.xfail)] if case.xfail else []
            groups.append(pytest.param((case,), False, id=case.id, marks=marks))
    return groups


def _error_lines(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if line.startswith("error:")]


@pytest.mark.parametrize(("cases", "restore"), _groups())
def test_an_edit_and_infra_up_moves_no_traffic(
    cases: tuple[Case, ...],
    restore: bool,
    app: Path,
    local_aws: LocalAwsHandle,
    capsys: pytest.CaptureFixture[str],
    matrix_rows: list[Row],
) -> None:
    deploy_two_releases(app, capsys)
    reader = Reader(local_aws, capsys, app)
    files = [app, app.parent / "infra" / "cloudformation" / "shared.yaml"]
    pristine = {path: path.read_text() for path in files}
    for case in cases:
        if restore:
            for path, text in pristine.items():
                path.write_text(text)
        _one_edit(case, reader, app, capsys, matrix_rows)


def _one_edit(
    case: Case,
    reader: Reader,
    app: Path,
    capsys: pytest.CaptureFixture[str],
    matrix_rows: list[Row],
) -> None:
    before = reader.state()
    for fn in FUNCTIONS:  # the starting point: live and next serve different real releases
        assert before.aliases[fn][LIVE][0] == "2" and before.aliases[fn][NEXT][0] == "3", fn
        assert before.answers[fn][0] == "2", (fn, before.answers[fn])

    case.edit(app)
    up = run_cli(capsys, "infra", "up", "--yes", *case.up_args)
    after = reader.state()

    outcome = _outcome(up)
    matrix_rows.append(_row(case, outcome, up, before, after))
    assert outcome.split(" ")[0] == case.expect, (case.id, up)
    errors = _error_lines(up.stderr)
    assert "Traceback" not in up.stderr
    if case.expect == "applied":
        _assert_applied(case, before, after, up)
    elif case.expect == "refused":
        assert len(errors) == 1, up.stderr  # the plan and warnings may come before it
        for text in case.mentions:
            assert text in errors[0], (text, errors[0])
        _assert_unchanged(before, after)
    else:  # a configuration error: every problem named on its own line, nothing else
        assert errors and len(errors) == len(up.stderr.splitlines()), up.stderr
        for text in case.mentions:
            assert text in errors[0], (text, errors[0])
        _assert_unchanged(before, after)


def _outcome(up: CliResult) -> str:
    errors = _error_lines(up.stderr)
    if up.exit_code == 0:
        nothing = up.stdout.strip().endswith(": no changes")
        return "applied (nothing to change)" if nothing else "applied"
    if errors and errors[0].startswith("error: refusing to deploy"):
        return "refused"
    if up.exit_code == 2:
        return "invalid"
    return f"failed (exit {up.exit_code})"


def _row(case: Case, outcome: str, up: CliResult, before: State, after: State) -> Row:
    reach = _reach_summary(before, after) if outcome == "applied" else "unchanged"
    notes = [case.notes] if case.notes else []
    errors = _error_lines(up.stderr)
    if outcome == "refused":
        reasons = errors[0].removeprefix("error: refusing to deploy: ").split("; ")
        more = f" (and {len(reasons) - 1} more like it)" if len(reasons) > 1 else ""
        notes.insert(0, f"`infra up` exits {up.exit_code}: {reasons[0]}{more}")
    elif outcome == "invalid":
        notes.insert(0, f"`infra up` exits {up.exit_code}: {errors[0].removeprefix('error: ')}")
    if case.xfail:
        notes.insert(0, f"**known bug {_known_bug(case.xfail)}**")
    notes += [f"see known bug {_known_bug(reason)}" for reason in case.see]
    return Row(CASES.index(case), case.description, outcome, reach, "; ".join(notes))


def _assert_unchanged(before: State, after: State) -> None:
    assert after.change_sets == []
    assert after.stack_status == before.stack_status
    assert after.stack_updated == before.stack_updated
    assert after.template == before.template
    # (`twophase invoke` follows the edited config's alias chain; the triggers did not move.)
    assert replace(after, answers={}) == replace(before, answers={})


def _assert_applied(case: Case, before: State, after: State, up: CliResult) -> None:
    assert after.change_sets == []
    if up.stdout.strip().endswith(": no changes"):
        assert after.stack_status == before.stack_status
        assert after.template == before.template
    else:
        assert after.stack_status == "UPDATE_COMPLETE", after.stack_status
    assert set(before.latest) - set(after.latest) == case.gone_functions
    for fn in set(before.latest) - case.gone_functions:
        _assert_code_and_aliases_kept(case, fn, before, after, up)
    if case.check is not None:
        case.check(before, after, up)
    # Last, so that a known trigger bug (xfail) does not hide the checks above.
    _assert_triggers_reach_the_same_code(case, before, after)


def _assert_triggers_reach_the_same_code(case: Case, before: State, after: State) -> None:
    # Every trigger that still exists reaches the same versions, with the same code and weights,
    # and its target, invoked, answers as before from the same version.
    assert set(before.triggers) - set(after.triggers) == case.gone_triggers
    for key in set(before.triggers) & set(after.triggers):
        old, new = before.triggers[key], after.triggers[key]
        assert new.versions == old.versions, (key, old, new)
        assert after.heard[key] == before.heard[key], key
    # A new trigger of an existing function reaches what its serving alias served before.
    for key in set(after.triggers) - set(before.triggers):
        fn = key[0]
        if fn in before.latest:
            arn = f"arn:aws:lambda:us-east-1:123456789012:function:{APP}-{fn}:{LIVE}"
            served = Reader.resolve(arn, before.versions[fn], before.aliases[fn])
            assert after.triggers[key].versions == served.versions, key


def _assert_code_and_aliases_kept(
    case: Case, fn: str, before: State, after: State, up: CliResult
) -> None:
    # Every alias that still exists has the same target; aliases come and go only as documented.
    gone = {a for f, a in case.gone_aliases if f == fn}
    new = {a for f, a in case.new_aliases if f == fn}
    assert set(before.aliases[fn]) - set(after.aliases[fn]) == gone, fn
    assert set(after.aliases[fn]) - set(before.aliases[fn]) == new, fn
    for alias in set(before.aliases[fn]) & set(after.aliases[fn]):
        assert after.aliases[fn][alias] == before.aliases[fn][alias], (fn, alias)
    # No published version's code changed; `$LATEST` keeps its code unless documented.
    assert {v: after.versions[fn].get(v) for v in before.versions[fn]} == before.versions[fn]
    if fn in case.dummy_latest:
        assert after.latest[fn] != before.latest[fn], fn
        assert f"{fn}  $LATEST holds the dummy again" in up.stdout
    else:
        assert after.latest[fn] == before.latest[fn], f"{fn}: $LATEST code reverted"
    # `twophase invoke` (the last alias) answers as before, from the same version.
    if fn in after.answers:
        assert after.answers[fn] == before.answers[fn], fn


def test_the_queue_trigger_calls_the_serving_alias(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    """The template names the alias (`FunctionName: !Ref WorkerAliasLive`); the mapping keeps it."""
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    lam = local_aws.clients().client("lambda")
    (mapping,) = lam.list_event_source_mappings()["EventSourceMappings"]
    assert mapping["FunctionArn"].endswith(f":function:{APP}-worker:{LIVE}"), mapping["FunctionArn"]


def test_a_replaced_table_is_retained(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    """The shared template's table has `UpdateReplacePolicy: Retain`: a replacement keeps the old
    table (CloudFormation user guide, "UpdateReplacePolicy attribute"), which the serving releases
    still name until they are pushed and promoted again."""
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    dynamodb = local_aws.clients().client("dynamodb")
    (old,) = dynamodb.list_tables()["TableNames"]
    _shared(lambda t: t.replace("AttributeName: pk", "AttributeName: order_id"))(app)
    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 0, up.stderr
    tables = dynamodb.list_tables()["TableNames"]
    assert len(tables) == 2 and old in tables, tables
