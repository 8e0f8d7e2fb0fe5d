"""An app past one stack's limits is split into a root and nested stacks, and read back as one.

The promises: every function lives in exactly one stack, and never moves (a move would delete it
in one stack and create it in another, losing its code) whatever the user does to twophase.yml:
add functions before or after the others, remove some, reorder them. An app that fits one stack
keeps its template unchanged. `assemble` gives back the whole template `split` was given, so the
checks that compare with what is deployed see one template whatever the layout.
"""

from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest

from twophase.config.load import load_config
from twophase.config.model import Config
from twophase.errors import ConfigError
from twophase.infra.render import DummyCode, dump_template
from twophase.infra.render.nesting import (
    CHILD,
    STACK_TYPE,
    Layout,
    assemble,
    child_ids,
    compact,
)
from twophase.infra.render.template import render_layout

EXAMPLE = Path(__file__).resolve().parents[2] / "twophase.yml.example"
BUCKET = "shop-artifacts-123456789012"
PSEUDO = {"AWS::Region", "AWS::AccountId", "AWS::Partition", "AWS::URLSuffix", "AWS::NoValue"}


@pytest.fixture(scope="module")
def example() -> Config:
    return load_config(EXAMPLE)


def grown(config: Config, names: list[str]) -> Config:
    """The example plus one function per name, cycling through its HTTP, queue and schedule
    functions as models (mixed triggers)."""
    models = [config.function(n) for n in ("api", "worker", "nightly")]
    extra = {
        name: dataclasses.replace(models[i % 3], name=name, owners=())
        for i, name in enumerate(names)
    }
    return dataclasses.replace(config, functions={**config.functions, **extra})


def numbered(count: int, start: int = 0) -> list[str]:
    return [f"fn{i:03d}" for i in range(start, start + count)]


def layout(config: Config, deployed: dict[str, Any] | None = None) -> Layout:
    dummies = {n: DummyCode(BUCKET, f"dummies/{n}.zip", "sha=") for n in config.functions}
    return render_layout(config, "prod", dummies=dummies, artifact_bucket=BUCKET, deployed=deployed)


def deployed_view(done: Layout) -> dict[str, Any]:
    """What plan_up reads back from a deployed layout: the root and children, assembled."""
    root = json.loads(done.root_text)
    children = {c: json.loads(t.text) for c, t in done.children.items()}
    return assemble(root, children)


def test_an_app_that_fits_one_stack_is_not_split(example: Config) -> None:
    done = layout(grown(example, numbered(10)))
    assert done.children == {}
    assert done.root == done.whole
    assert child_ids(done.root) == []
    assert "Stack" not in json.dumps(done.root["Metadata"]["Twophase"]["Functions"])


def test_a_large_app_is_split_into_children_within_their_budget(example: Config) -> None:
    done = layout(grown(example, numbered(100)))
    assert len(done.children) >= 2
    for template in [done.root, *(c.template for c in done.children.values())]:
        assert len(template["Resources"]) <= 500
        assert len(template.get("Outputs", {})) <= 200
        assert len(template.get("Parameters", {})) <= 200
        assert len(dump_template(template).encode()) <= 1_000_000
    for child in done.children.values():
        assert len(child.template["Resources"]) <= CHILD.resources
    stacks = {i: b for i, b in done.root["Resources"].items() if b["Type"] == STACK_TYPE}
    assert sorted(stacks) == sorted(done.children) == child_ids(done.root)
    for child_id, child in done.children.items():
        url = stacks[child_id]["Properties"]["TemplateURL"]["Fn::Sub"]
        assert url.endswith(f"/{child.key}") and BUCKET in url
        assert child.text == compact(child.template)


def test_every_resource_and_output_is_in_exactly_one_stack(example: Config) -> None:
    done = layout(grown(example, numbered(100)))
    placed: list[str] = [i for i, b in done.root["Resources"].items() if b["Type"] != STACK_TYPE]
    outputs = list(done.root.get("Outputs", {}))
    for child in done.children.values():
        placed += list(child.template["Resources"])
        outputs += list(child.template.get("Outputs", {}))
    assert sorted(placed) == sorted(done.whole["Resources"])
    assert sorted(outputs) == sorted(done.whole["Outputs"])


def test_a_child_reaches_the_root_only_through_its_parameters(example: Config) -> None:
    done = layout(grown(example, numbered(100)))
    stacks = done.root["Resources"]
    for child_id, child in done.children.items():
        names = set(child.template["Resources"]) | set(child.template.get("Parameters", {}))
        for ref in references(child.template["Resources"]):
            assert ref in names or ref in PSEUDO, f"{child_id} names {ref}"
        passed = stacks[child_id]["Properties"].get("Parameters", {})
        assert set(passed) == set(child.template.get("Parameters", {}))
        for value in passed.values():  # what the root passes exists in the root
            for ref in references(value):
                assert (
                    ref in done.root["Resources"]
                    or ref in done.root.get("Parameters", {})
                    or ref.startswith("AWS::")
                )


def references(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, list):
        for v in value:
            found |= references(v)
    elif isinstance(value, dict):
        for key, argument in value.items():
            if key == "Ref":
                found.add(argument)
            elif key == "Fn::GetAtt":
                found.add(argument[0] if isinstance(argument, list) else argument.split(".")[0])
            elif key == "Fn::Sub":
                text = argument if isinstance(argument, str) else argument[0]
                found |= {p.split(".")[0] for p in _placeholders(text)}
            found |= references(argument)
    return found


def _placeholders(text: str) -> list[str]:
    import re

    return list(re.findall(r"\$\{([^}!][^}]*)\}", text))


def test_assemble_gives_back_the_whole_template(example: Config) -> None:
    """Up to a DependsOn that crossed into the root, which stays on the child stack."""
    done = layout(grown(example, numbered(100)))
    assembled = deployed_view(done)
    whole = copy.deepcopy(done.whole)
    for body in [*whole["Resources"].values(), *assembled["Resources"].values()]:
        body.pop("DependsOn", None)
    assert assembled == json.loads(dump_template(whole))


def assignment_after(before: Layout, config: Config) -> dict[str, str]:
    return dict(layout(config, deployed_view(before)).assignment)


@pytest.mark.parametrize(
    "edit",
    [
        "add-after",
        "add-before",
        "add-many",
        "remove-first",
        "remove-a-child-worth",
        "reorder",
        "change-memory",
    ],
)
def test_no_edit_moves_a_function_between_stacks(example: Config, edit: str) -> None:
    names = numbered(100, start=100)
    before = layout(grown(example, names))
    if edit == "add-after":
        config = grown(example, [*names, "zz-new"])
    elif edit == "add-before":
        config = grown(example, ["aa-new", *names])
    elif edit == "add-many":
        config = grown(example, [*numbered(60), *names])
    elif edit == "remove-first":
        config = grown(example, names[1:])
    elif edit == "remove-a-child-worth":
        config = grown(example, names[:10] + names[60:])
    elif edit == "reorder":
        config = grown(example, list(reversed(names)))
    else:
        config = grown(example, names)
        fn = dataclasses.replace(config.function("fn150"), memory=1024)
        config = dataclasses.replace(config, functions={**config.functions, "fn150": fn})
    after = assignment_after(before, config)
    for function, stack in before.assignment.items():
        if function in after:
            assert after[function] == stack, (
                f"{function} moved from {stack!r} to {after[function]!r}"
            )
    for template in layout(config, deployed_view(before)).stacks().values():
        assert len(template["Resources"]) <= 500


def test_a_flat_app_that_grows_keeps_its_functions_in_the_root(example: Config) -> None:
    before = layout(grown(example, numbered(20)))
    assert before.children == {}
    after = layout(grown(example, numbered(120)), deployed_view(before))
    assert after.children
    for function in before.assignment:
        assert after.assignment[function] == ""
    assert all(after.assignment[f] for f in numbered(100, start=20))


def test_new_functions_fill_the_room_removed_ones_left(example: Config) -> None:
    names = numbered(100)
    before = layout(grown(example, names))
    first_child = before.assignment["fn000"]
    freed = [n for n in names if before.assignment[n] == first_child][:5]
    kept = [n for n in names if n not in freed]
    after = layout(grown(example, [*kept, "zz1", "zz2"]), deployed_view(before))
    assert after.assignment["zz1"] == after.assignment["zz2"] == first_child


def test_a_function_the_shared_template_references_stays_in_the_root(example: Config) -> None:
    config = grown(example, numbered(100))
    shared = copy.deepcopy(config.shared_template())
    shared.setdefault("Outputs", {})["Fn050Arn"] = {
        "Value": {"Fn::GetAtt": ["Fn050Function", "Arn"]}
    }
    done = layout(dataclasses.replace(config, shared=shared))
    assert done.children
    assert done.assignment["fn050"] == ""
    assert "Fn050Function" in done.root["Resources"]


def test_a_shared_reference_to_a_nested_function_is_refused(example: Config) -> None:
    config = grown(example, numbered(100))
    before = layout(config)
    assert before.assignment["fn050"]
    shared = copy.deepcopy(config.shared_template())
    shared.setdefault("Outputs", {})["Fn050Arn"] = {
        "Value": {"Fn::GetAtt": ["Fn050Function", "Arn"]}
    }
    with pytest.raises(ConfigError, match=r"fn050.*nested stack"):
        layout(dataclasses.replace(config, shared=shared), deployed_view(before))


def test_the_layout_is_deterministic(example: Config) -> None:
    config = grown(example, numbered(100))
    first, second = layout(config), layout(config)
    assert dump_template(first.root) == dump_template(second.root)
    assert {c: t.text for c, t in first.children.items()} == {
        c: t.text for c, t in second.children.items()
    }


def test_a_function_referencing_another_stacks_function_is_refused(example: Config) -> None:
    config = grown(example, numbered(100))
    placed = layout(config).assignment
    assert placed["fn001"] != placed["fn099"]
    fn = config.function("fn099")
    env = {**fn.environment, "PEER": "${Fn001Function}"}
    edited = dataclasses.replace(
        config, functions={**config.functions, "fn099": dataclasses.replace(fn, environment=env)}
    )
    with pytest.raises(
        ConfigError, match=r"references 'Fn001Function', a resource of function fn001"
    ):
        layout(edited)
