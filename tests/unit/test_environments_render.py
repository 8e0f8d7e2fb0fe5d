"""Previews in phase one: names within AWS's limits (shortened with a stable hash only when they
would not fit), data deleted with the preview, and the app stack's tags."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from typing import Any

import pytest

from twophase import names
from twophase.config.load import load_config
from twophase.config.model import Config, EnvironmentPattern
from twophase.infra.render import DummyCode, render_template, stack_tags

REPO = Path(__file__).resolve().parents[2]
HASHED = re.compile(r"-[0-9a-f]{8}$")


@pytest.fixture(scope="module")
def example() -> Config:
    """The example app, with previews of `local` for every name starting `pr-`."""
    config = load_config(REPO / "twophase.yml.example")
    pattern = EnvironmentPattern("preview", "pr-*", "local", 86400)
    return dataclasses.replace(config, patterns={"preview": pattern})


def _render(config: Config, env: str) -> dict[str, Any]:
    dummies = {n: DummyCode("bucket", f"dummies/{n}.zip", "sha=") for n in config.functions}
    return render_template(config, env, dummies=dummies, artifact_bucket="bucket")


def _of_type(template: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [r for r in template["Resources"].values() if r["Type"] == kind]


# --- names ---------------------------------------------------------------------------------------


def test_names_that_fit_are_never_changed() -> None:
    assert names.function_name("shop", "dev", "api") == "shop-dev-api"
    assert names.stack_name("shop", "pr-42") == "shop-pr-42"
    assert names.artifact_stack_name("shop", "pr-42") == "shop-pr-42-artifacts"
    exactly = "a" * 20 + "-" + "b" * 20 + "-" + "c" * 22  # 64 characters
    assert names.function_name("a" * 20, "b" * 20, "c" * 22) == exactly


@pytest.mark.parametrize(
    ("make", "limit"),
    [
        (lambda env: names.function_name("shop", env, "order-worker"), 64),
        (lambda env: names.stack_name("shop", env), 128),
        (lambda env: names.artifact_stack_name("shop", env), 128),
        (lambda env: names.deployer_policy_name("shop", env, "order-worker"), 128),
        (lambda env: names.artifact_bucket_name("shop", env, "123456789012", "eu-west-1"), 63),
    ],
)
def test_a_long_preview_name_is_shortened_to_the_limit_stably_and_uniquely(
    make: Any, limit: int
) -> None:
    long_a = "pr-" + "a" * 140 + "-1"
    long_b = "pr-" + "a" * 140 + "-2"  # the same start: only the hash tells them apart
    name = make(long_a)
    assert len(name) <= limit and name.startswith("shop-pr-aaa")
    assert make(long_a) == name  # stable: any machine, any run finds the same resource
    assert make(long_b) != name


def test_shortening_ends_with_an_8_hex_hash_of_the_whole_name() -> None:
    name = names.function_name("shop", "pr-" + "x" * 70, "api")
    assert len(name) == 64 and HASHED.search(name)
    assert names.stack_name("a" * 60, "b" * 70) == names.stack_name("a" * 60, "b" * 70)
    assert len(names.stack_name("a" * 60, "b" * 70)) == 128
    # The app stack fits; its artifact stack, 10 characters longer, is shortened alone.
    stack = names.stack_name("a" * 60, "b" * 60)
    assert len(stack) == 121 and not HASHED.search(stack)
    assert len(names.artifact_stack_name("a" * 60, "b" * 60)) == 128


def test_a_long_preview_renders_every_physical_name_within_its_limit(example: Config) -> None:
    env = "pr-" + "9" * 80
    template = _render(example, env)
    functions = _of_type(template, "AWS::Lambda::Function")
    assert functions and all(len(f["Properties"]["FunctionName"]) <= 64 for f in functions)
    for group in _of_type(template, "AWS::Logs::LogGroup"):
        assert group["Properties"]["LogGroupName"][len("/aws/lambda/") :] in {
            f["Properties"]["FunctionName"] for f in functions
        }
    for policy in _of_type(template, "AWS::IAM::ManagedPolicy"):
        assert len(policy["Properties"]["ManagedPolicyName"]) <= 128


# --- data and tags -------------------------------------------------------------------------------


def test_a_previews_data_is_deleted_with_it_and_a_declared_environments_retained(
    example: Config,
) -> None:
    table = "OrdersTable"  # the shared template says DeletionPolicy: Retain
    declared = _render(example, "local")["Resources"][table]
    assert (declared["DeletionPolicy"], declared["UpdateReplacePolicy"]) == ("Retain", "Retain")
    preview = _render(example, "pr-1")["Resources"][table]
    assert (preview["DeletionPolicy"], preview["UpdateReplacePolicy"]) == ("Delete", "Delete")


def test_the_app_stack_is_tagged_with_what_env_list_finds_it_by(example: Config) -> None:
    assert stack_tags(example, "local") == {
        "twophase:app": "shop",
        "twophase:env": "local",
        "twophase:kind": "declared",
    }
    assert stack_tags(example, "pr-7") == {
        "twophase:app": "shop",
        "twophase:env": "pr-7",
        "twophase:kind": "preview",
        "twophase:base": "local",
        "twophase:ttl": "86400",
    }
