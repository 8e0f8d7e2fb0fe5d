"""`promotion:` in twophase.yml: alarms and hook functions of a gradual promotion, per function
and under `defaults`, validated with the line of the mistake, and kept by the fast-start cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from twophase.config.cache import load_cached
from twophase.config.load import load_config
from twophase.config.model import Promotion
from twophase.config.schema import config_json_schema
from twophase.errors import ConfigError

# Lines 1-4; each case's functions start at line 5.
HEAD = """\
app: shop
environments:
  dev: {region: eu-west-1}
functions:
"""
CHECK = "  check:\n    handler: app.handler\n    source: src\n"


def write(tmp_path: Path, text: str) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    (tmp_path / "src" / "app.py").write_text("def handler(event, context):\n    return 1\n")
    path = tmp_path / "twophase.yml"
    path.write_text(text)
    return path


VALID = """\
app: shop
environments:
  dev: {region: eu-west-1}
defaults:
  promotion: {alarms: [shop-latency], before_traffic: check}
functions:
  api:
    handler: app.handler
    source: src
    trigger: {http: {}}
    promotion: {after_traffic: smoke}
  check: {handler: app.handler, source: src}
  smoke: {handler: app.handler, source: src}
  quiet:
    handler: app.handler
    source: src
    promotion: {alarms: [], before_traffic: null}
"""


def test_defaults_apply_key_by_key_and_never_make_a_function_its_own_hook(
    tmp_path: Path,
) -> None:
    config = load_config(write(tmp_path, VALID))

    assert config.function("api").promotion == Promotion(("shop-latency",), "check", "smoke")
    assert config.function("check").promotion == Promotion(("shop-latency",), None, None)
    assert config.function("smoke").promotion == Promotion(("shop-latency",), "check", None)
    assert config.function("quiet").promotion == Promotion((), None, None)
    assert config.function("api").promotion.hooks == ("check", "smoke")


def test_the_cache_keeps_promotion(tmp_path: Path) -> None:
    path = write(tmp_path, VALID)
    validated = load_config(path)
    load_cached(path)

    cached = load_cached(path)

    assert cached.cached and cached == validated
    assert cached.function("api").promotion == Promotion(("shop-latency",), "check", "smoke")


@pytest.mark.parametrize(
    ("functions", "expected"),
    [
        (
            "  api:\n    handler: app.handler\n    source: src\n"
            "    promotion: {before_traffic: nope}\n" + CHECK,
            "functions.api.promotion.before_traffic (line 8): unknown function 'nope'; a hook "
            "is a function of this file (api, check)",
        ),
        (
            "  api:\n    handler: app.handler\n    source: src\n"
            "    promotion:\n      after_traffic: api\n",
            "functions.api.promotion.after_traffic (line 9): 'api' is this function itself; "
            "name another function that checks it",
        ),
        (
            "  api:\n    handler: app.handler\n    source: src\n"
            "    trigger: {http: {}}\n"
            "    promotion: {alarms: [a1, a2, a3, a4, a5, a6, a7, a8, a9]}\n",
            "functions.api.promotion.alarms (line 9): 9 alarms, over the 8 this function's "
            "deployment group has room for: CodeDeploy watches 10 per group and twophase adds "
            "2; name at most 8",
        ),
        (
            "  api:\n    handler: app.handler\n    source: src\n"
            "    promotion: {alarms: [a1, a1]}\n",
            "functions.api.promotion.alarms (line 8): alarm 'a1' appears twice; list each once",
        ),
        (
            "  api:\n    handler: app.handler\n    source: src\n"
            "    promotion: {before: check}\n" + CHECK,
            "functions.api.promotion.before (line 8): unknown key 'before'",
        ),
    ],
    ids=["unknown-hook", "hook-is-itself", "too-many-alarms", "same-alarm-twice", "unknown-key"],
)
def test_a_bad_promotion_is_one_line_with_its_line(
    tmp_path: Path, functions: str, expected: str
) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, HEAD + functions))
    message = str(caught.value)
    assert f"twophase.yml: {expected}" in message
    assert "\n" not in message


def test_an_unknown_default_hook_is_named_where_the_defaults_say_it(tmp_path: Path) -> None:
    text = HEAD.replace(
        "functions:\n", "defaults:\n  promotion: {after_traffic: gone}\nfunctions:\n"
    )
    with pytest.raises(ConfigError) as caught:
        load_config(write(tmp_path, text + CHECK))
    assert "defaults.promotion.after_traffic (line 5): unknown function 'gone'" in str(caught.value)


def test_the_json_schema_describes_promotion() -> None:
    schema = config_json_schema()
    promotion = schema["$defs"]["Promotion"]
    assert set(promotion["properties"]) == {"alarms", "before_traffic", "after_traffic"}
    assert promotion["additionalProperties"] is False
    assert promotion["properties"]["alarms"]["maxItems"] == 9
    assert "promotion" in schema["$defs"]["Function"]["properties"]
    assert "promotion" in schema["$defs"]["Defaults"]["properties"]
