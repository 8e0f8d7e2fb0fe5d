"""Runtimes with AWS deprecation dates, handler forms, queue and HTTP trigger limits, retention.

A runtime past AWS's deprecation date loads with one warning line; past the date AWS blocks
creating functions with it, the config is refused with the date and the replacement (exit 2), even
when an older validation was cached. An HTTP function's timeout is checked against the 30 s an HTTP
API waits; a queue trigger reports batch item failures unless told not to.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from twophase.config import rules
from twophase.config.cache import from_json, load_cached, to_json
from twophase.config.load import load_config
from twophase.errors import ConfigError, ExitStatus
from twophase.infra.render.triggers import _queue
from twophase.names import FunctionIds

BASE = """\
app: shop
environments:
  dev: {region: eu-west-1}
functions:
  api:
    handler: app.handler
    source: src
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    return tmp_path


def write(project: Path, text: str) -> Path:
    path = project / "twophase.yml"
    path.write_text(text)
    return path


def on(monkeypatch: pytest.MonkeyPatch, day: str) -> None:
    monkeypatch.setattr(rules, "today", lambda: date.fromisoformat(day))


# --- the runtime list ---------------------------------------------------------------------------


@pytest.mark.parametrize("runtime", ["nodejs24.x", "python3.14", "java25", "ruby3.4", "ruby4.0"])
def test_current_runtimes_are_accepted(project: Path, runtime: str) -> None:
    handler = "app.Handler::handleRequest" if runtime.startswith("java") else "app.handler"
    text = BASE.replace("    handler: app.handler\n", f"    handler: {handler}\n")
    config = load_config(write(project, text + f"    runtime: {runtime}\n"))
    assert config.function("api").runtime == runtime


def test_every_accepted_runtime_has_its_dates_and_a_successor_when_deprecated() -> None:
    for runtime in rules.RUNTIMES:
        life = rules.RUNTIME_LIFECYCLE[runtime]
        assert life.deprecated <= life.block_create <= life.block_update, runtime
        if life.successor is not None:
            assert life.successor in rules.RUNTIMES, runtime
            assert rules.RUNTIME_LIFECYCLE[life.successor].successor is None, runtime


def test_a_deprecated_runtime_loads_with_one_warning_line(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, "2026-12-01")
    text = BASE + "    runtime: python3.9\n  worker:\n    handler: app.handler\n    source: src\n"
    text += "    runtime: python3.9\n  job:\n    handler: app.handler\n    source: src\n"
    config = load_config(write(project, text))
    assert config.runtime_warnings() == [
        "python3.9 (functions api, worker) is deprecated by AWS Lambda since 2025-12-15: no more "
        "security patches; AWS blocks creating functions with it from 2027-02-01 and updating "
        "them from 2027-03-03: move to python3.14"
    ]


def test_a_supported_runtime_has_no_warning(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    on(monkeypatch, "2026-12-01")
    config = load_config(write(project, BASE))
    assert config.runtime_warnings() == []


@pytest.mark.parametrize(
    ("runtime", "day", "expected"),
    [
        (
            "python3.9",
            "2027-02-01",
            "functions.api.runtime (line 8): python3.9 can no longer be used: AWS Lambda blocks "
            "creating functions with it since 2027-02-01 and will block updating them from "
            "2027-03-03; use python3.14",
        ),
        (
            "nodejs18.x",
            "2027-03-03",
            "functions.api.runtime (line 8): nodejs18.x can no longer be used: AWS Lambda blocks "
            "creating functions with it since 2027-02-01 and updating them since 2027-03-03; use "
            "nodejs24.x",
        ),
        (
            "go1.x",
            "2026-12-01",
            "functions.api.runtime (line 8): go1.x can no longer be used: AWS Lambda blocks "
            "creating functions with it since 2024-02-08 and will block updating them from "
            "2027-03-03; use provided.al2023",
        ),
    ],
)
def test_a_blocked_runtime_is_refused_with_its_date_and_replacement(
    project: Path, monkeypatch: pytest.MonkeyPatch, runtime: str, day: str, expected: str
) -> None:
    on(monkeypatch, day)
    with pytest.raises(ConfigError) as refused:
        load_config(write(project, BASE + f"    runtime: {runtime}\n"))
    assert str(refused.value).endswith(expected)
    assert "\n" not in str(refused.value)
    assert refused.value.exit_status == ExitStatus.USAGE


def test_the_defaults_runtime_is_checked_too(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    on(monkeypatch, "2026-12-01")
    with pytest.raises(ConfigError, match=r"defaults\.runtime \(line 9\): python3\.7 can no"):
        load_config(write(project, BASE + "defaults:\n  runtime: python3.7\n"))


def test_a_cached_validation_does_not_outlive_the_block_date(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = write(project, BASE + "    runtime: python3.9\n")
    on(monkeypatch, "2027-01-31")
    assert load_cached(path).functions["api"].runtime == "python3.9"  # validated, cached
    on(monkeypatch, "2027-02-01")
    with pytest.raises(ConfigError, match=r"python3\.9 can no longer be used"):
        load_cached(path)


# --- handlers -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "handler",
    ["function.handler", "lib/function.main", "source.LambdaFunctions::Handler.process"],
)
def test_ruby_handler_forms(handler: str) -> None:
    assert rules.check_handler(handler, "ruby3.4") == handler


@pytest.mark.parametrize("handler", ["app.handler.process", "app", "app.Handler", "a.b/c.handler"])
def test_a_ruby_handler_of_no_documented_form_is_refused_with_both_forms(handler: str) -> None:
    with pytest.raises(ValueError) as refused:
        rules.check_handler(handler, "ruby3.4")
    assert "source.LambdaFunctions::Handler.process" in str(refused.value)
    assert "function.handler" in str(refused.value)


# --- triggers -----------------------------------------------------------------------------------

HTTP = BASE + '    trigger: {http: {routes: ["GET /x"]}}\n'


def test_an_http_function_timeout_above_30_seconds_is_refused(project: Path) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(write(project, HTTP + "    timeout: 31\n"))
    assert str(refused.value).endswith(
        "functions.api.timeout (line 9): timeout 31s is above the 30s an HTTP API waits for its "
        "integration; set `timeout:` to 30 or less for this HTTP function"
    )


def test_an_http_function_inheriting_a_long_timeout_is_refused_at_the_function(
    project: Path,
) -> None:
    with pytest.raises(ConfigError) as refused:
        load_config(write(project, HTTP + "defaults:\n  timeout: 60\n"))
    assert "functions.api (line 5): timeout 60s (from defaults.timeout) is above" in str(
        refused.value
    )


def test_30_seconds_and_other_triggers_are_fine(project: Path) -> None:
    assert load_config(write(project, HTTP + "    timeout: 30\n")).function("api").timeout == 30
    queue = BASE + "    trigger: {queue: {}}\n    timeout: 900\n"
    assert load_config(write(project, queue)).function("api").timeout == 900


@pytest.mark.parametrize(
    ("setting", "expected"), [("", True), ("report_batch_item_failures: false", False)]
)
def test_queue_mappings_report_batch_item_failures_by_default(
    project: Path, setting: str, expected: bool
) -> None:
    config = load_config(write(project, BASE + f"    trigger: {{queue: {{{setting}}}}}\n"))
    fn = config.function("api")
    assert fn.trigger is not None and fn.trigger.queue is not None
    parts = _queue(fn.trigger.queue, fn, FunctionIds("Api"), "ApiAliasLive", True)
    mapping = parts.resources["ApiEventSourceMapping"]["Properties"]
    assert ("FunctionResponseTypes" in mapping) is expected
    if expected:
        assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]


# --- retention ----------------------------------------------------------------------------------


def test_retention_from_defaults_a_function_may_turn_it_off(project: Path) -> None:
    text = BASE + "    retention: 0\n  job:\n    handler: app.handler\n    source: src\n"
    config = load_config(write(project, text + "defaults:\n  retention: 20\n"))
    assert (config.functions["api"].retention, config.functions["job"].retention) == (0, 20)
    again = from_json(to_json(config), config.path)
    assert again.functions["job"].retention == 20


def test_retention_must_be_a_count(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"functions\.api\.retention \(line 8\): must be between"):
        load_config(write(project, BASE + "    retention: -1\n"))
