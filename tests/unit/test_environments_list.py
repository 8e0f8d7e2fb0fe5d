"""Which stacks `env list` and `env prune` take for the app's environments: a fake place's
listing, a clock the test sets; only this app's previews expire, never a declared environment."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest

from twophase.aws.cloudformation import TaggedStack
from twophase.config.model import Config, Environment, EnvironmentPattern
from twophase.infra import environments
from twophase.infra.environments import PlaceServices, find_environments, prune_environments

NOW = datetime(2026, 5, 10, 12, 0, tzinfo=UTC)
DAY = 86400


@dataclass
class FakeCfn:
    stacks: list[TaggedStack]

    def tagged_stacks(self) -> list[TaggedStack]:
        return self.stacks


@dataclass
class FakePlace:
    cfn: FakeCfn


def _tags(app: str, env: str, kind: str = "preview", base: str = "dev", ttl: int = DAY) -> Any:
    tags = {"twophase:app": app, "twophase:env": env, "twophase:kind": kind}
    return tags | ({"twophase:base": base, "twophase:ttl": str(ttl)} if kind == "preview" else {})


def _stack(name: str, age_days: float, tags: dict[str, str]) -> TaggedStack:
    return TaggedStack(name, "CREATE_COMPLETE", NOW - timedelta(days=age_days), tags)


CONFIG = Config(
    app="shop",
    path=Path("twophase.yml"),
    environments={"dev": Environment(endpoint="local"), "prod": Environment(region="eu-west-1")},
    functions={},
    patterns={"preview": EnvironmentPattern("preview", "pr-*", "dev", DAY)},
)


@pytest.fixture
def places(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[TaggedStack]]:
    monkeypatch.setattr(environments, "utc_now", lambda: NOW)
    return {
        "dev": [
            _stack("shop-dev", 30, _tags("shop", "dev", "declared")),
            _stack("shop-pr-1", 2, _tags("shop", "pr-1")),  # expired: 2 days, ttl 1
            _stack("shop-pr-2", 0.5, _tags("shop", "pr-2")),  # kept
            _stack("cart-pr-1", 9, _tags("cart", "pr-1")),  # another app's
            _stack("shop-dev-old", 9, _tags("shop", "dev")),  # tagged with a declared name
            _stack("renamed", 9, _tags("shop", "pr-3")),  # not the stack pr-3 would have
            _stack("shop-pr-4", 9, _tags("shop", "pr-4", base="prod")),  # based elsewhere
        ],
        "prod": [],  # prod's stack does not exist
    }


def _connect(places: dict[str, list[TaggedStack]]) -> Any:
    def connect(env: str) -> PlaceServices:
        return cast(PlaceServices, FakePlaceServices(FakePlace(FakeCfn(places[env]))))

    return connect


@dataclass
class FakePlaceServices:
    infra: FakePlace


def test_the_list_holds_declared_stacks_and_this_apps_previews_based_there(
    places: dict[str, list[TaggedStack]],
) -> None:
    found = find_environments(CONFIG, _connect(places), pushes=False)
    assert [(e.name, e.kind, e.base, e.stack) for e in found.environments] == [
        ("dev", "declared", None, "shop-dev"),
        ("pr-1", "preview", "dev", "shop-pr-1"),
        ("pr-2", "preview", "dev", "shop-pr-2"),
    ]
    pr1 = found.environments[1]
    assert (pr1.age_seconds, pr1.ttl_seconds, pr1.expired) == (2 * DAY, DAY, True)
    assert pr1.expires == NOW - timedelta(days=1)
    assert found.environments[0].expires is None and not found.environments[0].expired


def test_a_dry_run_names_the_expired_previews_only(places: dict[str, list[TaggedStack]]) -> None:
    connect = _connect(places)
    found = find_environments(CONFIG, connect, pushes=False)
    result = prune_environments(CONFIG, connect, found, dry_run=True)
    assert (result.pruned, result.kept, result.failures) == (("pr-1",), ("pr-2",), ())


def test_prune_deletes_only_the_expired_preview(
    places: dict[str, list[TaggedStack]], monkeypatch: pytest.MonkeyPatch
) -> None:
    deleted: list[str] = []
    monkeypatch.setattr(environments, "delete_preview", lambda _c, e, _s: deleted.append(e.stack))
    connect = _connect(places)
    found = find_environments(CONFIG, connect, pushes=False)
    result = prune_environments(CONFIG, connect, found, dry_run=False)
    assert deleted == ["shop-pr-1"] and result.pruned == ("pr-1",)


def test_a_place_that_cannot_be_read_is_reported_and_prune_reads_only_where_previews_live(
    places: dict[str, list[TaggedStack]],
) -> None:
    """A missing profile for `prod` stops neither `env list` (the rest is listed, prod's place is
    reported) nor `env prune`, which reads only the places previews are made in."""
    from twophase.errors import CredentialsError

    read: list[str] = []

    def connect(env: str) -> PlaceServices:
        read.append(env)
        if env == "prod":
            raise CredentialsError("AWS profile 'shop-prod' not found")
        return cast(PlaceServices, FakePlaceServices(FakePlace(FakeCfn(places[env]))))

    listed = find_environments(CONFIG, connect, pushes=False)
    assert {e.name for e in listed.environments} == {"dev", "pr-1", "pr-2"}
    assert [(envs, str(exc)) for envs, exc in listed.unreachable] == [
        (("prod",), "AWS profile 'shop-prod' not found")
    ]

    read.clear()
    previews = find_environments(CONFIG, connect, pushes=False, previews_only=True)
    assert read == ["dev"]
    assert previews.unreachable == ()
    assert [e.name for e in previews.expired()] == ["pr-1"]
