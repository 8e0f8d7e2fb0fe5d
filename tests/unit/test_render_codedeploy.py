"""Phase one renders gradual promotion on CodeDeploy: the application and its service roles in the
root (one per set of owners, moving only that set's aliases), and per function its deployment
group and the alarms the group watches, wherever the function lives (its nested stack included);
hook functions may report to CodeDeploy."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from twophase.config.load import load_config
from twophase.config.model import Config, Promotion
from twophase.infra.deployer_packing import LONGEST
from twophase.infra.render import DummyCode, render_template
from twophase.infra.render.codedeploy import app_resources
from twophase.infra.render.codedeploy_role import PromotionRoles, role_document, service_roles
from twophase.infra.render.template import render_layout
from twophase.names import codedeploy_role_id, codedeploy_role_policy_id, function_name, ids_for

EXAMPLE = Path(__file__).resolve().parents[2] / "twophase.yml.example"
BUCKET = "shop-artifacts-123456789012"
WEB = "arn:aws:iam::123456789012:role/web-team"
WEB_ROLE = codedeploy_role_id((("role", "web-team"),))
SSO_TEAM = (
    "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Team_0123456789"
)
FULFILMENT_ROLE = codedeploy_role_id((("role", "fulfilment-team"),))
PLATFORM_ROLE = codedeploy_role_id(())
LAMBDA_ARN = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:"


@pytest.fixture(scope="module")
def example() -> Config:
    return load_config(EXAMPLE)


def render(config: Config, env: str = "prod") -> dict[str, Any]:
    dummies = {n: DummyCode(BUCKET, f"dummies/{n}.zip", "sha=") for n in config.functions}
    return render_template(config, env, dummies=dummies, artifact_bucket=BUCKET)


def promoting(config: Config, function: str, promotion: Promotion) -> Config:
    fn = dataclasses.replace(config.function(function), promotion=promotion)
    return dataclasses.replace(config, functions={**config.functions, function: fn})


def grown(config: Config, count: int, owners: tuple[str, ...] = ()) -> Config:
    """The example plus `count` functions modelled on its HTTP, queue and schedule ones."""
    models = [config.function(n) for n in ("api", "worker", "nightly")]
    extra = {
        f"fn{i:03d}": dataclasses.replace(models[i % 3], name=f"fn{i:03d}", owners=owners)
        for i in range(count)
    }
    return dataclasses.replace(config, functions={**config.functions, **extra})


def test_each_function_gets_its_deployment_group_and_alarms(example: Config) -> None:
    resources = render(example)["Resources"]
    for name in ("api", "worker", "nightly"):
        ids = ids_for(name)
        assert resources[ids.deployment_group]["Type"] == "AWS::CodeDeploy::DeploymentGroup"
        assert resources[ids.errors_alarm]["Type"] == "AWS::CloudWatch::Alarm"
    assert ids_for("api").http_errors_alarm in resources  # the HTTP function only
    assert ids_for("worker").http_errors_alarm not in resources
    assert ids_for("nightly").http_errors_alarm not in resources

    assert resources["ApiDeploymentGroup"]["Properties"] == {
        "ApplicationName": {"Ref": "CodeDeployApplication"},
        "DeploymentGroupName": "shop-prod-api",
        "ServiceRoleArn": {"Fn::GetAtt": [WEB_ROLE, "Arn"]},
        "DeploymentConfigName": "CodeDeployDefault.LambdaAllAtOnce",
        "DeploymentStyle": {
            "DeploymentType": "BLUE_GREEN",
            "DeploymentOption": "WITH_TRAFFIC_CONTROL",
        },
        "AlarmConfiguration": {
            "Enabled": True,
            "Alarms": [{"Name": {"Ref": "ApiErrorsAlarm"}}, {"Name": {"Ref": "ApiHttp5xxAlarm"}}],
        },
        "AutoRollbackConfiguration": {
            "Enabled": True,
            "Events": [
                "DEPLOYMENT_FAILURE",
                "DEPLOYMENT_STOP_ON_ALARM",
                "DEPLOYMENT_STOP_ON_REQUEST",
            ],
        },
    }


ALARM_SHAPE = {
    "Statistic": "Sum",
    "Period": 60,
    "EvaluationPeriods": 1,
    "Threshold": 1,
    "ComparisonOperator": "GreaterThanOrEqualToThreshold",
    "TreatMissingData": "notBreaching",
}


def test_the_errors_alarm_watches_the_serving_alias(example: Config) -> None:
    """The last alias of the chain: where a canary shifts traffic, and what triggers call."""
    chain = dataclasses.replace(example, aliases=("next", "beta", "prod"))
    alarm = render(chain)["Resources"]["WorkerErrorsAlarm"]["Properties"]
    assert alarm["AlarmName"] == "shop-prod-worker-errors"
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/Lambda", "Errors")
    assert alarm["Dimensions"] == [
        {"Name": "FunctionName", "Value": "shop-prod-worker"},
        {"Name": "Resource", "Value": "shop-prod-worker:prod"},
    ]
    assert ALARM_SHAPE.items() <= alarm.items()


def test_the_5xx_alarm_watches_the_http_apis_stage(example: Config) -> None:
    resources = render(example)["Resources"]
    alarm = resources["ApiHttp5xxAlarm"]["Properties"]
    stage = resources["ApiHttpStage"]["Properties"]
    assert alarm["AlarmName"] == "shop-prod-api-5xx"
    assert (alarm["Namespace"], alarm["MetricName"]) == ("AWS/ApiGateway", "5xx")
    assert alarm["Dimensions"] == [
        {"Name": "ApiId", "Value": {"Ref": "ApiHttpApi"}},
        {"Name": "Stage", "Value": stage["StageName"]},
    ]
    assert stage["ApiId"] == {"Ref": "ApiHttpApi"}
    assert ALARM_SHAPE.items() <= alarm.items()


def test_configured_alarms_are_watched_and_a_hook_may_report(example: Config) -> None:
    config = promoting(example, "api", Promotion(("shop-p99",), "nightly", "worker"))
    resources = render(config)["Resources"]
    alarms = resources["ApiDeploymentGroup"]["Properties"]["AlarmConfiguration"]["Alarms"]
    assert alarms[2:] == [{"Name": "shop-p99"}]

    def policies(role: str) -> dict[str, Any]:
        found = resources[role]["Properties"]["Policies"]
        return {p["PolicyName"]: p["PolicyDocument"]["Statement"] for p in found}

    for hook in ("NightlyRole", "WorkerRole"):
        assert policies(hook)["promotion-hook"] == [
            {
                "Effect": "Allow",
                "Action": ["codedeploy:PutLifecycleEventHookExecutionStatus"],
                "Resource": "*",
            }
        ]
    assert "promotion-hook" not in policies("ApiRole")
    # api's owners' service role invokes api's hooks; worker's owners' role, none
    service = resources[f"{WEB_ROLE}Policy1"]["Properties"]["PolicyDocument"]["Statement"]
    [invoke] = [s for s in service if s["Action"] == ["lambda:InvokeFunction"]]
    arns = [r["Fn::Sub"].rsplit(":function:", 1)[1] for r in invoke["Resource"]]
    assert arns == [
        "shop-prod-nightly",
        "shop-prod-nightly:*",
        "shop-prod-worker",
        "shop-prod-worker:*",
    ]
    other = resources[f"{FULFILMENT_ROLE}Policy1"]["Properties"]["PolicyDocument"]["Statement"]
    assert [s["Sid"] for s in other] == ["ShiftTheseFunctionsAliases"]


def test_the_app_gets_one_application_and_service_roles_only_codedeploy_assumes(
    example: Config,
) -> None:
    resources = render(example)["Resources"]
    assert resources["CodeDeployApplication"] == {
        "Type": "AWS::CodeDeploy::Application",
        "Properties": {"ApplicationName": "shop-prod", "ComputePlatform": "Lambda"},
    }
    roles = {i for i, r in resources.items() if r["Type"] == "AWS::IAM::Role"}
    assert {WEB_ROLE, FULFILMENT_ROLE, PLATFORM_ROLE} <= roles
    for role_id in (WEB_ROLE, FULFILMENT_ROLE, PLATFORM_ROLE):
        role = resources[role_id]["Properties"]
        [trust] = role["AssumeRolePolicyDocument"]["Statement"]
        assert trust["Principal"] == {"Service": "codedeploy.amazonaws.com"}
        assert trust["Condition"]["ArnLike"]["aws:SourceArn"] == {
            "Fn::Sub": "arn:${AWS::Partition}:codedeploy:${AWS::Region}:${AWS::AccountId}:"
            "deploymentgroup:shop-prod/*"
        }
        assert trust["Condition"]["StringEquals"]["aws:SourceAccount"] == {
            "Fn::Sub": "${AWS::AccountId}"
        }
        [inline] = role["Policies"]
        [alarms] = inline["PolicyDocument"]["Statement"]
        assert alarms["Action"] == ["cloudwatch:DescribeAlarms"]
        assert len(role["RoleName"]) <= 64
    assert resources[WEB_ROLE]["Properties"]["RoleName"] == "shop-prod-codedeploy-role-web-team"
    assert resources[PLATFORM_ROLE]["Properties"]["RoleName"] == "shop-prod-codedeploy-platform"
    no_functions = dataclasses.replace(example, functions={})
    assert app_resources(no_functions, "prod", PromotionRoles.of(no_functions, "prod")) == {}


def _role_functions(resources: dict[str, Any], role_id: str) -> list[str]:
    """The functions whose aliases a role's managed policies let CodeDeploy move, in order."""
    moved: list[str] = []
    for logical_id, body in resources.items():
        properties = body["Properties"]
        if body["Type"] != "AWS::IAM::ManagedPolicy" or properties["Roles"] != [{"Ref": role_id}]:
            continue
        [shift] = [s for s in properties["PolicyDocument"]["Statement"] if "UpdateAlias" in str(s)]
        arns = [r["Fn::Sub"].rsplit(":function:", 1)[1] for r in shift["Resource"]]
        moved += [a for a in arns if not a.endswith(":*")]
        assert logical_id.startswith(role_id)
    return moved


def owning(config: Config, owners: dict[str, tuple[str, ...]]) -> Config:
    """`config` with the functions' owners replaced."""
    functions = {
        n: dataclasses.replace(fn, owners=owners.get(n, fn.owners))
        for n, fn in config.functions.items()
    }
    return dataclasses.replace(config, functions=functions)


def test_each_set_of_owners_gets_a_role_moving_exactly_its_functions(example: Config) -> None:
    """web-team (api), fulfilment-team (worker) and no owner (nightly): three roles, each
    naming its own functions only, by exact name; a group runs as its functions' set's role."""
    resources = render(example)["Resources"]
    assert _role_functions(resources, WEB_ROLE) == ["shop-prod-api"]
    assert _role_functions(resources, FULFILMENT_ROLE) == ["shop-prod-worker"]
    # Only the platform may start a deployment of a function without owners: its role names
    # them by the environment's prefix, in one policy however many they are.
    assert _role_functions(resources, PLATFORM_ROLE) == ["shop-prod-*"]
    for function, role_id in (("api", WEB_ROLE), ("worker", FULFILMENT_ROLE)):
        group = resources[ids_for(function).deployment_group]["Properties"]
        assert group["ServiceRoleArn"] == {"Fn::GetAtt": [role_id, "Arn"]}
    nightly = resources[ids_for("nightly").deployment_group]["Properties"]
    assert nightly["ServiceRoleArn"] == {"Fn::GetAtt": [PLATFORM_ROLE, "Arn"]}
    [shift] = resources[f"{WEB_ROLE}Policy1"]["Properties"]["PolicyDocument"]["Statement"]
    assert shift["Action"] == [
        "lambda:GetAlias",
        "lambda:GetProvisionedConcurrencyConfig",
        "lambda:UpdateAlias",
    ]
    assert "*" not in json.dumps(shift["Resource"]).replace(":*", "")  # no prefix wildcard


def _shifted(resources: dict[str, Any], policy_id: str) -> list[str]:
    """The resources a service role's policy lets CodeDeploy move the aliases of."""
    statements = resources[policy_id]["Properties"]["PolicyDocument"]["Statement"]
    [shift] = [s for s in statements if s["Sid"] == "ShiftTheseFunctionsAliases"]
    return [r["Fn::Sub"] for r in shift["Resource"]]


def test_the_platforms_role_names_the_environments_prefix_whatever_its_functions(
    example: Config,
) -> None:
    """The functions without owners are named by the environment's function-name prefix, not by
    what their names share: adding one (`order-a`, `order-b`, whose names share `order-`) leaves
    the policy as it was."""
    expected = [f"{LAMBDA_ARN}shop-prod-*", f"{LAMBDA_ARN}shop-prod-*:*"]
    policy = f"{PLATFORM_ROLE}Policy1"
    before = render(example)["Resources"]
    assert _shifted(before, policy) == expected
    nightly = example.function("nightly")
    orders = {n: dataclasses.replace(nightly, name=n) for n in ("order-a", "order-b")}
    others = {n: f for n, f in example.functions.items() if n != "nightly"}
    for functions in ({**example.functions, **orders}, {**others, **orders}):
        after = render(dataclasses.replace(example, functions=functions))["Resources"]
        assert after[policy] == before[policy]


def test_a_long_environments_prefix_is_what_its_shortened_names_keep(example: Config) -> None:
    """A preview's app and environment can be too long for `<app>-<env>-` to survive Lambda's 64
    characters: the prefix is then the part every shortened name keeps, and still names every
    function of the environment."""
    env = "pr-" + "x" * 60
    document = role_document(example, env, ["nightly", "worker"], by_prefix=True)
    [shift] = document["Statement"]
    prefix = "shop-" + env[:50]  # 64 - 8 hex of the hash - 1 dash
    assert shift["Resource"] == [f"{LAMBDA_ARN}{prefix}*", f"{LAMBDA_ARN}{prefix}*:*"]
    for function in ("nightly", "order-a", "z"):
        assert function_name("shop", env, function).startswith(prefix)


def test_a_set_is_its_owners_however_spelled_and_ordered(example: Config) -> None:
    """Two owners together are a set of their own; the same two in another order or spelling are
    the same set; one owner alone is another set."""
    both = (WEB, "arn:aws:iam::123456789012:role/fulfilment-team")
    config = owning(
        example, {"api": both, "worker": ("fulfilment-team", "web-team"), "nightly": (WEB,)}
    )
    resources = render(config)["Resources"]
    pair = codedeploy_role_id((("role", "fulfilment-team"), ("role", "web-team")))
    assert pair == codedeploy_role_id((("role", "web-team"), ("role", "fulfilment-team")))
    assert _role_functions(resources, pair) == ["shop-prod-api", "shop-prod-worker"]
    assert _role_functions(resources, WEB_ROLE) == ["shop-prod-nightly"]
    assert FULFILMENT_ROLE not in resources and PLATFORM_ROLE not in resources
    name = resources[pair]["Properties"]["RoleName"]
    assert name.startswith("shop-prod-codedeploy-owners-") and len(name) <= 64


def test_adding_a_function_changes_only_its_sets_last_policy(example: Config) -> None:
    """Functions packed in name order: a function added last changes its set's last policy (or
    adds one), and nothing of any other set's role."""
    many = grown(example, 60, (WEB,))  # fn000..fn059 and api: web-team's role
    before = render(many)["Resources"]
    added = dataclasses.replace(many.function("fn000"), name="zzz")
    after = render(dataclasses.replace(many, functions={**many.functions, "zzz": added}))[
        "Resources"
    ]
    web = sorted(i for i in before if i.startswith(f"{WEB_ROLE}Policy"))
    assert len(web) >= 2, "the set fills more than one policy"
    changed = sorted(
        i for i in after if i.startswith("CodeDeployRole") and after[i] != before.get(i)
    )
    assert changed == [web[-1]] or changed == [
        codedeploy_role_policy_id((("role", "web-team"),), len(web) + 1)
    ]
    assert _role_functions(after, WEB_ROLE)[-1] == "shop-prod-zzz"
    assert len(_role_functions(after, WEB_ROLE)) == len(_role_functions(before, WEB_ROLE)) + 1


def test_each_policy_fits_iam_measured_at_the_longest(example: Config) -> None:
    many = grown(example, 50, (WEB,))  # two policies of the role; deployer quota kept
    resources = render(many)["Resources"]
    for logical_id in (i for i in resources if i.startswith(f"{WEB_ROLE}Policy")):
        number = int(logical_id.rsplit("Policy", 1)[1])
        functions = [
            f.removeprefix("shop-prod-")
            for f in _role_functions({logical_id: resources[logical_id]}, WEB_ROLE)
        ]
        longest = role_document(many, "prod", functions, LONGEST)
        assert len(json.dumps(longest, separators=(",", ":"))) <= 6144, number


def test_a_set_needing_more_than_ten_policies_gets_more_roles(example: Config) -> None:
    """IAM attaches at most 10 managed policies to a role: a set whose functions need more gets
    a second role, holding the next functions in name order; each group runs as the role that
    names its function, and no role holds more than 10 policies."""
    long_names = {
        f"{'f' * 40}{i:03d}": dataclasses.replace(
            example.function("worker"),
            name=f"{'f' * 40}{i:03d}",
            owners=(SSO_TEAM,),  # a permission set: no deployer policy counts against it
            promotion=Promotion(),
        )
        for i in range(400)
    }
    config = dataclasses.replace(example, functions={**example.functions, **long_names})
    roles = [r for r in service_roles(config, "prod") if r.functions[0] in long_names]
    assert [r.part for r in roles] == [1, 2]
    assert all(len(r.policies) <= 10 for r in roles)
    assert roles[1].logical_id == f"{roles[0].logical_id}Part2"
    assert sorted(roles[0].functions + roles[1].functions) == sorted(long_names)
    layout = render(config)["Resources"]
    for role in roles:
        for function in role.functions[:3]:
            group = layout[ids_for(function).deployment_group]["Properties"]
            assert group["ServiceRoleArn"] == {"Fn::GetAtt": [role.logical_id, "Arn"]}


@pytest.mark.parametrize(("name_length", "per_policy"), [(3, 38), (54, 23)])
def test_functions_per_service_role_policy(
    example: Config, name_length: int, per_policy: int
) -> None:
    """README and docs/platform-teams.md: 38 functions named like `shop-prod-api` per policy,
    380 in a role's 10; 23 and 230 with names of Lambda's full 64 characters (`shop-prod-` and
    54). One function more goes to a second role. IAM's quotas: 6,144 characters per managed
    policy, 10 managed policies per role
    (https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html)."""
    model = dataclasses.replace(
        example.function("worker"), owners=(SSO_TEAM,), promotion=Promotion()
    )
    every = [f"{chr(97 + i // 100)}{i % 100:02d}".ljust(name_length, "x") for i in range(400)]

    def roles(count: int) -> list[tuple[int, list[int]]]:
        functions = {n: dataclasses.replace(model, name=n) for n in every[:count]}
        config = dataclasses.replace(example, functions={**example.functions, **functions})
        found = [r for r in service_roles(config, "prod") if r.functions[0] in functions]
        return [(r.part, [len(p) for p in r.policies]) for r in found]

    assert roles(10 * per_policy) == [(1, [per_policy] * 10)]
    assert roles(10 * per_policy + 1) == [(1, [per_policy] * 10), (2, [1])]


def test_a_nested_functions_group_and_alarms_live_in_its_child(example: Config) -> None:
    config = grown(example, 100)
    dummies = {n: DummyCode(BUCKET, f"dummies/{n}.zip", "sha=") for n in config.functions}
    done = render_layout(config, "prod", dummies=dummies, artifact_bucket=BUCKET)
    assert {"CodeDeployApplication", PLATFORM_ROLE} <= set(done.root["Resources"])
    nested = [f for f, child in sorted(done.assignment.items()) if child and f.startswith("fn")]
    assert nested, "the app is split"
    for function in (nested[0], nested[-1]):
        child = done.children[done.assignment[function]].template
        ids = ids_for(function)
        own = [ids.deployment_group, ids.errors_alarm]
        if config.function(function).routes:
            own.append(ids.http_errors_alarm)
        for logical_id in own:
            assert logical_id in child["Resources"] and logical_id not in done.root["Resources"]
        group = child["Resources"][ids.deployment_group]["Properties"]
        assert group["ApplicationName"] == {"Ref": "CodeDeployApplication"}
        assert group["ServiceRoleArn"] == {"Ref": f"{PLATFORM_ROLE}ArnAttribute"}
        passed = done.root["Resources"][done.assignment[function]]["Properties"]["Parameters"]
        assert passed["CodeDeployApplication"] == {"Ref": "CodeDeployApplication"}
        assert passed[f"{PLATFORM_ROLE}ArnAttribute"] == {"Fn::GetAtt": [PLATFORM_ROLE, "Arn"]}
