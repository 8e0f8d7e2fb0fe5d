"""Dummy artifacts: the API, determinism, bad handlers, and the script dummies on real events."""

from __future__ import annotations

import ast
import importlib.resources
import importlib.util
import io
import json
import shutil
import subprocess
import tomllib
import zipfile
from pathlib import Path
from typing import Any

import pytest

from twophase import dummies
from twophase.build.detzip import code_sha256, hex_sha256
from twophase.dummies import DummyArtifact, dummy_artifact, runtime_family, supported_families
from twophase.errors import ConfigError, UsageError

EVENTS = Path(__file__).resolve().parent.parent / "events"
HTTP_EVENTS = ("apigw_v1", "apigw_v2", "alb")
OTHER_EVENTS = ("sqs_batch", "schedule", "dynamodb_stream", "kinesis", "direct")
FUNCTION = "shop-dev-api"
MESSAGE = "shop-dev-api has no code yet: push it with `twophase push api`"
ENV = {"AWS_LAMBDA_FUNCTION_NAME": FUNCTION, "TWOPHASE_FUNCTION": "api"}


def load_event(name: str) -> Any:
    return json.loads((EVENTS / f"{name}.json").read_text())


def unzip(artifact: DummyArtifact, into: Path) -> dict[str, zipfile.ZipInfo]:
    with zipfile.ZipFile(io.BytesIO(artifact.data)) as zf:
        zf.extractall(into)
        return {info.filename: info for info in zf.infolist()}


def assert_501(response: dict[str, Any], *, alb: bool = False) -> None:
    assert response["statusCode"] == 501
    assert response["headers"] == {"content-type": "application/json"}
    assert json.loads(response["body"]) == {"message": MESSAGE, "function": FUNCTION}
    assert response.get("statusDescription") == ("501 Not Implemented" if alb else None)


# --- the API ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("runtime", "family"),
    [
        ("python3.12", "python"),
        ("python3.9", "python"),
        ("nodejs20.x", "nodejs"),
        ("java21", "java"),
        ("java8.al2", "java"),
        ("provided.al2023", "provided"),
        ("provided", "provided"),
        ("ruby3.3", "ruby"),
    ],
)
def test_runtime_family(runtime: str, family: str) -> None:
    assert runtime_family(runtime) == family
    assert family in supported_families()


@pytest.mark.parametrize("runtime", ["dotnet8", "go1.x", "cobol", ""])
def test_runtime_without_a_dummy_is_a_config_error(runtime: str) -> None:
    with pytest.raises(ConfigError, match="has no dummy: use one of the java, nodejs") as err:
        dummy_artifact(runtime, "app.handler")
    assert err.value.exit_status == UsageError.exit_status
    assert "\n" not in str(err.value)


def test_artifact_fields_agree_with_its_bytes() -> None:
    artifact = dummy_artifact("python3.12", "app.handler")
    assert artifact.family == "python"
    assert artifact.code_sha256 == code_sha256(artifact.data)
    assert artifact.hexdigest == hex_sha256(artifact.data)
    assert artifact.key == f"dummies/python/{artifact.hexdigest}.zip"


@pytest.mark.parametrize(
    ("runtime", "handler"),
    [
        ("python3.12", "app.handler"),
        ("nodejs22.x", "index.handler"),
        ("ruby3.3", "function.handler"),
        ("provided.al2023", "bootstrap"),
        ("java21", "com.shop.Worker::handleRequest"),
    ],
)
def test_same_inputs_give_the_same_bytes_across_builds(runtime: str, handler: str) -> None:
    first = dummy_artifact(runtime, handler)
    dummies.clear_cache()
    second = dummy_artifact(runtime, handler)
    assert first is not second  # really rebuilt, not served from the cache
    assert first.data == second.data
    assert first.code_sha256 == second.code_sha256


def test_artifacts_are_cached_per_family_and_handler() -> None:
    dummies.clear_cache()
    assert dummy_artifact("python3.12", "app.handler") is dummy_artifact(
        "python3.11", "app.handler"
    )
    assert dummy_artifact("python3.12", "app.handler") is not dummy_artifact("python3.12", "a.b")


@pytest.mark.parametrize(
    ("runtime", "first", "second"),
    [
        ("python3.12", "app.handler", "app.main"),
        ("python3.12", "app.handler", "api.handler"),
        ("nodejs20.x", "index.handler", "index.main"),
        ("ruby3.3", "function.handler", "lambda.handler"),
        ("java21", "com.shop.Worker::handleRequest", "com.shop.Worker::process"),
        ("java21", "com.shop.Worker", "com.shop.Other"),
    ],
)
def test_different_handler_gives_a_different_artifact(
    runtime: str, first: str, second: str
) -> None:
    a, b = dummy_artifact(runtime, first), dummy_artifact(runtime, second)
    assert a.data != b.data
    assert a.key != b.key


def test_zip_entries_are_where_the_runtime_looks(tmp_path: Path) -> None:
    cases = {
        ("python3.12", "src/api/app.lambda_handler"): "src/api/app.py",
        ("python3.12", "pkg.mod.handler"): "pkg/mod.py",
        ("python3.12", "my-api/my-app.handler"): "my-api/my-app.py",
        ("nodejs20.x", "dist/index.main"): "dist/index.js",
        ("ruby3.3", "lib/function.handler"): "lib/function.rb",
        ("java21", "com.shop.Worker::process"): "com/shop/Worker.class",
        ("java17", "Handler"): "Handler.class",
        ("provided.al2", "anything"): "bootstrap",
    }
    for (runtime, handler), expected in cases.items():
        infos = unzip(dummy_artifact(runtime, handler), tmp_path / expected)
        assert list(infos) == [expected], (runtime, handler)
    (bootstrap,) = unzip(dummy_artifact("provided.al2023", "bootstrap"), tmp_path / "b").values()
    assert (bootstrap.external_attr >> 16) & 0o777 == 0o755


@pytest.mark.parametrize(
    ("runtime", "handler", "says"),
    [
        ("python3.12", "handler", "not a Python handler: it looks like `module.function`"),
        ("python3.12", "app.", "not a Python handler"),
        ("python3.12", ".handler", "not a Python handler"),
        ("python3.12", "app.class", "not a Python handler"),
        ("python3.12", "app.my-handler", "not a Python handler"),
        ("python3.12", "src//app.handler", "not a Python handler"),
        ("python3.12", "app.handler()", "not a Python handler"),
        ("nodejs20.x", "index", "not a Node.js handler: it looks like `file.export`"),
        ("nodejs20.x", "index.a.b", "not a Node.js handler"),
        ("nodejs20.x", "../index.handler", "not a Node.js handler"),
        ("nodejs20.x", "index.", "not a Node.js handler"),
        ("ruby3.3", "function", "not a Ruby handler: it looks like `file.method`"),
        ("ruby3.3", "function.Handler", "not a Ruby handler"),
        ("ruby3.3", "app.handler.process", "`file.Module::Class.method`"),
        ("ruby3.3", "app.Mod::klass.process", "not a Ruby handler"),
        ("ruby3.3", "lib.v2/app.handler", "not a Ruby handler"),
        ("ruby3.3", "a.B.c.d", "not a Ruby handler"),
        ("java21", "com.shop.Worker::", "not a Java handler: a Java handler looks like"),
        ("java21", "::handleRequest", "not a Java handler"),
        ("java21", "com.shop.", "not a Java handler"),
        ("java21", "com.shop.Worker::handle-request", "not a Java handler"),
        ("java21", "com.shöp.Worker", "not a Java handler"),
        ("provided.al2023", " ", "handler is empty"),
    ],
)
def test_bad_handler_is_a_config_error_saying_what_fits(
    runtime: str, handler: str, says: str
) -> None:
    with pytest.raises(ConfigError) as err:
        dummy_artifact(runtime, handler)
    assert says in str(err.value)
    assert "\n" not in str(err.value)


def test_sources_come_from_the_installed_package_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    installed = tmp_path / "site-packages" / "twophase" / "dummies" / "sources"
    (installed / "python").mkdir(parents=True)
    (installed / "python" / "handler.py").write_text("# installed copy\n")

    def files(package: str) -> Path:
        assert package == "twophase.dummies.sources"
        return installed

    monkeypatch.setattr(importlib.resources, "files", files)
    dummies.clear_cache()
    try:
        artifact = dummy_artifact("python3.12", "app.handler")
    finally:
        monkeypatch.undo()
        dummies.clear_cache()
    with zipfile.ZipFile(io.BytesIO(artifact.data)) as zf:
        assert zf.read("app.py") == b"# installed copy\n"


def test_sources_come_from_the_source_tree_when_not_installed() -> None:
    dummies.clear_cache()
    root = dummies._dummies_root()
    assert Path(str(root)) == Path(__file__).resolve().parents[2] / "dummies"
    assert root.joinpath("provided", "bootstrap").is_file()


def test_packaging_ships_the_dummies_when_packages_are_listed() -> None:
    """With an explicit package list, every package and the dummies must be in it."""
    repo = Path(__file__).resolve().parents[2]
    setuptools = tomllib.loads((repo / "pyproject.toml").read_text())["tool"]["setuptools"]
    if not isinstance(setuptools.get("packages"), list):
        pytest.skip("packages are discovered, not listed")
    on_disk = {
        ".".join(p.parent.relative_to(repo).parts) for p in (repo / "twophase").rglob("__init__.py")
    }
    assert set(setuptools["packages"]) == on_disk | {"twophase.dummies.sources"}
    assert setuptools["package-dir"]["twophase.dummies.sources"] == "dummies"
    assert setuptools["package-data"]["twophase.dummies.sources"] == ["**/*"]


# --- Python ----------------------------------------------------------------------------------


def load_python_handler(tmp_path: Path, handler: str) -> Any:
    unzip(dummy_artifact("python3.12", handler), tmp_path)
    module, _, function = handler.rpartition(".")
    path = tmp_path / (module.replace(".", "/") + ".py")
    spec = importlib.util.spec_from_file_location(f"dummy_{tmp_path.name}", path)
    assert spec is not None and spec.loader is not None
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return getattr(mod, function)


@pytest.mark.parametrize("event", HTTP_EVENTS)
def test_python_dummy_answers_http_with_501(
    event: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    handler = load_python_handler(tmp_path, "services/api/app.lambda_handler")
    response = handler(load_event(event), None)
    assert_501(response, alb=event == "alb")
    json.dumps(response)  # what Lambda does with it


@pytest.mark.parametrize("event", OTHER_EVENTS)
def test_python_dummy_raises_for_other_events(
    event: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    handler = load_python_handler(tmp_path, "app.handler")
    with pytest.raises(Exception, match="has no code yet") as err:
        handler(load_event(event), None)
    assert str(err.value) == MESSAGE
    assert type(err.value).__name__ == "FunctionHasNoCode"


def test_python_dummy_names_the_full_function_when_twophase_did_not(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", FUNCTION)
    monkeypatch.delenv("TWOPHASE_FUNCTION", raising=False)
    handler = load_python_handler(tmp_path, "app.json")  # a name the module itself uses
    body = json.loads(handler(load_event("apigw_v2"), None)["body"])
    assert body["message"] == f"{FUNCTION} has no code yet: push it with `twophase push {FUNCTION}`"


def run_harness(
    interpreter: str, harness: str, code: Path, function: str, tmp_path: Path
) -> dict[str, Any]:
    """Runs every sample event through `function` of `code`; results by event name."""
    script = tmp_path / "harness"
    script.write_text(harness)
    events = tmp_path / "events.json"
    events.write_text(json.dumps({name: load_event(name) for name in HTTP_EVENTS + OTHER_EVENTS}))
    executable = shutil.which(interpreter)
    assert executable is not None
    run = subprocess.run(
        [executable, str(script), str(code), function, str(events)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
        env=ENV,
    )
    results: dict[str, Any] = json.loads(run.stdout)
    return results


# --- Node.js ---------------------------------------------------------------------------------

NODE_HARNESS = """
const [file, fn, eventsPath] = process.argv.slice(2);
const mod = require(file);
const events = require(eventsPath);
(async () => {
  const out = {};
  for (const [name, event] of Object.entries(events)) {
    try {
      out[name] = { result: await mod[fn](event, {}) };
    } catch (err) {
      out[name] = { error: err.name, message: err.message };
    }
  }
  process.stdout.write(JSON.stringify(out));
})();
"""


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
def test_nodejs_dummy_answers_http_and_throws_for_the_rest(tmp_path: Path) -> None:
    unzip(dummy_artifact("nodejs20.x", "src/index.main"), tmp_path / "code")
    results = run_harness("node", NODE_HARNESS, tmp_path / "code/src/index.js", "main", tmp_path)
    for name in HTTP_EVENTS:
        assert_501(results[name]["result"], alb=name == "alb")
    for name in OTHER_EVENTS:
        assert results[name] == {"error": "FunctionHasNoCode", "message": MESSAGE}, name


# --- Ruby ------------------------------------------------------------------------------------

RUBY_HARNESS = """
require 'json'
file, target, events_path = ARGV
require file
constant, _, meth = target.rpartition('.')
receiver = constant.empty? ? self : Kernel.const_get(constant)
out = {}
JSON.parse(File.read(events_path)).each do |name, event|
  out[name] = { 'result' => receiver.send(meth.to_sym, event: event, context: nil) }
rescue StandardError => e
  out[name] = { 'error' => e.class.name, 'message' => e.message }
end
print JSON.generate(out)
"""

# Each handler form the Ruby runtime accepts (FILE.METHOD or FILE.CLASS.METHOD, CLASS namespaced
# or not), as the file its dummy is written to and what the runtime would call.
RUBY_FORMS = {
    "function.handler": ("function.rb", "handler"),
    "lib/function.main": ("lib/function.rb", "main"),
    "source.LambdaFunctions::Handler.process": ("source.rb", "LambdaFunctions::Handler.process"),
    "app.Handler.process": ("app.rb", "Handler.process"),
    "app.A::B::C.handler": ("app.rb", "A::B::C.handler"),  # a class method named like the dummy
}


@pytest.mark.skipif(shutil.which("ruby") is None, reason="ruby is not installed")
@pytest.mark.parametrize("handler", list(RUBY_FORMS))
def test_ruby_dummy_loads_for_every_handler_form(handler: str, tmp_path: Path) -> None:
    file, target = RUBY_FORMS[handler]
    unzip(dummy_artifact("ruby3.3", handler), tmp_path / "code")
    results = run_harness("ruby", RUBY_HARNESS, tmp_path / "code" / file, target, tmp_path)
    for name in HTTP_EVENTS:
        assert_501(results[name]["result"], alb=name == "alb")
    for name in OTHER_EVENTS:
        assert results[name] == {"error": "FunctionHasNoCode", "message": MESSAGE}, name


@pytest.mark.parametrize("handler", list(RUBY_FORMS))
def test_every_ruby_handler_form_the_dummy_loads_is_accepted_by_the_config(handler: str) -> None:
    from twophase.config.rules import check_handler

    assert check_handler(handler, "ruby3.4") == handler


def test_python_dummy_source_parses_as_the_oldest_lambda_python() -> None:
    source = dummies._source("python/handler.py").decode()
    ast.parse(source, feature_version=(3, 8))
