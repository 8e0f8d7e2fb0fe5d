"""Phase one's traffic preflight, judged by effect against an in-memory Lambda.

CloudFormation applies the template's `FunctionVersion` on any update of an `AWS::Lambda::Alias`
(CloudFormation user guide, aws-resource-lambda-alias: FunctionVersion "Update requires: No
interruption"), and a trigger calls whatever its `Ref` names after the update. The aliases' real
targets live in Lambda only (phase two moves them out of band).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from twophase.aws.cloudformation import ResourceChange
from twophase.aws.lambda_client import AliasState
from twophase.errors import NotFoundError
from twophase.infra.traffic import (
    DUMMY,
    AliasReader,
    Target,
    new_alias_targets,
    traffic_risks,
)

FN = "shop-dev-api"


@dataclass
class FakeAliases:
    aliases: dict[str, list[AliasState]] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)

    def list_aliases(self, function: str) -> list[AliasState]:
        self.reads.append(function)
        if function not in self.aliases:
            raise NotFoundError(f"{function} not found")
        return self.aliases[function]


def reader(**targets: tuple[str, dict[str, float]]) -> AliasReader:
    fake = FakeAliases(
        {FN: [AliasState(name, v, "r", "", w) for name, (v, w) in sorted(targets.items())]}
    )
    return AliasReader(fake)


def alias(name: str, version: Any = None) -> dict[str, Any]:
    props: dict[str, Any] = {"FunctionName": {"Ref": "ApiFunction"}, "Name": name}
    props["FunctionVersion"] = version or {"Fn::GetAtt": ["ApiVersion", "Version"]}
    return {"Type": "AWS::Lambda::Alias", "Properties": props}


def template(serving: str, *extra: str, version: Any = None) -> dict[str, Any]:
    resources: dict[str, Any] = {
        "ApiFunction": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": FN}},
        "ApiHttpIntegration": {
            "Type": "AWS::ApiGatewayV2::Integration",
            "Properties": {"IntegrationUri": {"Ref": f"ApiAlias{serving.title()}"}},
        },
        "NightlySchedule": {
            "Type": "AWS::Events::Rule",
            "Properties": {"Targets": [{"Arn": {"Ref": f"ApiAlias{serving.title()}"}}]},
        },
    }
    for name in ("next", "live", *extra):
        resources[f"ApiAlias{name.title()}"] = alias(name, version if name in extra else None)
    return {"Resources": resources}


def modify(logical_id: str, resource_type: str) -> ResourceChange:
    return ResourceChange("Modify", logical_id, resource_type, "x", "False", ())


def test_a_new_alias_starts_where_the_serving_alias_is_today_with_its_weights() -> None:
    found = new_alias_targets(
        {"api": (["next", "live"], ["next", "live", "prod"], FN)},
        reader(next=("5", {}), live=("3", {"4": 0.1})),
    )
    assert found == {"api": {"prod": Target("3", (("4", 0.1),))}}
    assert Target("3", (("4", 0.1),)).routing_config() == {
        "AdditionalVersionWeights": [{"FunctionVersion": "4", "FunctionWeight": 0.1}]
    }


def test_an_unchanged_chain_reads_nothing() -> None:
    fake = FakeAliases()
    found = new_alias_targets({"api": (["next", "live"], ["next", "live"], FN)}, AliasReader(fake))
    assert found == {} and fake.reads == []


def test_triggers_moved_to_an_alias_serving_other_code_are_refused() -> None:
    """Removing `live` from [next, live] points every trigger at `next`."""
    risks = traffic_risks(
        (
            modify("ApiHttpIntegration", "AWS::ApiGatewayV2::Integration"),
            modify("NightlySchedule", "AWS::Events::Rule"),
        ),
        template("live"),
        template("next"),
        reader(next=("5", {}), live=("3", {})),
    )
    assert [r.logical_id for r in risks] == ["ApiHttpIntegration", "NightlySchedule"]
    assert "would call next (v5) instead of live (v3)" in risks[0].reason
    assert "alias promote FUNCTION --from next --to live" in risks[0].fix


def test_triggers_moved_between_aliases_serving_the_same_release_are_fine() -> None:
    risks = traffic_risks(
        (modify("ApiHttpIntegration", "AWS::ApiGatewayV2::Integration"),),
        template("live"),
        template("next"),
        reader(next=("3", {}), live=("3", {})),
    )
    assert risks == ()


def test_a_trigger_moved_to_a_new_alias_at_the_same_target_is_fine() -> None:
    """Appending `prod`: it is created at live's target, and the triggers move to it."""
    risks = traffic_risks(
        (modify("ApiHttpIntegration", "AWS::ApiGatewayV2::Integration"),),
        template("live"),
        template("prod", "prod", version="3"),
        reader(next=("5", {}), live=("3", {})),
    )
    assert risks == ()


def test_a_trigger_moved_to_a_new_alias_at_the_dummy_is_refused() -> None:
    after = template("prod", "prod")
    risks = traffic_risks(
        (modify("ApiHttpIntegration", "AWS::ApiGatewayV2::Integration"),),
        template("live"),
        after,
        reader(next=("5", {}), live=("3", {})),
    )
    assert len(risks) == 1 and "instead of live (v3)" in risks[0].reason
    assert DUMMY.describe() == "vdummy"


def test_a_split_counts_as_part_of_what_a_trigger_reaches() -> None:
    risks = traffic_risks(
        (modify("ApiHttpIntegration", "AWS::ApiGatewayV2::Integration"),),
        template("live"),
        template("next"),
        reader(next=("3", {}), live=("3", {"4": 0.1})),
    )
    assert len(risks) == 1 and "v3 +v4 10%" in risks[0].reason


def test_any_update_of_a_deployed_alias_is_refused() -> None:
    risks = traffic_risks(
        (modify("ApiAliasLive", "AWS::Lambda::Alias"),),
        template("live"),
        template("live"),
        reader(next=("5", {}), live=("3", {})),
    )
    assert len(risks) == 1
    assert "would apply the template's version to it, moving it off v3" in risks[0].reason


def test_a_trigger_change_that_keeps_its_alias_is_fine_and_reads_one_function() -> None:
    fake = FakeAliases({FN: [AliasState("live", "3", "r")]})
    risks = traffic_risks(
        (modify("NightlySchedule", "AWS::Events::Rule"),),
        template("live"),
        template("live"),
        AliasReader(fake),
    )
    assert risks == () and fake.reads == [FN]
