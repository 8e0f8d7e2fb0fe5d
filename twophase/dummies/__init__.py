"""Dummy function bodies: what every function runs until its owner pushes real code.

One generic dummy per runtime family (sources in `dummies/`, installed as
`twophase.dummies.sources`). It detects the event at run time: HTTP requests (API Gateway REST
and HTTP APIs, function URLs, ALB) get a 501 JSON answer naming the function; any other event
raises, so no queue or stream record is consumed and the source retries.
Artifacts are deterministic zips, content-addressed by their hash.
"""

from __future__ import annotations

import functools
import importlib.resources
import keyword
import re
from dataclasses import dataclass
from importlib.resources.abc import Traversable
from pathlib import Path

from twophase.build.detzip import Entry, build_zip, code_sha256, hex_sha256
from twophase.dummies.java import DUMMY_CLASS, parse_java_handler, rename_handler
from twophase.errors import BuildError, ConfigError
from twophase.names import dummy_key

_FAMILIES = ("java", "nodejs", "provided", "python", "ruby")
_JS_IDENTIFIER = re.compile(r"[A-Za-z_$][A-Za-z0-9_$]*")
_RUBY_METHOD = re.compile(r"[a-z_][A-Za-z0-9_]*")
_RUBY_CONSTANT = re.compile(r"[A-Z][A-Za-z0-9_]*")
_PATH_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
_PYTHON_MODULE_PART = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_-]*")  # imported by path: - is fine


@dataclass(frozen=True)
class DummyArtifact:
    """A dummy's deployment package and the names it is known by."""

    family: str
    data: bytes
    code_sha256: str  # base64 SHA-256, as Lambda reports CodeSha256
    hexdigest: str
    key: str  # content-addressed S3 key in the artifact bucket: dummies/<family>/<hexdigest>.zip


def supported_families() -> tuple[str, ...]:
    return _FAMILIES


def runtime_family(runtime: str) -> str:
    """The dummy family of a Lambda runtime id: python3.12 -> python, provided.al2 -> provided."""
    for family in _FAMILIES:
        if runtime.startswith(family):
            return family
    raise ConfigError(
        f"runtime {runtime!r} has no dummy: use one of the {', '.join(_FAMILIES)} runtimes"
    )


def dummy_artifact(runtime: str, handler: str) -> DummyArtifact:
    """The dummy deployment package for a function with this runtime and handler.

    Raises ConfigError when the runtime has no dummy or the handler does not fit the runtime.
    """
    return _artifact(runtime_family(runtime), handler)


def clear_cache() -> None:
    """Forget built artifacts (they are cached per family and handler for the process)."""
    _artifact.cache_clear()
    _dummies_root.cache_clear()


@functools.lru_cache(maxsize=1024)
def _artifact(family: str, handler: str) -> DummyArtifact:
    builders = {
        "python": _python_entries,
        "nodejs": _nodejs_entries,
        "ruby": _ruby_entries,
        "provided": _provided_entries,
        "java": _java_entries,
    }
    data = build_zip(builders[family](handler))
    digest = hex_sha256(data)
    return DummyArtifact(
        family=family,
        data=data,
        code_sha256=code_sha256(data),
        hexdigest=digest,
        key=dummy_key(family, digest),
    )


def _python_entries(handler: str) -> list[Entry]:
    module, _, function = handler.rpartition(".")
    parts = module.replace("/", ".").split(".")
    if not all(_PYTHON_MODULE_PART.fullmatch(p) for p in parts) or not _is_python_name(function):
        raise ConfigError(
            f"handler {handler!r} is not a Python handler: it looks like `module.function` "
            "or `path/to/module.function` (app.handler runs handler() in app.py)"
        )
    source = _source("python/handler.py")
    if function != "handler":
        source += f"\n\n{function} = handler\n".encode()
    return [Entry("/".join(parts) + ".py", source)]


def _nodejs_entries(handler: str) -> list[Entry]:
    directory, _, base = handler.rpartition("/")
    file, _, function = base.partition(".")
    if not _path_ok(directory, file) or not _JS_IDENTIFIER.fullmatch(function):
        raise ConfigError(
            f"handler {handler!r} is not a Node.js handler: it looks like `file.export` or "
            "`path/to/file.export` (index.handler runs the export handler of index.js)"
        )
    source = _source("nodejs/handler.js")
    if function != "handler":
        source += f"module.exports.{function} = handler;\n".encode()
    return [Entry(_join(directory, file) + ".js", source)]


def _ruby_entries(handler: str) -> list[Entry]:
    """`file.method` (a method at the top of file.rb) or `file.Module::Class.method` (a class
    method; the Ruby runtime calls `Kernel.const_get("Module::Class").method`)."""
    directory, _, base = handler.rpartition("/")
    parts = base.split(".")
    file, method = parts[0], parts[-1]
    constant = parts[1] if len(parts) == 3 else None
    names = constant.split("::") if constant else []
    if (
        len(parts) not in (2, 3)
        or "." in directory  # the runtime splits the whole handler on dots
        or not _path_ok(directory, file)
        or not _RUBY_METHOD.fullmatch(method)
        or not all(_RUBY_CONSTANT.fullmatch(n) for n in names)
    ):
        raise ConfigError(
            f"handler {handler!r} is not a Ruby handler: it looks like `file.method`, "
            "`path/to/file.method` or `file.Module::Class.method` (function.handler runs "
            "handler(event:, context:) in function.rb; source.LambdaFunctions::Handler.process "
            "runs the class method process of LambdaFunctions::Handler in source.rb)"
        )
    source = _source("ruby/handler.rb")
    if names:
        source += _ruby_namespace(names, method)
    elif method != "handler":
        source += f"\nalias {method} handler\n".encode()
    return [Entry(_join(directory, file) + ".rb", source)]


def _ruby_namespace(names: list[str], method: str) -> bytes:
    """Modules nesting a class method that runs the dummy: `A::B.process` calls handler()."""
    lines = ["", "TWOPHASE_DUMMY = method(:handler)"]
    for depth, name in enumerate(names):
        lines.append(f"{'  ' * depth}module {name}")
    inner = "  " * len(names)
    lines += [
        f"{inner}def self.{method}(event:, context:)",
        f"{inner}  ::TWOPHASE_DUMMY.call(event: event, context: context)",
        f"{inner}end",
    ]
    lines += [f"{'  ' * depth}end" for depth in reversed(range(len(names)))]
    return ("\n".join(lines) + "\n").encode()


def _provided_entries(handler: str) -> list[Entry]:
    # Custom runtimes run `bootstrap` whatever the handler says; the handler is the code's business.
    if not handler.strip():
        raise ConfigError(
            "handler is empty: custom runtimes take any name, `bootstrap` by convention"
        )
    return [Entry("bootstrap", _source("provided/bootstrap"), executable=True)]


def _java_entries(handler: str) -> list[Entry]:
    target = parse_java_handler(handler)
    compiled = _source(f"java/{DUMMY_CLASS}.class")
    return [Entry(target.class_path, rename_handler(compiled, target.binary_name, target.method))]


def _is_python_name(name: str) -> bool:
    return name.isidentifier() and name.isascii() and not keyword.iskeyword(name)


def _path_ok(directory: str, file: str) -> bool:
    parts = [*directory.split("/"), file] if directory else [file]
    return all(_PATH_PART.fullmatch(p) and p not in (".", "..") for p in parts)


def _join(directory: str, file: str) -> str:
    return f"{directory}/{file}" if directory else file


def _source(relative: str) -> bytes:
    """A file of the dummy sources, from the installed package or the source tree."""
    path = _dummies_root().joinpath(*relative.split("/"))
    try:
        return path.read_bytes()
    except OSError as exc:
        raise BuildError(f"dummy source {relative} is missing: reinstall twophase") from exc


@functools.lru_cache(maxsize=1)
def _dummies_root() -> Traversable:
    try:
        return importlib.resources.files("twophase.dummies.sources")
    except ModuleNotFoundError:
        return Path(__file__).resolve().parent.parent / "dummies"
