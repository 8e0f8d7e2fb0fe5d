"""Pattern entries of `environments:` (previews): validation, resolution, the cache, the schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from twophase.config.cache import load_cached
from twophase.config.load import load_config
from twophase.config.model import Config, Environment
from twophase.config.schema import config_json_schema
from twophase.errors import ConfigError

HEAD = """\
app: shop
environments:
  dev: { region: eu-west-1, profile: shop-dev, parameters: {} }
  prod: { region: eu-west-1, protected: true }
"""
FUNCTIONS = """\
functions:
  api: { handler: app.handler, source: src }
"""
PREVIEW = '  preview: { match: "pr-*", from: dev, ttl: 7d }\n'


def _write(tmp_path: Path, environments: str) -> Path:
    (tmp_path / "src").mkdir(exist_ok=True)
    path = tmp_path / "twophase.yml"
    path.write_text(HEAD + environments + FUNCTIONS)
    return path


def _load(tmp_path: Path, environments: str = PREVIEW) -> Config:
    return load_config(_write(tmp_path, environments))


def _problems(tmp_path: Path, environments: str) -> list[str]:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, environments)
    return list(info.value.problems) or [str(info.value)]


def test_a_name_matching_a_pattern_is_a_preview_living_where_its_base_lives(
    tmp_path: Path,
) -> None:
    config = _load(tmp_path)
    preview = config.environment("pr-42")
    assert preview == Environment(
        region="eu-west-1",
        profile="shop-dev",
        kind="preview",
        base="dev",
        ttl=7 * 86400,
        pattern="preview",
    )
    assert config.environment("dev").kind == "declared"
    assert set(config.environments) == {"dev", "prod"}  # pattern entries are not environments
    assert config.stack_name("pr-42") == "shop-pr-42"


def test_a_declared_name_wins_over_a_pattern(tmp_path: Path) -> None:
    config = _load(tmp_path, "  pr-1: { region: us-east-1 }\n" + PREVIEW)
    assert config.environment("pr-1") == Environment(region="us-east-1")
    assert config.environment("pr-2").kind == "preview"


def test_a_name_no_entry_matches_is_refused_naming_the_patterns(tmp_path: Path) -> None:
    config = _load(tmp_path)
    with pytest.raises(ConfigError) as info:
        config.environment("qa")
    assert "unknown environment 'qa'" in str(info.value)
    assert info.value.hint is not None and "a name matching pr-*" in info.value.hint
    with pytest.raises(ConfigError, match="not a valid name"):
        config.environment("pr-A_1")


@pytest.mark.parametrize(
    ("entry", "expected"),
    [
        (
            '  preview: { match: "pr-*", from: stage, ttl: 7d }\n',
            "environments.preview.from (line 5): unknown environment 'stage'; declared: dev, prod",
        ),
        (
            '  preview: { match: "pr-*", from: dev, ttl: 7d }\n'
            '  other: { match: "qa-*", from: preview, ttl: 1d }\n',
            "environments.other.from (line 6): 'preview' is a pattern entry; name a declared "
            "environment",
        ),
        (
            '  preview: { match: "pr-*", from: dev, ttl: 7d, protected: true }\n',
            "environments.preview (line 5): a pattern entry cannot be protected",
        ),
        (
            '  preview: { match: "p*", from: dev, ttl: 7d }\n',
            "environments.preview.match (line 5): 'p*' matches prod, a protected environment: "
            "a protected environment can never match a pattern",
        ),
        (
            '  preview: { match: "pr-*", from: dev, ttl: 7 days }\n',
            "environments.preview.ttl (line 5): '7 days' is not a duration; write a whole number "
            "and a unit: 7d, 12h, 30m or 90s",
        ),
        (
            '  preview: { match: "pr-*", from: dev, ttl: 0h }\n',
            "environments.preview.ttl (line 5): '0h' is not a duration",
        ),
        (
            '  preview: { match: "pr-*", from: dev }\n',
            "environments.preview (line 5): a pattern entry needs `ttl:`",
        ),
        (
            '  preview: { match: "pr-*", from: dev, ttl: 1d, region: eu-west-1 }\n',
            "environments.preview (line 5): a pattern entry takes only match, from and ttl "
            "(not region)",
        ),
        (
            '  preview: { match: "pr-*", frm: dev, ttl: 1d }\n',
            "environments.preview.frm (line 5): unknown key 'frm'; did you mean 'from'?",
        ),
        (
            "  preview: { from: dev, ttl: 1d }\n",
            "environments.preview (line 5): `from:` and `ttl:` belong to a pattern entry: "
            "add `match:`",
        ),
        (
            '  preview: { match: "pr-42", from: dev, ttl: 1d }\n',
            "environments.preview.match (line 5): 'pr-42' is not a pattern of environment names",
        ),
    ],
)
def test_each_problem_of_a_pattern_entry_is_one_clear_line(
    tmp_path: Path, entry: str, expected: str
) -> None:
    problems = _problems(tmp_path, entry)
    assert len(problems) == 1, problems
    assert expected in problems[0]


@pytest.mark.parametrize(("ttl", "seconds"), [("7d", 604800), ("12h", 43200), ("30m", 1800)])
def test_ttl_units(tmp_path: Path, ttl: str, seconds: int) -> None:
    config = _load(tmp_path, f'  preview: {{ match: "pr-*", from: dev, ttl: {ttl} }}\n')
    assert config.environment("pr-1").ttl == seconds


def test_the_fast_start_cache_keeps_the_patterns(tmp_path: Path) -> None:
    path = _write(tmp_path, PREVIEW)
    first = load_cached(path)
    again = load_cached(path)
    assert again.cached and not first.cached
    assert again.patterns == first.patterns and again.patterns
    assert again.environment("pr-7") == first.environment("pr-7")


def test_the_json_schema_describes_pattern_entries() -> None:
    environment = config_json_schema()["$defs"]["Environment"]["properties"]
    assert {"match", "from", "ttl"} <= set(environment)
    assert environment["ttl"]["anyOf"][0]["pattern"] == r"^[1-9][0-9]*[dhms]$"
    assert "base" not in environment
