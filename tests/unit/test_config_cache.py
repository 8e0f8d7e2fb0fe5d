"""The model phase two starts from: cached as JSON, rebuilt equal, invalidated by changes."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from twophase.config import cache, load
from twophase.config.cache import from_json, load_cached, to_json
from twophase.config.load import load_config
from twophase.errors import ConfigError

CONFIG = """\
app: shop
template: shared.yaml
environments:
  local: {endpoint: local}
  prod: {region: eu-west-1, profile: shop-prod, protected: true}
defaults: {runtime: python3.12, architecture: arm64}
aliases: [next, beta, live]
functions:
  api:
    handler: app.handler
    source: services/api
    trigger: {http: {routes: ["GET /health", "POST /orders"]}}
  worker:
    handler: com.shop.Worker::handle
    runtime: java21
    architecture: x86_64
    source: build/worker.jar
  img:
    handler: unused
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/img:1
"""
TEMPLATE = "Resources:\n  Orders:\n    Type: AWS::SQS::Queue\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "services/api").mkdir(parents=True)
    (tmp_path / "services/api/app.py").write_text("def handler(e, c):\n    return 1\n")
    (tmp_path / "build").mkdir()
    (tmp_path / "build/worker.jar").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (tmp_path / "shared.yaml").write_text(TEMPLATE)
    (tmp_path / "twophase.yml").write_text(CONFIG)
    return tmp_path / "twophase.yml"


@pytest.fixture
def validations(monkeypatch: pytest.MonkeyPatch) -> list[Path]:
    """Every full validation `load_cached` runs, in order."""
    seen: list[Path] = []

    def counting(path: Path, data: bytes | None = None) -> object:
        seen.append(path)
        return load_config(path, data)

    monkeypatch.setattr(load, "load_config", counting)
    return seen


def test_the_cached_model_is_the_validated_model(project: Path) -> None:
    model = load_config(project)
    load_cached(project)
    view = load_cached(project)  # from .twophase/cache/config.json

    assert view.cached and not model.cached
    assert view == model
    assert view.app == "shop" and view.aliases == ("next", "beta", "live")
    assert view.stack_name("prod") == model.stack_name("prod") == "shop-prod"
    assert view.function_name("prod", "api") == model.function_name("prod", "api")
    assert set(view.functions) == set(model.functions)
    for name in model.functions:
        full, code = model.function(name), view.function(name)
        for attr in ("name", "handler", "runtime", "runtime_family", "source", "image"):
            assert getattr(code, attr) == getattr(full, attr), (name, attr)
        assert code.architecture == full.architecture
    prod = view.environments["prod"]
    assert (prod.region, prod.profile, prod.protected, prod.is_local) == (
        "eu-west-1",
        "shop-prod",
        True,
        False,
    )
    assert view.environments["local"].is_local
    assert (view.functions["api"].trigger_kind, view.functions["api"].routes) == (
        "http",
        ("GET /health", "POST /orders"),
    )
    assert (view.functions["worker"].trigger_kind, view.functions["worker"].routes) == (None, ())


def test_second_load_comes_from_the_cache(project: Path, validations: list[Path]) -> None:
    first = load_cached(project)
    second = load_cached(project)

    assert validations == [project]
    assert second == first
    assert second.functions["api"].source == project.parent / "services/api"


def test_the_cached_model_reads_the_shared_template_on_demand(
    project: Path, validations: list[Path]
) -> None:
    load_cached(project)
    view = load_cached(project)

    assert view.shared_template()["Resources"]["Orders"]["Type"] == "AWS::SQS::Queue"
    assert view.shared_template() is view.shared_template()
    assert len(validations) == 1  # read, not validated again


def test_unknown_names_are_refused_with_the_declared_ones(project: Path) -> None:
    config = load_cached(project)

    with pytest.raises(ConfigError, match=r"unknown function 'nope' \(use one of: api, img, work"):
        config.function("nope")
    with pytest.raises(ConfigError, match=r"unknown environment 'qa' \(use one of: local, prod"):
        config.environment("qa")
    with pytest.raises(ConfigError, match="--alias 'prod': not an alias of the chain next, beta"):
        config.alias("prod", "--alias")
    assert config.alias("beta", "--alias") == "beta"


def test_an_edit_to_the_config_validates_again(project: Path) -> None:
    load_cached(project)
    project.write_text(CONFIG.replace("aliases: [next, beta, live]", "aliases: [next, next]"))

    with pytest.raises(ConfigError, match="aliases"):
        load_cached(project)


def test_an_edit_to_the_template_validates_again(project: Path, validations: list[Path]) -> None:
    load_cached(project)
    (project.parent / "shared.yaml").write_text(TEMPLATE.replace("Orders", "Payments"))

    load_cached(project)

    assert len(validations) == 2


def test_a_removed_template_is_reported_not_served_from_the_cache(project: Path) -> None:
    load_cached(project)
    (project.parent / "shared.yaml").unlink()

    with pytest.raises(ConfigError, match="template"):
        load_cached(project)


def test_a_damaged_cache_is_ignored(project: Path, validations: list[Path]) -> None:
    load_cached(project)
    cache_file = project.parent / cache.CACHE_FILE
    for damage in ("{not json", json.dumps({"key": "x"}), json.dumps([1, 2])):
        cache_file.write_text(damage)
        assert load_cached(project).app == "shop"
    assert len(validations) == 4


def test_a_cache_for_another_location_is_not_used(project: Path, tmp_path: Path) -> None:
    load_cached(project)
    other = tmp_path / "copy"
    other.mkdir()
    (other / "twophase.yml").write_text(CONFIG)
    (other / ".twophase/cache").mkdir(parents=True)
    (other / cache.CACHE_FILE).write_bytes((project.parent / cache.CACHE_FILE).read_bytes())

    with pytest.raises(ConfigError, match="template"):  # copy has no shared.yaml: validated again
        load_cached(other / "twophase.yml")


def test_an_unwritable_folder_still_loads(project: Path, validations: list[Path]) -> None:
    cache_dir = project.parent / ".twophase"
    cache_dir.write_text("a file where the cache folder would go")

    assert load_cached(project).app == "shop"
    assert load_cached(project).app == "shop"
    assert len(validations) == 2


def test_a_missing_config_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_cached(tmp_path / "twophase.yml")


def test_json_round_trip(project: Path) -> None:
    model = load_config(project)

    assert from_json(json.loads(json.dumps(to_json(model))), project) == model


EVERY_SETTING = """\
app: shop
template: shared.yaml
environments:
  dev: {region: eu-west-1, parameters: {Stage: dev}}
defaults: {memory: 512, timeout: 20, log_retention_days: 30, retention: 5}
functions:
  api:
    handler: app.handler
    source: services/api
    description: the API
    environment: {TABLE: "${Orders}", MODE: fast}
    policies: [{Effect: Allow, Action: ["sqs:SendMessage"], Resource: "${Orders.Arn}"}]
    owners: [web-team, "arn:aws:iam::123456789012:user/alice"]
    include: [shared/]
    retention: 0
    trigger: {queue: {batch_size: 20, batching_window: 2, queue: Orders}}
  nightly:
    handler: app.handler
    source: ./services/api/
    trigger: {schedule: rate(1 day)}
"""


def test_every_setting_survives_the_cache(project: Path) -> None:
    (project.parent / "shared").mkdir()
    (project.parent / "shared.yaml").write_text(
        TEMPLATE.replace(
            "Type: AWS::SQS::Queue",
            "Type: AWS::SQS::Queue\n    Properties: {VisibilityTimeout: 120}",
        )
        + "Parameters:\n  Stage: {Type: String}\n"
    )
    project.write_text(EVERY_SETTING)
    model = load_config(project)
    load_cached(project)

    cached = load_cached(project)

    assert cached.cached and cached == model
    api = cached.function("api")
    assert api.trigger is not None and api.trigger.queue is not None
    assert (api.trigger.queue.batch_size, api.trigger.queue.queue) == (20, "Orders")
    assert (api.memory, api.timeout, api.retention, api.log_retention_days) == (512, 20, 0, 30)
    assert api.owners == ("web-team", "arn:aws:iam::123456789012:user/alice")
    assert api.include == (project.parent / "shared",) and api.project == project.parent
    assert cached.function("nightly").source == project.parent / "services/api"
    assert cached.environment("dev").parameters == {"Stage": "dev"}


def test_loading_from_the_cache_imports_neither_pydantic_nor_yaml(project: Path) -> None:
    load_cached(project)
    code = (
        "import sys\n"
        "from pathlib import Path\n"
        "from twophase.config.cache import load_cached\n"
        f"load_cached(Path({str(project)!r}))\n"
        "print(sorted(m for m in ('pydantic', 'yaml') if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)

    assert out.stdout.strip() == "[]"


def test_an_edit_during_validation_never_caches_the_wrong_content(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = project.read_bytes()
    edited = CONFIG.replace("region: eu-west-1", "region: us-east-1")
    real = load.load_config

    def saved_mid_load(path: Path, data: bytes | None = None) -> object:
        project.write_text(edited)  # an editor saves while twophase validates
        return real(path, data)

    monkeypatch.setattr(load, "load_config", saved_mid_load)
    first = load_cached(project)
    monkeypatch.setattr(load, "load_config", real)
    project.write_bytes(original)

    assert first.environments["prod"].region == "eu-west-1"  # what was read, and hashed
    assert load_cached(project).environments["prod"].region == "eu-west-1"


def test_a_template_edited_during_validation_validates_again(
    project: Path, validations: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from twophase.config import load as loader
    from twophase.config.template import load_template as real

    def saved_mid_load(path: Path, data: bytes | None = None) -> object:
        result = real(path, data)
        path.write_text(TEMPLATE.replace("Orders", "Refunds"))
        return result

    monkeypatch.setattr(loader, "load_template", saved_mid_load)
    load_cached(project)
    monkeypatch.setattr(loader, "load_template", real)
    load_cached(project)
    load_cached(project)

    assert len(validations) == 2  # the cache named the old bytes; the new ones were validated


def test_a_change_to_the_validating_code_validates_again(
    project: Path, validations: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    load_cached(project)
    load_cached(project)
    monkeypatch.setattr(cache, "_code_stamp", lambda: "rules.py:1:2")
    load_cached(project)

    assert len(validations) == 2


def test_phase_one_validates_a_cached_config_again(
    project: Path, validations: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    from twophase.cli.context import AppContext, GlobalOptions

    monkeypatch.chdir(project.parent)
    fresh = AppContext(GlobalOptions())
    assert fresh.config is fresh.settings and not fresh.settings.cached  # validated in this run
    cached = AppContext(GlobalOptions())
    assert cached.settings.cached

    assert cached.config == cached.settings and not cached.config.cached  # sources looked at
    assert cached.config is cached.config
    assert len(validations) == 2
