"""The alarms a deployment group watches are decided once (`twophase.config.alarms`): what phase
one renders on each group is what phase two's promotion names, and what the config check counts
against CodeDeploy's limit."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.unit.test_render_codedeploy import EXAMPLE, promoting, render
from twophase.config.alarms import MAX_GROUP_ALARMS, generated_alarms
from twophase.config.load import load_config
from twophase.config.model import Config, Promotion
from twophase.errors import ConfigError
from twophase.names import ids_for
from twophase.release.context import Scope
from twophase.release.promote_plan import group_alarms


@pytest.fixture(scope="module")
def example() -> Config:
    return load_config(EXAMPLE)


def watched(resources: dict[str, Any], function: str) -> tuple[str, ...]:
    """The names of the alarms the function's rendered group watches."""
    group = resources[ids_for(function).deployment_group]["Properties"]
    names = []
    for alarm in group["AlarmConfiguration"]["Alarms"]:
        name = alarm["Name"]
        names.append(resources[name["Ref"]]["Properties"]["AlarmName"] if "Ref" in name else name)
    return tuple(names)


def test_each_group_watches_the_alarms_a_promotion_names(example: Config) -> None:
    config = promoting(example, "api", Promotion(alarms=("api-latency",)))
    resources = render(config)["Resources"]
    scope = Scope(config, "prod")
    for function in ("api", "worker", "nightly"):
        assert watched(resources, function) == group_alarms(scope, function)
    assert group_alarms(scope, "api") == (
        "shop-prod-api-errors",
        "shop-prod-api-5xx",
        "api-latency",
    )
    assert group_alarms(scope, "worker") == ("shop-prod-worker-errors",)
    assert [generated_alarms(config.function(f)) for f in ("api", "worker", "nightly")] == [
        ("errors", "http_5xx"),
        ("errors",),
        ("errors",),
    ]


@pytest.mark.parametrize(("trigger", "room"), [("{http: {}}", 8), ("{schedule: rate(1 day)}", 9)])
def test_the_config_leaves_room_for_the_generated_alarms(
    tmp_path: Path, trigger: str, room: int
) -> None:
    """A deployment group watches at most 10 alarms (CodeDeploy API reference,
    AlarmConfiguration: "A maximum of 10 alarms can be added",
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_AlarmConfiguration.html)."""
    (tmp_path / "src").mkdir()
    (tmp_path / "src/app.py").write_text("def handler(e, c):\n    return 1\n")

    def config(alarms: int) -> Path:
        path = tmp_path / "twophase.yml"
        names = ", ".join(f"a{n}" for n in range(alarms))
        path.write_text(
            "app: shop\nenvironments:\n  dev: {region: eu-west-1}\nfunctions:\n"
            f"  api:\n    handler: app.handler\n    source: src\n    trigger: {trigger}\n"
            f"    promotion: {{alarms: [{names}]}}\n"
        )
        return path

    loaded = load_config(config(room))
    generated = len(generated_alarms(loaded.function("api")))
    assert generated + room == MAX_GROUP_ALARMS
    with pytest.raises(ConfigError, match=rf"(over the|at most) {room} "):
        load_config(config(room + 1))


def test_promotion_and_rollback_load_neither_pydantic_nor_yaml() -> None:
    """They run from the cached config: sharing the generated alarms with the config checks
    must not bring in the validation's imports."""
    probe = (
        "import sys\n"
        "import twophase.release.promote_gradual, twophase.release.rollback\n"
        "print(sorted(m for m in ('pydantic', 'yaml') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
