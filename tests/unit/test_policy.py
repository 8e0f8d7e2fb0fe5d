"""Deployer policies: exactly phase two's actions, on one function's resources, nothing else; an
owner's policies in the template (their packing: test_deployer_packing)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from twophase.config.load import load_config
from twophase.config.model import Config
from twophase.errors import AccessDeniedError, ConfigError, UsageError
from twophase.infra.deployer_documents import owner_document
from twophase.infra.deployer_policy import deployer_policy, deployer_policy_sections, substitute
from twophase.infra.owners import Owner, owned_functions, owner
from twophase.release.access import (
    DEPLOYER_ACTIONS,
    WHOAMI_ACTIONS,
    explain_access_denied,
    partition_for,
)

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
    "ShiftThisFunctionThroughItsDeploymentGroup": [
        "codedeploy:CreateDeployment",
        "codedeploy:GetDeployment",
        "codedeploy:ListDeployments",
    ],
    "RevisionsOfTheEnvironmentsCodeDeployApplication": [
        "codedeploy:GetApplicationRevision",
        "codedeploy:RegisterApplicationRevision",
    ],
    "ReadAwsPredefinedDeploymentConfigurations": ["codedeploy:GetDeploymentConfig"],
    "CreateAndReadTheStacksScheduleNamedConfigurations": [
        "codedeploy:CreateDeploymentConfig",
        "codedeploy:GetDeploymentConfig",
    ],
    "FollowAndStopDeploymentsHaveNoResourceLevelPermissionsInIam": [
        "codedeploy:GetDeploymentTarget",
        "codedeploy:ListDeploymentTargets",
        "codedeploy:StopDeployment",
    ],
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
    assert granted == DEPLOYER_ACTIONS - set(WHOAMI_ACTIONS)  # whoami's grant names its owner


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
    """And following or stopping a CodeDeploy deployment: IAM's Service Authorization Reference
    lists no resource type for GetDeploymentTarget, ListDeploymentTargets, StopDeployment."""
    star = [s["Sid"] for s in literal(config)["Statement"] if "*" in s["Resource"]]
    assert star == [
        "MetricReadsHaveNoResourceLevelPermissionsInIam",
        "FollowAndStopDeploymentsHaveNoResourceLevelPermissionsInIam",
    ]


def test_codedeploy_names_this_functions_group_its_application_and_configurations(
    config: Config,
) -> None:
    """A deployment starts only in the function's own deployment group (CreateDeployment,
    GetDeployment and ListDeployments take the deploymentgroup resource); the revision is the
    application's, the configurations AWS's predefined ones and the stack's own."""
    s = statements(literal(config))
    codedeploy = f"arn:aws:codedeploy:{REGION}:{ACCOUNT}"
    assert s["ShiftThisFunctionThroughItsDeploymentGroup"]["Resource"] == [
        f"{codedeploy}:deploymentgroup:shop-dev/shop-dev-api"
    ]
    assert s["RevisionsOfTheEnvironmentsCodeDeployApplication"]["Resource"] == [
        f"{codedeploy}:application:shop-dev"
    ]
    assert s["ReadAwsPredefinedDeploymentConfigurations"]["Resource"] == [
        f"{codedeploy}:deploymentconfig:CodeDeployDefault.*"
    ]
    assert s["CreateAndReadTheStacksScheduleNamedConfigurations"]["Resource"] == [
        f"{codedeploy}:deploymentconfig:shop-dev-*"
    ]


def test_an_owners_documents_name_only_its_own_deployment_groups(config: Config) -> None:
    web = Owner("role", "web-team")
    document = owner_document(config, "dev", web, ["api"], region=REGION, account=ACCOUNT)
    [shift] = [s for s in document["Statement"] if "codedeploy:CreateDeployment" in s["Action"]]
    assert shift["Resource"] == [
        f"arn:aws:codedeploy:{REGION}:{ACCOUNT}:deploymentgroup:shop-dev/shop-dev-api"
    ]
    text = json.dumps(document)
    assert "deploymentgroup:shop-dev/shop-dev-worker" not in text
    assert "deploymentgroup:shop-dev/*" not in text


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
    one = json.dumps(deployer_policy_sections(config, "dev"))
    assert one == json.dumps(deployer_policy_sections(config, "dev"))


def test_unknown_function_or_environment(config: Config) -> None:
    with pytest.raises(UsageError, match="unknown function 'nope'"):
        deployer_policy(config, "dev", "nope")
    with pytest.raises(UsageError, match="unknown environment 'qa'"):
        deployer_policy(config, "qa", "api")


# --- owners -----------------------------------------------------------------------------------


SSO = Owner("role", "AWSReservedSSO_Dev_abc123", attachable=False)


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("arn:aws:iam::123456789012:role/web-team", Owner("role", "web-team")),
        ("arn:aws:iam::123456789012:role/teams/web/web-team", Owner("role", "web-team")),
        ("arn:aws:iam::123456789012:user/alice", Owner("user", "alice")),
        ("arn:aws:iam::123456789012:user/people/bob", Owner("user", "bob")),
        ("arn:aws:iam::123456789012:group/devs", Owner("group", "devs")),
        ("arn:aws-cn:iam::123456789012:group/ops/devs", Owner("group", "devs")),
        ("arn:aws:sts::123456789012:assumed-role/ci/session-1", Owner("role", "ci")),
        ("deployers", Owner("role", "deployers")),
        ("arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_abc123", SSO),
        ("AWSReservedSSO_Dev_abc123", SSO),
    ],
)
def test_owner_forms(spelling: str, expected: Owner) -> None:
    assert owner(spelling) == expected


def test_owners_sorted_and_each_once(config: Config) -> None:
    spellings = (
        "zeta",
        "arn:aws:iam::1:role/alpha",
        "arn:aws:iam::1:role/path/zeta",
        "arn:aws:iam::1:user/u",
        "arn:aws:iam::1:group/g",
    )
    api = replace(config.function("api"), owners=spellings)
    worker = replace(config.function("worker"), owners=("zeta",))
    edited = replace(config, functions={**config.functions, "api": api, "worker": worker})
    assert list(owned_functions(edited).items()) == [
        (Owner("group", "g"), ("api",)),
        (Owner("role", "alpha"), ("api",)),
        (Owner("role", "zeta"), ("api", "worker")),
        (Owner("user", "u"), ("api",)),
    ]


@pytest.mark.parametrize(
    "spelling", ["arn:aws:iam::123456789012:root", "arn:aws:iam::1:policy/x", "two words", ""]
)
def test_bad_owners(spelling: str) -> None:
    message = r"functions\.api\.owners: .* is not a role, user or group"
    with pytest.raises(ConfigError, match=message):
        owner(spelling, "functions.api.owners")


# --- CloudFormation: one policy per owner -----------------------------------------------------

WEB_TEAM_POLICY = "RoleWebTeam46eb0578DeployerPolicy1"
FULFILMENT_POLICY = "RoleFulfilmentTeam40fc2f3dDeployerPolicy1"


def sections(config: Config, env: str = "dev", **kwargs: Any) -> dict[str, dict[str, Any]]:
    """The deployer policies' resources and outputs, merged, and the entry each comes from."""
    merged: dict[str, dict[str, Any]] = {"Resources": {}, "Outputs": {}, "Labels": {}}
    for label, part in deployer_policy_sections(config, env, **kwargs):
        for section, items in part.items():
            merged[section].update(items)
            merged["Labels"].update(dict.fromkeys(items, label))
    return merged


def test_each_owner_gets_its_policy_and_an_unowned_function_none(config: Config) -> None:
    rendered = sections(config)
    assert sorted(rendered["Resources"]) == [FULFILMENT_POLICY, WEB_TEAM_POLICY]
    assert rendered["Labels"][WEB_TEAM_POLICY] == "functions.api.owners"
    web = rendered["Resources"][WEB_TEAM_POLICY]
    assert web["Type"] == "AWS::IAM::ManagedPolicy"
    props = web["Properties"]
    assert props["ManagedPolicyName"] == "shop-dev-role-web-team-deployer-1"
    assert props["Roles"] == ["web-team"]
    assert "Users" not in props and "Groups" not in props
    assert rendered["Resources"][FULFILMENT_POLICY]["Properties"]["Roles"] == ["fulfilment-team"]
    text = json.dumps(rendered["Resources"])
    assert "shop-dev-nightly" not in text  # nightly has no owner: no policy names it
    push = statements(props["PolicyDocument"])["ReadPushAndInvokeTheseFunctions"]
    arn = "arn:${AWS::Partition}:lambda:${AWS::Region}:${AWS::AccountId}:function:shop-dev-api"
    assert push["Resource"] == [{"Fn::Sub": arn}, {"Fn::Sub": f"{arn}:*"}]


def test_owners_can_be_left_unattached(config: Config) -> None:
    rendered = sections(config, "local", attach_owners=False)
    assert sorted(rendered["Resources"]) == [FULFILMENT_POLICY, WEB_TEAM_POLICY]
    assert all("Roles" not in r["Properties"] for r in rendered["Resources"].values())


def test_outputs(config: Config) -> None:
    outputs = sections(config)["Outputs"]
    assert sorted(outputs) == [f"{FULFILMENT_POLICY}Arn", f"{WEB_TEAM_POLICY}Arn"]
    assert outputs[f"{WEB_TEAM_POLICY}Arn"]["Value"] == {"Ref": WEB_TEAM_POLICY}
    assert outputs[f"{WEB_TEAM_POLICY}Arn"]["Export"] == {
        "Name": {"Fn::Sub": f"${{AWS::StackName}}-{WEB_TEAM_POLICY}Arn"}
    }


def test_a_user_and_a_group_owner_are_attached_as_such(config: Config) -> None:
    api = replace(config.function("api"), owners=("arn:aws:iam::1:user/alice",))
    worker = replace(config.function("worker"), owners=("arn:aws:iam::1:group/ops/devs",))
    edited = replace(config, functions={**config.functions, "api": api, "worker": worker})
    attached = [r["Properties"] for r in sections(edited)["Resources"].values()]
    kinds = [{k: p[k] for k in ("Roles", "Users", "Groups") if k in p} for p in attached]
    assert sorted(kinds, key=json.dumps) == [{"Groups": ["devs"]}, {"Users": ["alice"]}]


def test_the_owner_document_is_the_union_of_its_functions_and_whoami_on_itself(
    config: Config,
) -> None:
    both = ("api", "worker")
    team = Owner("role", "web-team")
    doc = owner_document(config, "dev", team, both, region=REGION, account=ACCOUNT)
    granted = {a for s in doc["Statement"] if s["Effect"] == "Allow" for a in s["Action"]}
    assert granted == DEPLOYER_ACTIONS
    s = statements(doc)
    arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:shop-dev"
    assert s["ReadPushAndInvokeTheseFunctions"]["Resource"] == [
        f"{arn}-api",
        f"{arn}-api:*",
        f"{arn}-worker",
        f"{arn}-worker:*",
    ]
    assert s["ListTheirPrefixesSoMissingArtifactsAreNotFound"]["Condition"] == {
        "StringLike": {"s3:prefix": ["shop/dev/api/*", "shop/dev/worker/*"]}
    }
    assert s["NeverDeleteLatestWhichTakesTheFunction"]["Resource"] == [
        f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:*:$LATEST"
    ]
    assert s["WhoamiSimulatesTheOwnerItself"] == {
        "Sid": "WhoamiSimulatesTheOwnerItself",
        "Effect": "Allow",
        "Action": ["iam:SimulatePrincipalPolicy"],
        "Resource": [
            f"arn:aws:iam::{ACCOUNT}:role/web-team",
            f"arn:aws:iam::{ACCOUNT}:role/*/web-team",
        ],
    }


@pytest.mark.parametrize(
    ("owner", "simulated"),
    [
        (Owner("user", "alice"), ["user/alice", "user/*/alice"]),
        # a group's members are users the policy cannot name: each may simulate itself
        (Owner("group", "devs"), ["user/${aws:username}", "user/*/${aws:username}"]),
    ],
)
def test_whoami_simulates_the_holder_only(
    config: Config, owner: Owner, simulated: list[str]
) -> None:
    doc = owner_document(config, "dev", owner, ["api"], region=REGION, account=ACCOUNT)
    resources = statements(doc)["WhoamiSimulatesTheOwnerItself"]["Resource"]
    assert resources == [f"arn:aws:iam::{ACCOUNT}:{r}" for r in simulated]


def test_substitute_wraps_only_strings_with_variables() -> None:
    assert substitute({"a": ["x", "${AWS::Region}"], "b": 1}) == {
        "a": ["x", {"Fn::Sub": "${AWS::Region}"}],
        "b": 1,
    }
    # an IAM policy variable is escaped for Fn::Sub, which gives it back as it was
    assert substitute("arn:${AWS::Partition}:iam::${AWS::AccountId}:user/${aws:username}") == {
        "Fn::Sub": "arn:${AWS::Partition}:iam::${AWS::AccountId}:user/${!aws:username}"
    }
    assert substitute("user/${aws:username}") == "user/${aws:username}"


def test_cfn_lint_clean(config: Config) -> None:
    from cfnlint.api import ManualArgs, lint

    group = replace(config.function("worker"), owners=("arn:aws:iam::1:group/devs",))
    edited = replace(config, functions={**config.functions, "worker": group})
    rendered = sections(edited)
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Resources": rendered["Resources"],
        "Outputs": rendered["Outputs"],
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


@pytest.mark.parametrize("kind", ["role", "user", "group"])
def test_parliament_finds_nothing_in_an_owners_document(config: Config, kind: str) -> None:
    owner = Owner(kind, "web-team")
    functions = ["api", "nightly", "worker"]
    doc = owner_document(config, "dev", owner, functions, region=REGION, account=ACCOUNT)
    assert _findings(doc) == []


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
    assert "the deployer policies of its owners grant it" in line
    assert "arn:aws:iam::123456789012:role/web-team" in line
    assert "functions.api.owners" in line and "twophase policy api" in line


def test_explain_a_deployer_action_of_a_function_without_owners(config: Config) -> None:
    line = explain_access_denied(config, "dev", "nightly", "lambda:PublishVersion")
    assert line.startswith("shop-dev-nightly: access denied for lambda:PublishVersion;")
    assert "it has no owner, so no deployer policy of the stack grants it" in line
    assert "functions.nightly.owners" in line and "twophase policy nightly" in line


def test_explain_an_operation_named_differently(config: Config) -> None:
    line = explain_access_denied(config, "dev", "worker", "s3:HeadObject")
    assert "access denied for s3:GetObject" in line and "role/fulfilment-team" in line


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
    assert "lambda:PublishVersion" in str(error) and "role/web-team" in str(error)
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
    "spelling",
    [
        "arn:aws:iam::123456789012:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_Dev_abc123",
        "AWSReservedSSO_Dev_abc123",
    ],
)
def test_identity_center_owners_take_no_attachment(config: Config, spelling: str) -> None:
    from twophase.infra.owners import permission_set_notes

    api = replace(config.function("api"), owners=(spelling, "web-team"))
    edited = replace(config, functions={**config.functions, "api": api})
    rendered = sections(edited, artifact_bucket="b")["Resources"]
    assert sorted(rendered) == [FULFILMENT_POLICY, WEB_TEAM_POLICY]  # none for the SSO role
    assert rendered[WEB_TEAM_POLICY]["Properties"]["Roles"] == ["web-team"]
    assert "AWSReservedSSO" not in json.dumps(rendered)
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
