"""Every limit AWS holds a deploy to, checked on the rendered template: a matrix, one row per limit.

Each row renders (offline, no AWS) a config just at the limit, which passes, and one just past
it, which is refused with one line naming the function, owner or stack and the fix. The expected
sizes are measured here as AWS measures them (compact JSON, bytes or characters), not by asking
the module under test.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from twophase import names
from twophase.config.load import load_config
from twophase.config.model import Config, HttpTrigger, Trigger
from twophase.errors import ConfigError, ExitStatus
from twophase.infra.deployer_packing import owner_policies
from twophase.infra.limits import violations
from twophase.infra.owners import owner as owner_of
from twophase.infra.render import DummyCode, render_template
from twophase.infra.render.template import render_layout

EXAMPLE = Path(__file__).resolve().parents[2] / "twophase.yml.example"
BUCKET = "shop-artifacts-123456789012"
WEB_TEAM = "arn:aws:iam::123456789012:role/web-team"


@pytest.fixture(scope="module")
def example() -> Config:
    return load_config(EXAMPLE)


def render(config: Config, env: str = "prod") -> dict[str, Any]:
    dummies = {n: DummyCode(BUCKET, f"dummies/{n}.zip", "sha=") for n in config.functions}
    return render_template(config, env, dummies=dummies, artifact_bucket=BUCKET)


def refusal(config: Config, env: str = "prod") -> tuple[str, ...]:
    """The lines of the one error rendering refuses `config` with."""
    with pytest.raises(ConfigError) as caught:
        render(config, env)
    assert caught.value.exit_status == ExitStatus.USAGE
    return caught.value.lines()


def compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def with_shared(config: Config, **sections: dict[str, Any]) -> Config:
    shared = copy.deepcopy(config.shared_template())
    for section, items in sections.items():
        shared[section] = {**shared.get(section, {}), **items}
    return dataclasses.replace(config, shared=shared)


def with_function(config: Config, name: str, **changes: Any) -> Config:
    fn = dataclasses.replace(config.function(name), **changes)
    return dataclasses.replace(config, functions={**config.functions, name: fn})


def owned_by(config: Config, owners: list[str]) -> Config:
    """The example's functions plus one small function per entry of `owners`, owned by it."""
    base = dataclasses.replace(config.function("nightly"), trigger=None)
    extra = {f"job{i:03d}": (owner,) for i, owner in enumerate(owners)}
    functions = {n: dataclasses.replace(base, name=n, owners=o) for n, o in extra.items()}
    return dataclasses.replace(config, functions={**config.functions, **functions})


# --- CloudFormation: counts per template, and the template's size --------------------------------

PADS: dict[str, Any] = {
    "Resources": {"Type": "AWS::SNS::Topic"},
    "Outputs": {"Value": "x"},
    "Parameters": {"Type": "String", "Default": "x"},
    "Mappings": {"Key": {"Name": "x"}},
}


def root_of(config: Config, env: str = "prod") -> dict[str, Any]:
    """The template of the app's root stack (the whole one while the app fits one stack)."""
    dummies = {n: DummyCode(BUCKET, f"dummies/{n}.zip", "sha=") for n in config.functions}
    return render_layout(config, env, dummies=dummies, artifact_bucket=BUCKET).root


def sent_root(config: Config) -> bytes:
    """The root template's bytes as sent (a split app's are compact JSON)."""
    dummies = {n: DummyCode(BUCKET, f"dummies/{n}.zip", "sha=") for n in config.functions}
    layout = render_layout(config, "prod", dummies=dummies, artifact_bucket=BUCKET)
    return layout.root_text.encode()


@pytest.mark.parametrize(
    ("section", "limit"),
    [("Resources", 500), ("Outputs", 200), ("Parameters", 200), ("Mappings", 200)],
)
@pytest.mark.parametrize("past", [0, 1])
def test_a_section_past_its_count_is_refused(
    example: Config, section: str, limit: int, past: int
) -> None:
    """Functions move to nested stacks as the app grows, so the count that can break is the root
    template's: the shared template plus what twophase keeps in the root."""
    probe = limit - 15  # past what one stack takes: the functions are nested
    pads = {f"Pad{i:04d}": PADS[section] for i in range(probe)}
    counted = len(root_of(with_shared(example, **{section: pads})).get(section, {}))
    pads = {f"Pad{i:04d}": PADS[section] for i in range(probe + limit - counted + past)}
    config = with_shared(example, **{section: pads})
    if not past:
        assert len(root_of(config)[section]) == limit
        return
    [line] = refusal(config)
    assert line.startswith(f"stack shop-prod: {limit + 1} {section.lower()} in ")
    assert f"over CloudFormation's {limit}" in line
    assert "two apps" in line


@pytest.mark.parametrize("past", [0, 1])
def test_a_template_over_one_megabyte_is_refused(example: Config, past: int) -> None:
    """Measured on the root template, where the shared template's content stays."""
    probe = 950_000  # past what one stack takes: the functions are nested
    size = len(sent_root(with_shared(example, Metadata={"Pad": "x" * probe})))
    config = with_shared(example, Metadata={"Pad": "x" * (probe + 1_000_000 - size + past)})
    if not past:
        assert len(sent_root(config)) == 1_000_000
        return
    [line] = refusal(config)
    assert line.startswith("stack shop-prod: the template takes 1,000,001 bytes")
    assert "over CloudFormation's 1,000,000" in line


# --- Lambda: environment variables, resource-based policy ----------------------------------------


@pytest.mark.parametrize(
    ("char", "past"),
    [("y", 0), ("y", 1), ("\u00e9", 0), ("\u00e9", 1)],  # é: two bytes, one character
)
def test_environment_variables_over_4_kb_as_json_are_refused(
    example: Config, char: str, past: int
) -> None:
    base = len(compact({"BIG": "", "TWOPHASE_FUNCTION": "api"}).encode())
    room = 4096 - base + past
    value = char * (room // len(char.encode())) + "y" * (room % len(char.encode()))
    config = with_function(example, "api", environment={"BIG": value})
    if not past:
        render(config)
        return
    [line] = refusal(config)
    assert line.startswith("function api: environment variables take 4,097 bytes as JSON")
    assert "over Lambda's 4,096" in line
    assert "SSM Parameter Store" in line


def test_environment_values_another_resource_gives_count_as_nothing(example: Config) -> None:
    """A table's name is unknown before deploying: only what is certainly too big is refused."""
    base = len(compact({"BIG": "", "TABLE": "", "TWOPHASE_FUNCTION": "api"}).encode())
    env = {"BIG": "y" * (4096 - base), "TABLE": "${OrdersTable}"}
    render(with_function(example, "api", environment=env))


def permission(source_arn: str, target: str) -> dict[str, Any]:
    return {
        "Type": "AWS::Lambda::Permission",
        "Properties": {
            "Action": "lambda:InvokeFunction",
            "FunctionName": {"Ref": target},
            "Principal": "events.amazonaws.com",
            "SourceArn": source_arn,
        },
    }


@pytest.mark.parametrize(
    ("on_alias", "on_function", "refused"),
    [(4, 0, False), (5, 0, True), (3, 2, False)],  # a function and its alias: two policies
)
def test_a_resource_policy_over_20_kb_is_refused(
    example: Config, on_alias: int, on_function: int, refused: bool
) -> None:
    """Each permission is one statement of about 4,000 bytes plus up to a few hundred more (its
    id, principal, action, ARN): five on one qualifier are past 20,480, four are not."""
    template = render(example)
    arn = "arn:aws:events:eu-west-1:123456789012:rule/" + "r" * 3956
    for i in range(on_alias):
        template["Resources"][f"Extra{i}"] = permission(arn, "ApiAliasLive")
    for i in range(on_function):
        template["Resources"][f"Other{i}"] = permission(arn, "ApiFunction")
    lines = violations(example, "prod", template)
    if not refused:
        assert lines == []
        return
    [line] = lines
    assert line.startswith("function api (alias live): its resource-based policy would take")
    assert "(6 permissions), over Lambda's 20,480" in line  # the HTTP API's own, and five


# --- IAM: managed policy size, managed policies per owner ----------------------------------------

ROOM = 6144 - len(
    compact({"Statement": [{"Action": "s3:GetObject", "Effect": "Allow", "Resource": ""}]})
)


def shared_policy(resource: Any) -> dict[str, Any]:
    document = {"Statement": [{"Action": "s3:GetObject", "Effect": "Allow", "Resource": resource}]}
    return {"Type": "AWS::IAM::ManagedPolicy", "Properties": {"PolicyDocument": document}}


@pytest.mark.parametrize(
    ("resource", "past"),
    [
        ("a" * ROOM, 0),
        ("a" * (ROOM + 1), 1),
        # white space IAM does not count: the same document as indented JSON text
        ("indented", 0),
        # pseudo parameters at their longest: aws-us-gov, us-isof-south-1, 12 digits
        ({"Fn::Sub": "${AWS::Partition}" + "a" * (ROOM - 10)}, 0),
        ({"Fn::Sub": "${AWS::Partition}" + "a" * (ROOM - 9)}, 1),
        ({"Fn::Sub": "${AWS::Region}" + "a" * (ROOM - 15)}, 0),
        ({"Fn::Sub": "${AWS::Region}" + "a" * (ROOM - 14)}, 1),
        ({"Fn::Sub": "${AWS::AccountId}" + "a" * (ROOM - 12)}, 0),
        ({"Fn::Sub": "${AWS::AccountId}" + "a" * (ROOM - 11)}, 1),
    ],
)
def test_a_managed_policy_over_6144_characters_is_refused(
    example: Config, resource: Any, past: int
) -> None:
    policy = shared_policy("a" * ROOM if resource == "indented" else resource)
    if resource == "indented":
        document = policy["Properties"]["PolicyDocument"]
        policy["Properties"]["PolicyDocument"] = json.dumps(document, indent=8)
    config = with_shared(example, Resources={"TeamPolicy": policy})
    if not past:
        render(config)
        return
    [line] = refusal(config)
    assert line.startswith(
        "managed policy TeamPolicy of the shared template takes 6,145 characters"
    )
    assert "over IAM's 6,144 per managed policy: split it into two" in line


def test_a_deployer_policy_too_long_names_its_owner_and_function(example: Config) -> None:
    """A deployer policy takes as many functions as fit: only one function too long alone could
    make one too long (here: forced)."""
    template = render(example)
    policy = names.owner_policy_id("role", "web-team", 1)
    document = template["Resources"][policy]["Properties"]["PolicyDocument"]
    document["Statement"].append(
        {"Effect": "Allow", "Action": "s3:GetObject", "Resource": "a" * 4000}
    )
    [line] = violations(example, "prod", template)
    assert line.startswith("owner role web-team: its deployer policy 1 (api) takes")
    assert "shorten the app, environment or function name" in line


def test_deployer_policies_of_the_longest_names_fit(example: Config) -> None:
    """Function names are at most 64 characters: every deployer policy fits, whatever the
    partition and region."""
    name = "f" * (64 - len("shop-prod-"))
    fn = dataclasses.replace(example.function("api"), name=name)
    render(dataclasses.replace(example, functions={**example.functions, name: fn}))


def capacity(example: Config, owner: str, policies: int) -> int:
    """How many `owned_by` functions `owner` can own in `policies` deployer policies, besides
    the example's own (each policy's size and packing: test_deployer_packing)."""
    who = owner_of(owner)
    packed = owner_policies(owned_by(example, [owner] * 300), "prod")
    theirs = sum(who in {owner_of(o) for o in fn.owners} for fn in example.functions.values())
    return sum(len(p.functions) for p in packed if p.owner == who and p.number <= policies) - theirs


@pytest.mark.parametrize(
    ("owner", "policies", "refused", "quota_note"),
    [
        (WEB_TEAM, 10, None, False),
        (WEB_TEAM, 11, "owner role web-team", True),
        # the same role however it is spelled: ARN, name, the session of an assumed role
        ("web-team", 11, "owner role web-team", True),
        ("arn:aws:sts::1:assumed-role/web-team/s", 11, "owner role web-team", True),
        ("arn:aws:iam::1:user/ci", 10, None, False),
        ("arn:aws:iam::1:user/ci", 21, "owner user ci", False),  # past even a raised quota
        ("arn:aws:iam::1:group/devs", 11, "owner group devs", False),  # a group's is not raised
    ],
)
def test_an_owner_needing_more_than_10_deployer_policies_is_refused(
    example: Config, owner: str, policies: int, refused: str | None, quota_note: bool
) -> None:
    """Each policy holds as many functions as fit; an owner holding more than IAM's 10 cannot
    deploy. The first function past 10 full policies needs an eleventh."""
    full = capacity(example, owner, policies - (refused is not None))
    config = owned_by(example, [owner] * (full + (refused is not None)))
    if refused is None:
        render(config)
        return
    lines = refusal(config)
    [line] = [line for line in lines if line.startswith(refused)]
    owned = full + 1 + (owner_of(owner) == owner_of(WEB_TEAM))  # the example's api
    assert line.startswith(f"{refused}: its {owned} functions in shop-prod (")
    assert f"need {policies} deployer policies of at most 6,144 characters" in line
    assert "over IAM's 10 managed policies per" in line
    assert "policies the account attaches already" in line
    assert "give some of these functions another owner" in line
    name = refused.rsplit(" ", 1)[1]
    assert f"add to it what `twophase policy --owner {name} -e prod` prints" in line
    assert ("quota to 20" in line) is quota_note


def test_owners_count_in_the_local_environment_too(example: Config) -> None:
    """Locally no policy is attached, but the same config could not deploy to an account."""
    config = owned_by(example, [WEB_TEAM] * capacity(example, WEB_TEAM, 10) + [WEB_TEAM])
    lines = refusal(config, "local")
    assert [line for line in lines if line.startswith("owner role web-team: its ")]
    assert any("in shop-local (" in line for line in lines)


def test_an_identity_center_owner_is_not_counted(example: Config) -> None:
    """It takes no attachment: its permission set takes the documents instead."""
    sso = "arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_abc"
    render(owned_by(example, [sso] * capacity(example, sso, 11)))


# --- API Gateway: routes per HTTP API ------------------------------------------------------------


@pytest.mark.parametrize("past", [0, 1])
def test_more_than_300_routes_on_one_api_are_refused(example: Config, past: int) -> None:
    routes = tuple(f"GET /r{i}" for i in range(300 + past))
    config = with_function(example, "api", trigger=Trigger(http=HttpTrigger(routes=routes)))
    if not past:
        render(config)
        return
    [line] = refusal(config)
    assert line.startswith("function api: 301 routes on one HTTP API")
    assert "over API Gateway's 300 per API: use a greedy route (ANY /{proxy+})" in line


# --- all at once ---------------------------------------------------------------------------------


def test_every_violation_is_one_line_of_one_error(example: Config) -> None:
    config = owned_by(example, [WEB_TEAM] * (capacity(example, WEB_TEAM, 10) + 1))
    config = with_function(config, "api", environment={"BIG": "y" * 5000})
    config = with_function(
        config, "worker", trigger=Trigger(http=HttpTrigger(tuple(f"GET /r{i}" for i in range(301))))
    )
    with pytest.raises(ConfigError) as caught:
        render(config)
    lines = caught.value.lines()
    assert [line.split(":")[0] for line in lines] == [
        "function api",
        "owner role web-team",
        "function worker",
    ]
    assert str(caught.value).startswith(lines[0])
    assert str(caught.value).endswith("(and 2 more limits)")
