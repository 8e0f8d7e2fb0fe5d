"""Classifying change-set rows and the preflight that refuses to lose pushed code."""

from __future__ import annotations

from typing import Any

from twophase.aws.cloudformation import ResourceChange
from twophase.infra.plan import Risk, classify, owning_function, refusals
from twophase.names import artifact_bucket_name

DEPLOYED = {
    "Resources": {
        "ApiFunction": {
            "Type": "AWS::Lambda::Function",
            "Properties": {"FunctionName": "shop-dev-api"},
        },
        "ApiAliasLive": {
            "Type": "AWS::Lambda::Alias",
            "Properties": {"FunctionName": {"Ref": "ApiFunction"}, "Name": "live"},
        },
        "ApiVersion": {
            "Type": "AWS::Lambda::Version",
            "Properties": {"FunctionName": {"Fn::GetAtt": ["ApiFunction", "Arn"]}},
        },
        "OrdersTable": {"Type": "AWS::DynamoDB::Table", "Properties": {}},
    }
}


def test_owning_function_follows_refs_and_getatts() -> None:
    assert owning_function(DEPLOYED, "ApiFunction") == "shop-dev-api"
    assert owning_function(DEPLOYED, "ApiAliasLive") == "shop-dev-api"
    assert owning_function(DEPLOYED, "ApiVersion") == "shop-dev-api"
    assert owning_function(DEPLOYED, "OrdersTable") == ""
    assert owning_function(DEPLOYED, "Missing") == ""


def test_removing_a_function_with_pushed_code_is_refused_unless_allowed() -> None:
    changes = (
        ResourceChange("Remove", "ApiFunction", "AWS::Lambda::Function", "shop-dev-api", ""),
        ResourceChange("Remove", "ApiAliasLive", "AWS::Lambda::Alias", "arn", ""),
    )
    rows = classify(changes, DEPLOYED, {"shop-dev-api": True}, {"shop-dev-api": "api"})
    by_id = {r.logical_id: r for r in rows}
    assert by_id["ApiFunction"].risk is Risk.LOSES_CODE
    assert "holds pushed code" in by_id["ApiFunction"].danger
    assert by_id["ApiAliasLive"].risk is None  # an alias loses no code (traffic is judged apart)
    assert {r.function for r in rows} == {"api"}
    refused = refusals(rows, frozenset())
    assert len(refused) == 1
    assert "--allow-delete api" in refused[0]
    assert refusals(rows, frozenset({"api"})) == ()


def test_removing_a_function_that_only_holds_its_dummy_is_not_dangerous() -> None:
    changes = (ResourceChange("Remove", "ApiFunction", "AWS::Lambda::Function", "x", ""),)
    rows = classify(changes, DEPLOYED, {"shop-dev-api": False}, {"shop-dev-api": "api"})
    assert rows[0].danger == ""
    assert refusals(rows, frozenset()) == ()


def test_modify_without_replacement_is_safe_and_replacement_of_data_is_marked() -> None:
    changes = (
        ResourceChange(
            "Modify", "ApiFunction", "AWS::Lambda::Function", "x", "False", ("MemorySize",)
        ),
        ResourceChange(
            "Modify", "OrdersTable", "AWS::DynamoDB::Table", "t", "True", ("KeySchema",)
        ),
    )
    rows = {
        r.logical_id: r
        for r in classify(changes, DEPLOYED, {"shop-dev-api": True}, {"shop-dev-api": "api"})
    }
    assert rows["ApiFunction"].danger == ""
    assert rows["ApiFunction"].details == ("MemorySize",)
    assert rows["OrdersTable"].danger == "replaces a data resource"
    assert rows["OrdersTable"].describe().startswith("Replace OrdersTable")


def test_artifact_bucket_names_are_deterministic_and_valid() -> None:
    name = artifact_bucket_name("shop", "dev", "123456789012", "eu-west-1")
    assert name == "shop-dev-artifacts-123456789012-eu-west-1"
    long = artifact_bucket_name("a" * 30, "production", "123456789012", "ap-southeast-2")
    assert len(long) <= 63
    assert long == artifact_bucket_name("a" * 30, "production", "123456789012", "ap-southeast-2")
    assert long != artifact_bucket_name("a" * 31, "production", "123456789012", "ap-southeast-2")


def test_a_shortened_physical_name_is_shown_by_its_twophase_yml_name() -> None:
    """A preview's long function name is shortened with a hash, so its short name cannot be read
    off the physical one: the plan maps it back from the templates' records, so `--allow-delete`
    takes the name twophase.yml uses (a removed function is only in the deployed template)."""
    from twophase.infra.plan_up import short_names
    from twophase.names import function_name

    long = "order-fulfilment-reconciliation-worker"
    env = "pr-1234-a-rather-long-branch-name"
    physical = function_name("shop", env, long)
    assert len(physical) <= 64 and not physical.endswith(long)  # shortened
    deployed: dict[str, Any] = {"Metadata": {"Twophase": {"Functions": {long: {}}}}}
    template: dict[str, Any] = {"Metadata": {"Twophase": {"Functions": {"api": {}}}}}
    names = short_names("shop", env, deployed, template)
    assert names == {physical: long, function_name("shop", env, "api"): "api"}
