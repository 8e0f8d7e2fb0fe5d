"""The CI roles template (infra/cloudformation/ci-oidc-roles.yaml) that docs/ci.md relies on.

It passes cfn-lint; parliament finds nothing in its policies; each role trusts only its GitHub
jobs; the dev and prod roles grant exactly the deployer policy's actions; the preview role stays
on `<app>-pr-*` names wherever IAM lets a name be named.
"""

from __future__ import annotations

import fnmatch
import json
import re
from pathlib import Path
from typing import Any

import pytest

from twophase.release.access import DEPLOYER_ACTIONS

TEMPLATE = Path(__file__).resolve().parents[2] / "infra" / "cloudformation" / "ci-oidc-roles.yaml"
VALUES = {
    "AppName": "shop",
    "GitHubRepository": "acme/shop",
    "AWS::Partition": "aws",
    "AWS::Region": "eu-west-1",
    "AWS::AccountId": "123456789012",
}
# One owner of each kind twophase.yml accepts (with roles only, the user and group actions of the
# owners' statement would match nothing, which parliament reports as a mismatch).
OWNERS = ",".join(
    f"arn:aws:iam::123456789012:{kind}" for kind in ("role/web-team", "user/alice", "group/ops")
)
SUB = "token.actions.githubusercontent.com:sub"
AUD = "token.actions.githubusercontent.com:aud"
# The preview role's statements IAM gives no name to scope by, each for the reason its Sid says.
UNNAMED = {
    "FindPreviewStacksByTag",
    "CreateMappingsOfPreviewFunctionsOnly",  # scoped by the lambda:FunctionArn condition
    "ChangeMappingsOfPreviewFunctionsOnly",  # idem
    "ReadMappings",
    "ListMappings",
    "ListingLogGroupsHasNoResourceInIam",
    "MetricReadsHaveNoResourceLevelPermissionsInIam",
    "ReadAlarmStatesForHealthChecks",
    "HttpApisHaveNoNamesInTheirArns",
    "OnlyPreviewPoliciesOnTheOwners",  # the owners twophase.yml names, only `shop-pr-*` policies
    "WhoamiSimulatesThisRoleOnly",  # the role itself (test_each_role_may_simulate_itself_only)
    "ReadAwsPredefinedDeploymentConfigurations",  # CodeDeployDefault.*, AWS's, read only
    "FollowAndStopDeploymentsHaveNoResourceLevelPermissionsInIam",
}


@pytest.fixture(scope="module")
def template() -> dict[str, Any]:
    from cfnlint.decode import decode_str

    decoded, problems = decode_str(TEMPLATE.read_text())
    assert problems == [] and decoded is not None
    return json.loads(json.dumps(decoded))


def literal(node: Any, template: dict[str, Any], **given: Any) -> Any:
    """`node` evaluated as CloudFormation would, with the parameters' defaults, `VALUES` and
    `given`: `Fn::Sub`, `Ref`, `Fn::If` (and the conditions it names), `AWS::NoValue`."""
    values = {name: p.get("Default", "") for name, p in template["Parameters"].items()}
    values |= VALUES | given
    for name, p in template["Parameters"].items():
        if p["Type"] == "CommaDelimitedList" and isinstance(values[name], str):
            values[name] = [v for v in values[name].split(",") if v] or [""]
    return _evaluate(node, template, values)


def _evaluate(node: Any, template: dict[str, Any], values: dict[str, Any]) -> Any:
    def again(value: Any) -> Any:
        return _evaluate(value, template, values)

    if isinstance(node, list):
        return [v for v in (again(value) for value in node) if v is not _NO_VALUE]
    if not isinstance(node, dict):
        return node
    match list(node):
        case ["Fn::Sub"]:
            return re.sub(r"\$\{([^}]+)\}", lambda m: values[m.group(1)], node["Fn::Sub"])
        case ["Ref"]:
            name = node["Ref"]  # a parameter, or a resource (its name stands for its ARN)
            return _NO_VALUE if name == "AWS::NoValue" else values.get(name, f"<{name}>")
        case ["Fn::If"]:
            condition, yes, no = node["Fn::If"]
            return again(yes if again(template["Conditions"][condition]) else no)
        case ["Fn::Equals"]:
            first, second = again(node["Fn::Equals"])
            return first == second
        case ["Fn::Not"]:
            return not again(node["Fn::Not"][0])
        case ["Fn::Join"]:
            separator, parts = again(node["Fn::Join"])
            return separator.join(parts)
    return {key: again(value) for key, value in node.items()}


_NO_VALUE = object()


def policies(template: dict[str, Any], **given: Any) -> dict[str, dict[str, Any]]:
    """Every permissions policy in the template, literal, by resource (and inline name)."""
    found = {}
    for name, resource in template["Resources"].items():
        props = resource["Properties"]
        for inline in props.get("Policies", []):
            document = literal(inline["PolicyDocument"], template, **given)
            found[f"{name}/{inline['PolicyName']}"] = document
        if "PolicyDocument" in props:
            found[name] = literal(props["PolicyDocument"], template, **given)
    return found


def statements(document: dict[str, Any], effect: str = "Allow") -> list[dict[str, Any]]:
    return [s for s in document["Statement"] if s["Effect"] == effect]


def actions(document: dict[str, Any], effect: str = "Allow") -> set[str]:
    out: set[str] = set()
    for statement in statements(document, effect):
        action = statement["Action"]
        out |= {action} if isinstance(action, str) else set(action)
    return out


def test_cfn_lint_reports_nothing() -> None:
    from cfnlint.api import ManualArgs, lint

    matches = lint(TEMPLATE.read_text(), config=ManualArgs(regions=["us-east-1", "eu-west-1"]))
    assert [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches] == []


@pytest.mark.parametrize("owners", ["", OWNERS])
def test_parliament_finds_nothing_in_any_policy(template: dict[str, Any], owners: str) -> None:
    parliament = pytest.importorskip("parliament")
    found = policies(template, PreviewOwnerArns=owners)
    assert set(found) == {"PreviewRole/previews", "DevPushPolicy", "ProdPushPolicy"}
    for name, document in found.items():
        analysed = parliament.analyze_policy_string(json.dumps(document))
        assert [(name, f.issue, f.detail) for f in analysed.findings] == []


def test_previews_attach_only_their_own_policies_and_only_to_the_owners_named(
    template: dict[str, Any],
) -> None:
    def attaching(owners: str) -> list[dict[str, Any]]:
        document = policies(template, PreviewOwnerArns=owners)["PreviewRole/previews"]
        return [
            s for s in statements(document) if any(a.startswith("iam:Attach") for a in s["Action"])
        ]

    assert [s["Resource"] for s in attaching("")] == ["arn:aws:iam::123456789012:role/shop-pr-*"]
    assert [s["Resource"] for s in attaching(OWNERS)] == [
        "arn:aws:iam::123456789012:role/shop-pr-*",
        OWNERS.split(","),
    ]
    for statement in attaching(OWNERS):
        assert statement["Condition"] == {
            "ArnLike": {"iam:PolicyARN": "arn:aws:iam::123456789012:policy/shop-pr-*"}
        }


@pytest.mark.parametrize(
    ("role", "subjects"),
    [
        ("PreviewRole", ["repo:acme/shop:pull_request", "repo:acme/shop:environment:previews"]),
        ("DevRole", ["repo:acme/shop:ref:refs/heads/main"]),
        ("ProdRole", ["repo:acme/shop:environment:prod"]),
    ],
)
def test_each_role_trusts_only_its_jobs_of_the_repository(
    template: dict[str, Any], role: str, subjects: list[str]
) -> None:
    trust = literal(template["Resources"][role]["Properties"]["AssumeRolePolicyDocument"], template)
    [statement] = trust["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "sts:AssumeRoleWithWebIdentity"
    assert set(statement["Principal"]) == {"Federated"}
    assert set(statement["Condition"]) == {"StringEquals"}  # exact values, no wildcard
    claims = statement["Condition"]["StringEquals"]
    assert claims[AUD] == "sts.amazonaws.com"
    given = claims[SUB]
    assert ([given] if isinstance(given, str) else given) == subjects


def test_the_provider_is_created_only_when_none_is_given(template: dict[str, Any]) -> None:
    provider = template["Resources"]["GitHubOidcProvider"]
    assert provider["Condition"] == "CreateProvider"
    assert provider["Properties"]["Url"] == "https://token.actions.githubusercontent.com"
    assert provider["Properties"]["ClientIdList"] == ["sts.amazonaws.com"]
    assert template["Conditions"]["CreateProvider"] == {
        "Fn::Equals": [{"Ref": "ExistingOidcProviderArn"}, ""]
    }


@pytest.mark.parametrize(("policy", "env"), [("DevPushPolicy", "dev"), ("ProdPushPolicy", "prod")])
def test_dev_and_prod_grant_the_deployer_policys_actions_and_no_other(
    template: dict[str, Any], policy: str, env: str
) -> None:
    document = policies(template)[policy]
    assert actions(document) == set(DEPLOYER_ACTIONS)
    assert actions(document, "Deny") == {"lambda:DeleteFunction"}
    lambda_arns = [
        arn
        for statement in statements(document)
        for arn in statement["Resource"]
        if ":lambda:" in arn
    ]
    prefix = f"arn:aws:lambda:eu-west-1:123456789012:function:shop-{env}-*"
    assert lambda_arns and all(arn.startswith(prefix) for arn in lambda_arns)


@pytest.mark.parametrize(
    ("policy", "role"),
    [
        ("PreviewRole/previews", "shop-ci-preview"),
        ("DevPushPolicy", "shop-ci-dev"),
        ("ProdPushPolicy", "shop-ci-prod"),
    ],
)
def test_each_role_may_simulate_itself_only(
    template: dict[str, Any], policy: str, role: str
) -> None:
    """`twophase whoami` simulates the caller's own policies (iam:SimulatePrincipalPolicy, which
    IAM authorises on the simulated principal's ARN): each role may simulate itself, no one else."""
    simulating = [
        s for s in statements(policies(template)[policy]) if "SimulatePrincipalPolicy" in str(s)
    ]
    assert simulating == [
        {
            "Sid": "WhoamiSimulatesThisRoleOnly",
            "Effect": "Allow",
            "Action": "iam:SimulatePrincipalPolicy",
            "Resource": f"arn:aws:iam::123456789012:role/{role}",
        }
    ]


def test_the_preview_role_may_push_to_previews(template: dict[str, Any]) -> None:
    granted = actions(policies(template)["PreviewRole/previews"])
    assert set(DEPLOYER_ACTIONS) <= granted


def test_the_preview_role_stays_on_preview_names(template: dict[str, Any]) -> None:
    """Every statement IAM can scope by name names `shop-pr-*`, so no dev or prod resource
    (`shop-dev-*`, `shop-prod-*`, the CI roles `shop-ci-*`) matches it."""
    document = policies(template, PreviewOwnerArns=OWNERS)["PreviewRole/previews"]
    others = [
        "arn:aws:lambda:eu-west-1:123456789012:function:shop-dev-api",
        "arn:aws:cloudformation:eu-west-1:123456789012:stack/shop-prod/abc",
        "arn:aws:iam::123456789012:role/shop-ci-preview",
        "arn:aws:iam::123456789012:role/shop-dev-ApiRole-ABC",
        "arn:aws:s3:::shop-dev-artifacts-123456789012-eu-west-1/dummies/x.zip",
        "arn:aws:logs:eu-west-1:123456789012:log-group:/aws/lambda/shop-dev-api",
        "arn:aws:sns:eu-west-1:123456789012:shop-dev-order-events",
    ]
    scoped = [s for s in statements(document) if s["Sid"] not in UNNAMED]
    assert {s["Sid"] for s in statements(document)} - {s["Sid"] for s in scoped} == UNNAMED
    for statement in scoped:
        resources = statement["Resource"]
        for arn in [resources] if isinstance(resources, str) else resources:
            assert "shop-pr-*" in arn, (statement["Sid"], arn)
            assert not [o for o in others if fnmatch.fnmatchcase(o, arn)], (statement["Sid"], arn)
    assert fnmatch.fnmatchcase(
        "arn:aws:lambda:eu-west-1:123456789012:function:shop-pr-42-api",
        "arn:aws:lambda:eu-west-1:123456789012:function:shop-pr-*",
    )
