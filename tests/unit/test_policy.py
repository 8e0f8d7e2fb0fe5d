"""Deployer policies: exactly phase two's actions, on one function's resources, nothing else."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from twophase.config.load import load_config
from twophase.config.model import Config
from twophase.errors import AccessDeniedError, ConfigError, UsageError
from twophase.infra.deployer_policy import (
    deployer_policy,
    deployer_policy_outputs,
    deployer_policy_resource,
    deployer_policy_resources,
    substitute,
)
from twophase.infra.owners import Principals, parse_owners
from twophase.release.access import DEPLOYER_ACTIONS, explain_access_denied, partition_for

ROOT = Path(__file__).resolve().parents[2]
ACCOUNT = "111122223333"
REGION = "eu-west-1"

EXPECTED = {
    "ReadThisFunction": [
        "lambda:GetAlias",
        "lambda:GetFunction",
        "lambda:GetFunctionConfiguration",
        "lambda:ListAliases",
        "lambda:ListVersionsByFunction",
    ],
    "PushThisFunctionCodeVersionsAndAliases": [
        "lambda:PublishVersion",
        "lambda:UpdateAlias",
        "lambda:UpdateFunctionCode",
    ],
    "InvokeThisFunctionAndItsAliases": ["lambda:InvokeFunction"],
    "ArtifactsUnderThisFunctionPrefixOnly": [
        "s3:AbortMultipartUpload",
        "s3:GetObject",
        "s3:PutObject",
    ],
    "ListThisFunctionPrefixSoMissingArtifactsAreNotFound": ["s3:ListBucket"],
    "ReadThisFunctionLogs": [
        "logs:DescribeLogStreams",
        "logs:FilterLogEvents",
        "logs:GetLogEvents",
    ],
    "MetricReadsHaveNoResourceLevelPermissionsInIam": [
        "cloudwatch:GetMetricData",
        "cloudwatch:GetMetricStatistics",
    ],
    "ReadAlarmStatesForHealthChecks": ["cloudwatch:DescribeAlarms"],
    "ReadStackOutputs": ["cloudformation:DescribeStacks"],
    "ReadTheAppTemplateForPhaseOnesDummies": ["cloudformation:GetTemplate"],
    "PruneOldVersionsOfThisFunctionNeverTheFunction": ["lambda:DeleteFunction"],
    "NeverDeleteLatestWhichTakesTheFunction": ["lambda:DeleteFunction"],
}
DENIED = {"NeverDeleteLatestWhichTakesTheFunction"}
FORBIDDEN = [
    "lambda:UpdateFunctionConfiguration",
    "lambda:AddPermission",
    "lambda:RemovePermission",
    "lambda:CreateEventSourceMapping",
    "lambda:CreateAlias",
    "lambda:DeleteAlias",
    "s3:DeleteObject",
]


@pytest.fixture(scope="module")
def config() -> Config:
    return load_config(ROOT / "twophase.yml.example")


def literal(config: Config, function: str = "api") -> dict[str, Any]:
    return deployer_policy(config, "dev", function, region=REGION, account=ACCOUNT)


def statements(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {s["Sid"]: s for s in doc["Statement"]}


def test_exact_actions_per_statement(config: Config) -> None:
    doc = literal(config)
    assert doc["Version"] == "2012-10-17"
    assert {sid: s["Action"] for sid, s in statements(doc).items()} == EXPECTED
    assert {s["Sid"] for s in doc["Statement"] if s["Effect"] == "Deny"} == DENIED
    assert all(s["Effect"] == "Allow" for s in doc["Statement"] if s["Sid"] not in DENIED)
    granted = {a for s in doc["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    assert granted == DEPLOYER_ACTIONS


def test_versions_may_be_deleted_never_the_function_nor_latest(config: Config) -> None:
    """IAM authorises DeleteFunction with a Qualifier against the qualified ARN, without one
    against the function's ARN: only `function:NAME:*` is granted, and `:$LATEST` denied."""
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-dev-api"
    s = statements(literal(config))
    deletes = [x for x in s.values() if "lambda:DeleteFunction" in x["Action"]]
    assert [(x["Effect"], x["Resource"]) for x in deletes] == [
        ("Allow", [f"{arn}:*"]),
        ("Deny", [f"{arn}:$LATEST"]),
    ]
    assert all(
        arn not in x["Resource"]
        for x in s.values()
        if x["Effect"] == "Allow" and "lambda:DeleteFunction" in x["Action"]
    )


def test_no_wildcard_and_no_write_outside_push(config: Config) -> None:
    granted = {
        a for s in literal(config)["Statement"] if s["Effect"] == "Allow" for a in s["Action"]
    }
    assert not any("*" in a or "?" in a for a in granted)
    assert not granted & set(FORBIDDEN)
    assert not [a for a in granted if a.startswith(("iam:", "sts:"))]
    assert sorted(a for a in granted if a.startswith("cloudformation:")) == [
        "cloudformation:DescribeStacks",
        "cloudformation:GetTemplate",
    ]


def test_lambda_resources_are_the_function_and_its_qualified_arns(config: Config) -> None:
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-dev-api"
    for sid in ("ReadThisFunction", "PushThisFunctionCodeVersionsAndAliases"):
        assert statements(literal(config))[sid]["Resource"] == [arn, f"{arn}:*"]


def test_other_resources(config: Config) -> None:
    s = statements(literal(config))
    bucket = f"shop-dev-artifacts-{ACCOUNT}-{REGION}"
    assert s["ArtifactsUnderThisFunctionPrefixOnly"]["Resource"] == [
        f"arn:aws:s3:::{bucket}/shop/dev/api/*"
    ]
    listing = s["ListThisFunctionPrefixSoMissingArtifactsAreNotFound"]
    assert listing["Resource"] == [f"arn:aws:s3:::{bucket}"]
    assert listing["Condition"] == {"StringLike": {"s3:prefix": ["shop/dev/api/*"]}}
    group = f"arn:aws:logs:{REGION}:{ACCOUNT}:log-group:/aws/lambda/shop-dev-api"
    assert s["ReadThisFunctionLogs"]["Resource"] == [group, f"{group}:*"]
    assert s["ReadAlarmStatesForHealthChecks"]["Resource"] == [
        f"arn:aws:cloudwatch:{REGION}:{ACCOUNT}:alarm:*"
    ]
    stacks = f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack"
    assert s["ReadStackOutputs"]["Resource"] == [
        f"{stacks}/shop-dev/*",
        f"{stacks}/shop-dev-artifacts/*",
    ]


def test_only_unscopable_metric_reads_use_star(config: Config) -> None:
    star = [s["Sid"] for s in literal(config)["Statement"] if "*" in s["Resource"]]
    assert star == ["MetricReadsHaveNoResourceLevelPermissionsInIam"]


@pytest.mark.parametrize("function", ["api", "worker", "nightly"])
def test_no_other_function_appears(config: Config, function: str) -> None:
    text = json.dumps(literal(config, function))
    for other in set(config.functions) - {function}:
        assert f"shop-dev-{other}" not in text
        assert f"/shop/dev/{other}/" not in text and f"shop/dev/{other}/" not in text
    assert f"function:shop-dev-{function}" in text


def test_placeholders_by_default_and_partition(config: Config) -> None:
    text = json.dumps(deployer_policy(config, "dev", "api"))
    assert "arn:aws:lambda:${AWS::Region}:${AWS::AccountId}:function:shop-dev-api" in text
    assert "shop-dev-artifacts-${AWS::AccountId}-${AWS::Region}" in text
    cn = json.dumps(deployer_policy(config, "dev", "api", partition="aws-cn"))
    assert '"arn:aws:' not in cn and "arn:aws-cn:lambda:" in cn
    assert partition_for("cn-north-1") == "aws-cn"
    assert partition_for("us-gov-west-1") == "aws-us-gov"
    assert partition_for("eu-west-1") == "aws"


def test_explicit_bucket(config: Config) -> None:
    doc = deployer_policy(config, "dev", "api", artifact_bucket="my-bucket")
    assert statements(doc)["ArtifactsUnderThisFunctionPrefixOnly"]["Resource"] == [
        "arn:aws:s3:::my-bucket/shop/dev/api/*"
    ]


def test_deterministic(config: Config) -> None:
    assert json.dumps(literal(config)) == json.dumps(literal(config))
    one = json.dumps(deployer_policy_resources(config, "dev"))
    assert one == json.dumps(deployer_policy_resources(config, "dev"))


def test_unknown_function_or_environment(config: Config) -> None:
    with pytest.raises(UsageError, match="unknown function 'nope'"):
        deployer_policy(config, "dev", "nope")
    with pytest.raises(UsageError, match="unknown environment 'qa'"):
        deployer_policy(config, "qa", "api")


# --- owners -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("owner", "expected"),
    [
        ("arn:aws:iam::123456789012:role/web-team", Principals(roles=("web-team",))),
        ("arn:aws:iam::123456789012:role/teams/web/web-team", Principals(roles=("web-team",))),
        ("arn:aws:iam::123456789012:user/alice", Principals(users=("alice",))),
        ("arn:aws:iam::123456789012:user/people/bob", Principals(users=("bob",))),
        ("arn:aws:iam::123456789012:group/devs", Principals(groups=("devs",))),
        ("arn:aws-cn:iam::123456789012:group/ops/devs", Principals(groups=("devs",))),
        ("arn:aws:sts::123456789012:assumed-role/ci/session-1", Principals(roles=("ci",))),
        ("deployers", Principals(roles=("deployers",))),
    ],
)
def test_owner_forms(owner: str, expected: Principals) -> None:
    assert parse_owners([owner]) == expected


def test_owners_sorted_and_deduplicated() -> None:
    owners = [
        "zeta",
        "arn:aws:iam::1:role/alpha",
        "arn:aws:iam::1:role/path/zeta",
        "arn:aws:iam::1:user/u",
        "arn:aws:iam::1:group/g",
    ]
    assert parse_owners(owners) == Principals(roles=("alpha", "zeta"), users=("u",), groups=("g",))


@pytest.mark.parametrize(
    "owner", ["arn:aws:iam::123456789012:root", "arn:aws:iam::1:policy/x", "two words", ""]
)
def test_bad_owners(owner: str) -> None:
    message = r"functions\.api\.owners: .* is not a role, user or group"
    with pytest.raises(ConfigError, match=message):
        parse_owners([owner], "functions.api.owners")


# --- CloudFormation ---------------------------------------------------------------------------


def test_managed_policy_resources(config: Config) -> None:
    resources = deployer_policy_resources(config, "dev")
    assert sorted(resources) == [
        "ApiDeployerPolicy",
        "NightlyDeployerPolicy",
        "WorkerDeployerPolicy",
    ]
    api = resources["ApiDeployerPolicy"]
    assert api["Type"] == "AWS::IAM::ManagedPolicy"
    props = api["Properties"]
    assert props["ManagedPolicyName"] == "shop-dev-api-deployer"
    assert props["Roles"] == ["web-team"]
    assert "Users" not in props and "Groups" not in props
    assert resources["WorkerDeployerPolicy"]["Properties"]["Roles"] == ["fulfilment-team"]
    nightly = resources["NightlyDeployerPolicy"]["Properties"]
    assert not {"Roles", "Users", "Groups"} & set(nightly)
    push = statements(props["PolicyDocument"])["PushThisFunctionCodeVersionsAndAliases"]
    arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:shop-dev-api"
    assert push["Resource"][0] == {"Fn::Sub": arn}
    assert push["Action"] == EXPECTED["PushThisFunctionCodeVersionsAndAliases"]


def test_owners_can_be_left_unattached(config: Config) -> None:
    resources = deployer_policy_resources(config, "local", attach_owners=False)
    assert all("Roles" not in r["Properties"] for r in resources.values())


def test_outputs(config: Config) -> None:
    outputs = deployer_policy_outputs(config, "dev")
    assert sorted(outputs) == [
        "ApiDeployerPolicyArn",
        "NightlyDeployerPolicyArn",
        "WorkerDeployerPolicyArn",
    ]
    assert outputs["ApiDeployerPolicyArn"]["Value"] == {"Ref": "ApiDeployerPolicy"}
    assert outputs["ApiDeployerPolicyArn"]["Export"] == {
        "Name": {"Fn::Sub": "${AWS::StackName}-ApiDeployerPolicyArn"}
    }


def test_substitute_wraps_only_strings_with_variables() -> None:
    assert substitute({"a": ["x", "${AWS::Region}"], "b": 1}) == {
        "a": ["x", {"Fn::Sub": "${AWS::Region}"}],
        "b": 1,
    }


def test_cfn_lint_clean(config: Config) -> None:
    from cfnlint.api import ManualArgs, lint

    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": deployer_policy_resources(config, "dev"),
        "Outputs": deployer_policy_outputs(config, "dev"),
    }
    matches = lint(json.dumps(template), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [str(m) for m in matches] == []


def _findings(document: dict[str, Any]) -> list[tuple[str, str, Any]]:
    parliament = pytest.importorskip("parliament")
    policy = parliament.analyze_policy_string(json.dumps(document))
    return [(f.issue, f.severity, f.detail) for f in policy.findings]


@pytest.mark.parametrize("function", ["api", "worker", "nightly"])
def test_parliament_finds_nothing_medium_or_higher(config: Config, function: str) -> None:
    findings = _findings(literal(config, function))
    assert [f for f in findings if f[1] in {"MEDIUM", "HIGH", "CRITICAL"}] == []
    assert findings == []  # not even LOW


def test_parliament_does_flag_a_bad_statement() -> None:
    bad = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::b"}],
    }
    assert [f[0] for f in _findings(bad)] == ["RESOURCE_MISMATCH"]


# --- access denied ----------------------------------------------------------------------------


def test_explain_a_deployer_action(config: Config) -> None:
    line = explain_access_denied(config, "dev", "api", "lambda:UpdateFunctionCode")
    assert "\n" not in line
    assert line.startswith("shop-dev-api: access denied for lambda:UpdateFunctionCode;")
    assert "shop-dev-api-deployer" in line and "twophase policy api" in line


def test_explain_an_operation_named_differently(config: Config) -> None:
    line = explain_access_denied(config, "dev", "worker", "s3:HeadObject")
    assert "access denied for s3:GetObject" in line and "shop-dev-worker-deployer" in line


def test_explain_an_action_no_deployer_has(config: Config) -> None:
    line = explain_access_denied(config, "dev", "api", "lambda:UpdateFunctionConfiguration")
    assert "no deployer policy grants it" in line and "infra up" in line


def test_access_denied_error_from_aws_message(config: Config) -> None:
    from botocore.exceptions import ClientError

    from twophase.release.access import access_denied, denied_action

    aws = ClientError(
        {
            "Error": {
                "Code": "AccessDeniedException",
                "Message": "User: arn:aws:iam::1:user/alice is not authorized to perform: "
                "lambda:PublishVersion on resource: arn:aws:lambda:r:1:function:shop-dev-api",
            }
        },
        "PublishVersion",
    )
    ours = AccessDeniedError("not allowed to call lambda:UpdateAlias on alias next of x")
    assert denied_action(ours) == "lambda:UpdateAlias"
    wrapped = AccessDeniedError("not allowed to call lambda:PublishVersion on shop-dev-api")
    wrapped.__cause__ = aws
    error = access_denied(config, "dev", "api", wrapped)
    assert isinstance(error, AccessDeniedError)
    assert "lambda:PublishVersion" in str(error) and "shop-dev-api-deployer" in str(error)
    assert denied_action(AccessDeniedError("denied")) is None
    assert "access denied for an action" in str(access_denied(config, "dev", "api", Exception()))


def test_invoke_and_the_template_read_are_scoped(config: Config) -> None:
    """`invoke` on the function and its qualified ARNs; GetTemplate on the app's stack only."""
    s = statements(literal(config))
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-dev-api"
    assert s["InvokeThisFunctionAndItsAliases"]["Resource"] == [arn, f"{arn}:*"]
    assert s["ReadTheAppTemplateForPhaseOnesDummies"]["Resource"] == [
        f"arn:aws:cloudformation:{REGION}:{ACCOUNT}:stack/shop-dev/*"
    ]


@pytest.mark.parametrize(
    "owner",
    [
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_abc123",
        "AWSReservedSSO_Dev_abc123",
    ],
)
def test_identity_center_owners_take_no_attachment(config: Config, owner: str) -> None:
    from twophase.infra.owners import permission_set_notes

    api = replace(config.function("api"), owners=(owner, "web-team"))
    edited = replace(config, functions={**config.functions, "api": api})
    properties = deployer_policy_resource(edited, "dev", "api", artifact_bucket="b")["Properties"]
    assert properties["Roles"] == ["web-team"]
    assert parse_owners([owner]).permission_sets == ("AWSReservedSSO_Dev_abc123",)
    assert list(permission_set_notes(edited, "dev")) == [
        "owner AWSReservedSSO_Dev_abc123 is an IAM Identity Center role, which takes no "
        "attachment: add the deployer policy of api to its permission set "
        "(`twophase policy --owner AWSReservedSSO_Dev_abc123 -e dev` prints it)"
    ]


def test_an_owner_of_another_account_is_refused_with_the_cross_account_path(
    config: Config,
) -> None:
    from twophase.infra.owners import refuse_other_accounts

    foreign = "arn:aws:iam::999988887777:role/web-team"
    api = replace(config.function("api"), owners=(foreign,))
    edited = replace(config, functions={**config.functions, "api": api})
    stack_account = "123456789012"  # the example's owners' account
    refuse_other_accounts(config, stack_account)
    with pytest.raises(ConfigError) as caught:
        refuse_other_accounts(edited, stack_account)
    line = str(caught.value)
    assert "\n" not in line
    assert line.startswith(f"functions.api.owners: {foreign} is in account 999988887777, not")
    assert f"create a role in {stack_account} that trusts {foreign}" in line
