"""Rendering phase one's template: golden file, determinism, cfn-lint, wiring, ownership."""

from __future__ import annotations

import copy
import dataclasses
import json
import os
from pathlib import Path
from typing import Any

import pytest

from twophase.config.load import load_config
from twophase.config.model import Config
from twophase.errors import ConfigError
from twophase.infra.render import DummyCode, dump_template, parameter_values, render_template
from twophase.names import (
    codedeploy_role_id,
    codedeploy_role_policy_id,
    ids_for,
    owner_policy_id,
    owner_policy_output,
)

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "twophase.yml.example"
GOLDEN = REPO / "tests" / "golden" / "shop-local.json"
BUCKET = "shop-artifacts-123456789012"


def dummies(config: Config) -> dict[str, DummyCode]:
    return {
        name: DummyCode(BUCKET, f"dummies/{name}/{name}.zip", f"sha-of-{name}=")
        for name in config.functions
    }


@pytest.fixture(scope="module")
def example() -> Config:
    return load_config(EXAMPLE)


def render(config: Config, env: str = "local", **kwargs: Any) -> dict[str, Any]:
    return render_template(config, env, dummies=dummies(config), artifact_bucket=BUCKET, **kwargs)


def test_golden_example(example: Config) -> None:
    text = dump_template(render(example))
    if os.environ.get("UPDATE_GOLDEN"):
        GOLDEN.write_text(text)
    assert text == GOLDEN.read_text(), "run with UPDATE_GOLDEN=1 and review the diff"


def test_render_twice_gives_identical_bytes() -> None:
    first = dump_template(render(load_config(EXAMPLE)))
    second = dump_template(render(load_config(EXAMPLE)))
    assert first == second
    assert first.encode() == second.encode()


def test_dump_does_not_depend_on_dict_order() -> None:
    assert dump_template({"b": 1, "a": {"d": 2, "c": 3}}) == dump_template(
        {"a": {"c": 3, "d": 2}, "b": 1}
    )


def test_cfn_lint_reports_no_errors_or_warnings(example: Config) -> None:
    from cfnlint.api import ManualArgs, lint

    text = dump_template(render(example, "prod"))
    matches = lint(text, config=ManualArgs(regions=["eu-west-1"]))
    assert [f"{m.rule.id} {m.message}" for m in matches] == []


def _generated_ids(example: Config) -> tuple[set[str], set[str]]:
    """The example's generated resource and output ids, spelled out per trigger kind."""
    resources: set[str] = set()
    outputs = {"ArtifactBucket"}
    for name in example.functions:
        ids = ids_for(name)
        resources |= {ids.role, ids.log_group, ids.function, ids.version}
        resources |= {ids.deployment_group, ids.errors_alarm}  # gradual promotion
        resources |= {ids.alias(alias) for alias in example.aliases}
        outputs |= {ids.out_function_name, ids.out_function_arn, ids.out_aliases}
    for team in ("web-team", "fulfilment-team"):  # the owners: one deployer policy each
        resources.add(owner_policy_id("role", team, 1))
        outputs.add(owner_policy_output("role", team, 1))
    api, worker, nightly = ids_for("api"), ids_for("worker"), ids_for("nightly")
    resources |= {api.http_api, api.http_integration, api.http_stage, api.http_permission}
    resources |= {api.http_errors_alarm, "CodeDeployApplication"}
    for owners in ((("role", "web-team"),), (("role", "fulfilment-team"),), ()):  # one per set
        resources |= {codedeploy_role_id(owners), codedeploy_role_policy_id(owners, 1)}
    resources |= {"ApiRouteGetHealth", "ApiRouteGetOrdersId", "ApiRoutePostOrders"}
    resources |= {worker.queue, worker.dead_letter_queue, worker.event_source_mapping}
    resources |= {nightly.schedule, nightly.schedule_permission}
    outputs |= {api.out_api_endpoint, worker.out_queue_url}
    return resources, outputs


def test_every_function_gets_its_resources(example: Config) -> None:
    template = render(example)
    resources, outputs = _generated_ids(example)
    assert set(example.functions) == {"api", "worker", "nightly"}
    shared = example.shared_template()
    assert set(template["Resources"]) == resources | set(shared["Resources"])
    assert set(template["Outputs"]) == outputs | set(shared["Outputs"])


def test_function_properties(example: Config) -> None:
    props = render(example, "dev")["Resources"]["ApiFunction"]["Properties"]
    assert props["FunctionName"] == "shop-dev-api"
    assert props["Code"] == {"S3Bucket": BUCKET, "S3Key": "dummies/api/api.zip"}
    assert props["Runtime"] == "python3.12"
    assert props["Handler"] == "app.handler"
    assert props["Architectures"] == ["arm64"]
    assert props["MemorySize"] == 512
    assert props["Timeout"] == 10
    assert props["Environment"]["Variables"] == {
        "TABLE": {"Ref": "OrdersTable"},
        "EVENTS_TOPIC": {"Ref": "OrderEventsTopic"},
        "TWOPHASE_FUNCTION": "api",
    }
    assert props["LoggingConfig"] == {"LogGroup": {"Ref": "ApiLogGroup"}}


def test_log_group_and_aliases(example: Config) -> None:
    resources = render(example, "dev")["Resources"]
    log_group = resources["WorkerLogGroup"]["Properties"]
    assert log_group == {"LogGroupName": "/aws/lambda/shop-dev-worker", "RetentionInDays": 14}
    for alias in ("next", "live"):
        props = resources[f"WorkerAlias{alias.capitalize()}"]["Properties"]
        assert props["Name"] == alias
        assert props["FunctionVersion"] == {"Fn::GetAtt": ["WorkerVersion", "Version"]}


def test_triggers_call_the_last_alias(example: Config) -> None:
    resources = render(example)["Resources"]
    live = {"Ref": "ApiAliasLive"}
    assert resources["ApiHttpIntegration"]["Properties"]["IntegrationUri"] == live
    assert resources["ApiHttpPermission"]["Properties"]["FunctionName"] == live
    assert resources["ApiHttpPermission"]["Properties"]["Principal"] == "apigateway.amazonaws.com"
    mapping = resources["WorkerEventSourceMapping"]["Properties"]
    assert mapping["FunctionName"] == {"Ref": "WorkerAliasLive"}
    assert mapping["EventSourceArn"] == {"Fn::GetAtt": ["WorkerQueue", "Arn"]}
    assert resources["NightlySchedule"]["Properties"]["Targets"][0]["Arn"] == {
        "Ref": "NightlyAliasLive"
    }
    assert resources["NightlySchedulePermission"]["Properties"]["SourceArn"] == {
        "Fn::GetAtt": ["NightlySchedule", "Arn"]
    }


def test_http_routes(example: Config) -> None:
    resources = render(example)["Resources"]
    routes = sorted(
        r["Properties"]["RouteKey"]
        for r in resources.values()
        if r["Type"] == "AWS::ApiGatewayV2::Route"
    )
    assert routes == ["GET /health", "GET /orders/{id}", "POST /orders"]
    integration = resources["ApiHttpIntegration"]["Properties"]
    assert integration["PayloadFormatVersion"] == "2.0"
    assert resources["ApiHttpStage"]["Properties"]["AutoDeploy"] is True


def test_generated_queue_has_dlq_and_visibility(example: Config) -> None:
    queue = render(example)["Resources"]["WorkerQueue"]["Properties"]
    assert queue["VisibilityTimeout"] == 6 * 30
    assert queue["RedrivePolicy"] == {
        "deadLetterTargetArn": {"Fn::GetAtt": ["WorkerDeadLetterQueue", "Arn"]},
        "maxReceiveCount": 5,
    }


def test_execution_role_is_least_privilege(example: Config) -> None:
    policies = render(example)["Resources"]["WorkerRole"]["Properties"]["Policies"]
    by_name = {p["PolicyName"]: p["PolicyDocument"]["Statement"] for p in policies}
    assert by_name["logs"] == [
        {
            "Effect": "Allow",
            "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
            "Resource": {"Fn::GetAtt": ["WorkerLogGroup", "Arn"]},
        }
    ]
    assert by_name["trigger"] == [
        {
            "Effect": "Allow",
            "Action": [
                "sqs:ReceiveMessage",
                "sqs:DeleteMessage",
                "sqs:GetQueueAttributes",
                "sqs:ChangeMessageVisibility",
            ],
            "Resource": {"Fn::GetAtt": ["WorkerQueue", "Arn"]},
        }
    ]
    assert by_name["declared"] == [
        {
            "Effect": "Allow",
            "Action": "dynamodb:UpdateItem",
            "Resource": {"Fn::GetAtt": ["OrdersTable", "Arn"]},
        }
    ]
    api_policies = render(example)["Resources"]["ApiRole"]["Properties"]["Policies"]
    assert [p["PolicyName"] for p in api_policies] == ["logs", "declared"]


def test_outputs_and_metadata(example: Config) -> None:
    template = render(example)
    outputs = template["Outputs"]
    assert outputs["ArtifactBucket"]["Value"] == BUCKET
    assert outputs["ApiFunctionName"]["Value"] == {"Ref": "ApiFunction"}
    assert outputs["ApiFunctionArn"]["Value"] == {"Fn::GetAtt": ["ApiFunction", "Arn"]}
    assert outputs["ApiAliases"]["Value"] == "next,live"
    assert outputs["ApiApiEndpoint"]["Value"] == {
        "Fn::Sub": "https://${ApiHttpApi}.execute-api.${AWS::Region}.${AWS::URLSuffix}"
    }
    assert outputs["OrdersTableName"]["Value"] == {"Ref": "OrdersTable"}  # the shared one
    meta = template["Metadata"]["Twophase"]
    assert meta["Functions"]["api"]["DummyCodeSha256"] == "sha-of-api="
    assert meta["Environment"] == "local"


def test_shared_template_is_merged(example: Config) -> None:
    template = render(example)
    assert template["Conditions"] == {"IsProd": {"Fn::Equals": [{"Ref": "Stage"}, "prod"]}}
    table = template["Resources"]["OrdersTable"]
    assert table["DeletionPolicy"] == "Retain"
    assert "Stage" in template["Parameters"]
    assert parameter_values(example, "prod") == {"Stage": "prod"}


def test_mixed_reference_becomes_sub(tmp_path: Path) -> None:
    config = _small(tmp_path, "    environment: {URL: 'https://${OrdersTable}.${AWS::Region}'}\n")
    variables = render(config, "dev")["Resources"]["ApiFunction"]["Properties"]["Environment"]
    assert variables["Variables"]["URL"] == {"Fn::Sub": "https://${OrdersTable}.${AWS::Region}"}


def test_unknown_environment_is_an_error(example: Config) -> None:
    with pytest.raises(ConfigError, match="unknown environment 'staging'"):
        render(example, "staging")


def test_render_refuses_a_collision_the_loader_did_not_see(tmp_path: Path) -> None:
    # Rendering is where collisions are found, so a shared template changed after loading still
    # cannot overwrite a generated resource.
    config = _small(tmp_path, "")
    config.shared_template()["Resources"]["ApiRole"] = {"Type": "AWS::SNS::Topic"}
    with pytest.raises(ConfigError, match="generates 'ApiRole'"):
        render(config, "dev")


# --- collisions: every id rendered is checked against the shared template ----------------------


@pytest.mark.parametrize(
    ("section", "logical_id", "expected"),
    [
        (
            "Resources",
            owner_policy_id("role", "web-team", 1),
            f"functions.api.owners: generates '{owner_policy_id('role', 'web-team', 1)}', which "
            "is also a resource of shared.yaml; rename the one in shared.yaml",
        ),
        (
            "Resources",
            "ApiFunction",
            "functions.api: generates 'ApiFunction', which is also a resource of shared.yaml",
        ),
        (
            "Parameters",
            "ApiRole",
            "functions.api: generates 'ApiRole', which is also a parameter of shared.yaml",
        ),
        (
            "Outputs",
            owner_policy_output("role", "web-team", 1),
            "functions.api.owners: generates the output "
            f"'{owner_policy_output('role', 'web-team', 1)}', which is also an output of "
            "shared.yaml",
        ),
        (
            "Outputs",
            "ApiFunctionArn",
            "functions.api: generates the output 'ApiFunctionArn', which is also an output of "
            "shared.yaml",
        ),
        (
            "Outputs",
            "ArtifactBucket",
            "shared.yaml: the output 'ArtifactBucket' is a name twophase generates; rename it",
        ),
        (
            "Metadata",
            "Twophase",
            "shared.yaml: the metadata key 'Twophase' is a name twophase generates; rename it",
        ),
    ],
)
def test_a_shared_id_twophase_generates_is_refused_in_one_line(
    tmp_path: Path, section: str, logical_id: str, expected: str
) -> None:
    body = {
        "Resources": {"Type": "AWS::SNS::Topic"},
        "Parameters": {"Type": "String", "Default": "x"},
    }
    owned = "    owners: [web-team]\n"  # api's deployer policy is its owner's
    config = _small(tmp_path, owned, extra_shared={section: {logical_id: body.get(section, {})}})
    with pytest.raises(ConfigError) as caught:
        render(config, "dev")
    message = str(caught.value)
    assert message.startswith(expected if expected.startswith("shared") else f"{config.path}: ")
    assert expected in message
    assert "\n" not in message and caught.value.hint is None


def test_every_id_the_render_adds_is_checked(example: Config) -> None:
    # Derived from what is rendered, not from a list: put each generated id into the shared
    # template and the render must refuse it, naming it.
    shared = example.shared_template()
    template = render(example)
    generated = [
        (section, logical_id)
        for section in ("Resources", "Outputs", "Metadata")
        for logical_id in template[section]
        if logical_id not in (shared.get(section) or {})
    ]
    assert ("Resources", owner_policy_id("role", "fulfilment-team", 1)) in generated
    assert ("Outputs", "ArtifactBucket") in generated and ("Metadata", "Twophase") in generated
    for section, logical_id in generated:
        clashing = copy.deepcopy(shared)
        clashing.setdefault(section, {})[logical_id] = {"Type": "AWS::SNS::Topic", "Value": "x"}
        with pytest.raises(ConfigError, match=f"{logical_id!r}(, which is also| is a name)"):
            render(dataclasses.replace(example, shared=clashing))


def test_two_functions_generating_one_id_are_refused(tmp_path: Path) -> None:
    queue = "    trigger: {queue: {}}\n"
    other = "  api-dead-letter:\n    handler: app.handler\n    source: src\n" + queue
    config = _small(tmp_path, queue + other)
    with pytest.raises(ConfigError) as caught:
        render(config, "dev")
    assert str(caught.value) == (
        f"{config.path}: functions.api-dead-letter: generates 'ApiDeadLetterQueue', which "
        "functions.api also generates; rename one of them"
    )


# --- the ownership contract -------------------------------------------------------------------


def _deployed_after_push(config: Config) -> dict[str, Any]:
    """What GetTemplate returns after phase one ran, plus what phase two made of it."""
    deployed = json.loads(dump_template(render(config, "dev")))
    for name in config.functions:
        stem = name.capitalize()
        resources = deployed["Resources"]
        resources[f"{stem}Function"]["Properties"]["Code"] = {
            "S3Bucket": "old-bucket",
            "S3Key": f"dummies/{name}/old.zip",
        }
        resources[f"{stem}Version"]["Properties"]["Description"] = "an older dummy"
        resources[f"{stem}AliasLive"]["Properties"]["FunctionVersion"] = "3"
        resources[f"{stem}AliasLive"]["Properties"]["RoutingConfig"] = {
            "AdditionalVersionWeights": [{"FunctionVersion": "4", "FunctionWeight": 0.1}]
        }
        deployed["Metadata"]["Twophase"]["Functions"][name]["DummyCodeSha256"] = "old-sha="
    return deployed


def _phase_two_properties(template: dict[str, Any], config: Config) -> dict[str, Any]:
    out: dict[str, Any] = {}
    resources = template["Resources"]
    for name in config.functions:
        stem = name.capitalize()
        out[f"{name}.code"] = resources[f"{stem}Function"]["Properties"]["Code"]
        out[f"{name}.version"] = resources[f"{stem}Version"]["Properties"]
        for alias in ("Next", "Live"):
            props = resources[f"{stem}Alias{alias}"]["Properties"]
            out[f"{name}.{alias}.version"] = props["FunctionVersion"]
            out[f"{name}.{alias}.routing"] = props.get("RoutingConfig")
    return out


def test_phase_one_changes_never_touch_code_versions_or_alias_targets(tmp_path: Path) -> None:
    original = load_config(EXAMPLE)
    deployed = _deployed_after_push(original)
    changed = _example_with(
        tmp_path,
        {
            "memory: 512": "memory: 1024",
            "timeout: 60": "timeout: 120",
            'TABLE: "${OrdersTable}"': 'TABLE: "${OrdersTable.Arn}"',
            "batch_size: 10, max_receive_count: 5": "batch_size: 5, max_receive_count: 2",
            '"cron(0 3 * * ? *)"': '"rate(2 hours)"',
        },
    )
    template = render(changed, "dev", deployed=copy.deepcopy(deployed))
    assert _phase_two_properties(template, changed) == _phase_two_properties(deployed, changed)
    # ...while the phase-one changes do land.
    resources = template["Resources"]
    assert resources["ApiFunction"]["Properties"]["MemorySize"] == 1024
    assert resources["NightlyFunction"]["Properties"]["Timeout"] == 120
    assert resources["WorkerEventSourceMapping"]["Properties"]["BatchSize"] == 5
    assert resources["NightlySchedule"]["Properties"]["ScheduleExpression"] == "rate(2 hours)"
    assert template["Metadata"]["Twophase"]["Functions"]["api"]["DummyCodeSha256"] == "old-sha="


def test_new_function_and_new_alias_get_the_dummy(tmp_path: Path) -> None:
    deployed = _deployed_after_push(load_config(EXAMPLE))
    del deployed["Resources"]["NightlyFunction"]
    changed = _example_with(tmp_path, {"aliases: [next, live]": "aliases: [next, canary, live]"})
    resources = render(changed, "dev", deployed=deployed)["Resources"]
    assert (
        resources["NightlyFunction"]["Properties"]["Code"]["S3Key"] == "dummies/nightly/nightly.zip"
    )
    assert resources["ApiFunction"]["Properties"]["Code"]["S3Key"] == "dummies/api/old.zip"
    canary = resources["ApiAliasCanary"]["Properties"]
    assert canary["FunctionVersion"] == {"Fn::GetAtt": ["ApiVersion", "Version"]}
    assert resources["ApiAliasLive"]["Properties"]["FunctionVersion"] == "3"


def test_alias_without_routing_in_deployed_drops_it(example: Config) -> None:
    deployed = _deployed_after_push(example)
    del deployed["Resources"]["ApiAliasLive"]["Properties"]["RoutingConfig"]
    live = render(example, "dev", deployed=deployed)["Resources"]["ApiAliasLive"]["Properties"]
    assert "RoutingConfig" not in live
    assert live["FunctionVersion"] == "3"


# --- helpers ----------------------------------------------------------------------------------


def _example_with(tmp_path: Path, replacements: dict[str, str]) -> Config:
    text = EXAMPLE.read_text()
    for old, new in replacements.items():
        assert old in text, old
        text = text.replace(old, new)
    # Absolute paths, so the copy finds the example's template and sources.
    text = text.replace("template: infra/", f"template: {REPO}/infra/")
    text = text.replace("source: examples/", f"source: {REPO}/examples/")
    path = tmp_path / "twophase.yml"
    path.write_text(text)
    return load_config(path)


def _small(tmp_path: Path, extra: str, extra_shared: dict[str, Any] | None = None) -> Config:
    (tmp_path / "src").mkdir(exist_ok=True)
    shared: dict[str, Any] = {"Resources": {"OrdersTable": {"Type": "AWS::DynamoDB::Table"}}}
    for section, items in (extra_shared or {}).items():
        shared.setdefault(section, {}).update(items)
    (tmp_path / "shared.yaml").write_text(json.dumps(shared))
    (tmp_path / "twophase.yml").write_text(
        "app: shop\ntemplate: shared.yaml\nenvironments: {dev: {region: eu-west-1}}\n"
        "functions:\n  api:\n    handler: app.handler\n    source: src\n" + extra
    )
    return load_config(tmp_path / "twophase.yml")
