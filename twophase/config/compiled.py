"""The validated twophase.yml as plain data: what phase two reads, cached between runs.

Validating the config (YAML with line numbers, the pydantic model, the cross checks) costs more
start-up time than a whole `push` may spend talking to AWS. Phase two needs little of it: the app,
the environments, the alias chain and what each function is built from. `load_compiled(path)`
validates once and keeps that part under `.twophase/cache/config.json`, keyed by the bytes of
twophase.yml and of the shared template exactly as validation read them, the file's location, the
twophase version and the validating modules themselves; any change to one of them validates again.
This module imports neither pydantic nor YAML.

`CompiledConfig.model()` gives the full validated `Config` when a command needs more (phase one,
or explaining a denied push); it is loaded once, on demand.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twophase import __version__
from twophase.config import limits, rules
from twophase.files import read_at_most, write_atomically

if TYPE_CHECKING:
    from twophase.config.model import Config

FORMAT = 3
CACHE_FILE = Path(".twophase") / "cache" / "config.json"


@dataclass(frozen=True)
class CompiledEnvironment:
    region: str | None = None
    profile: str | None = None
    endpoint: str | None = None
    protected: bool = False

    @property
    def is_local(self) -> bool:
        return self.endpoint == "local"


@dataclass(frozen=True)
class CodeSpec:
    """A function's code settings with the defaults applied (what a build works from), and what
    triggers it (what `invoke` imitates)."""

    name: str
    handler: str
    runtime: str
    runtime_family: str
    source: Path | None
    image: str | None
    architecture: str
    trigger: str | None = None  # http, queue, schedule
    routes: tuple[str, ...] = ()  # an http trigger's routes
    memory: int | None = None  # MB; phase one's settings, compared with the deployed function
    timeout: int | None = None  # seconds
    include: tuple[Path, ...] = ()  # project files copied into the artifact (`include:`)
    project: Path | None = None  # the folder holding twophase.yml: links may not leave it
    retention: int | None = None  # published versions kept after a push (None, 0: no pruning)


@dataclass(frozen=True)
class CompiledConfig:
    """The part of a validated twophase.yml that phase two reads."""

    path: Path
    app: str
    root: Path
    aliases: tuple[str, ...]
    environments: dict[str, CompiledEnvironment]
    functions: dict[str, CodeSpec]
    _model: list[Config] = field(default_factory=list, init=False, compare=False, repr=False)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, compare=False, repr=False
    )

    @classmethod
    def from_model(cls, config: Config, path: Path | None = None) -> CompiledConfig:
        def code(name: str) -> CodeSpec:
            fn = config.resolved(name)
            http = fn.trigger.http if fn.trigger is not None else None
            return CodeSpec(
                name=fn.name,
                handler=fn.handler,
                runtime=fn.runtime,
                runtime_family=fn.runtime_family,
                source=fn.source,
                image=fn.image,
                architecture=fn.architecture,
                trigger=fn.trigger.kind if fn.trigger is not None else None,
                routes=tuple(http.routes) if http is not None else (),
                memory=fn.memory,
                timeout=fn.timeout,
                include=fn.include,
                project=config.root,
                retention=fn.retention,
            )

        compiled = cls(
            path=path or config.root / "twophase.yml",
            app=config.app,
            root=config.root,
            aliases=tuple(config.aliases),
            environments={
                name: CompiledEnvironment(env.region, env.profile, env.endpoint, env.protected)
                for name, env in config.environments.items()
            },
            functions={name: code(name) for name in config.functions},
        )
        compiled._model.append(config)
        return compiled

    def model(self) -> Config:
        """The full validated config (loaded from `path` the first time it is asked for)."""
        with self._lock:
            if not self._model:
                from twophase.config.load import load_config

                self._model.append(load_config(self.path))
            return self._model[0]

    def stack_name(self, env: str) -> str:
        return rules.stack_name(self.app, env)

    def function_name(self, env: str, function: str) -> str:
        return rules.function_name(self.app, env, function)

    def resolved(self, name: str) -> CodeSpec:
        return self.functions[name]

    def runtime_warnings(self) -> list[str]:
        """One line per runtime AWS has deprecated that a function still uses (it loads)."""
        uses: dict[str, list[str]] = {}
        for name, fn in self.functions.items():
            if fn.image is None:
                uses.setdefault(fn.runtime, []).append(name)
        return rules.runtime_warnings(uses, rules.today())

    def blocked_runtimes(self) -> bool:
        """Whether a function uses a runtime AWS blocks today (a cache written before the block
        date must not let it through: validating again says which and since when)."""
        on = rules.today()
        return any(
            (life := rules.RUNTIME_LIFECYCLE.get(fn.runtime)) is not None and life.blocked(on)
            for fn in self.functions.values()
            if fn.image is None
        )

    def check_function(self, function: str) -> None:
        """Refuse a function twophase.yml does not declare, naming the ones it does."""
        from twophase.errors import UsageError

        if function not in self.functions:
            known = ", ".join(sorted(self.functions)) or "none"
            raise UsageError(
                f"unknown function {function!r}",
                hint=f"use one of: {known} (declared under `functions:`)",
            )

    def to_json(self) -> dict[str, Any]:
        return {
            "app": self.app,
            "aliases": list(self.aliases),
            "environments": {
                name: {
                    "region": env.region,
                    "profile": env.profile,
                    "endpoint": env.endpoint,
                    "protected": env.protected,
                }
                for name, env in self.environments.items()
            },
            "functions": {
                name: {
                    "handler": fn.handler,
                    "runtime": fn.runtime,
                    "runtime_family": fn.runtime_family,
                    "source": _relative(fn.source, self.root),
                    "image": fn.image,
                    "architecture": fn.architecture,
                    "trigger": fn.trigger,
                    "routes": list(fn.routes),
                    "memory": fn.memory,
                    "timeout": fn.timeout,
                    "include": [_relative(p, self.root) for p in fn.include],
                    "retention": fn.retention,
                }
                for name, fn in self.functions.items()
            },
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path) -> CompiledConfig:
        root = path.absolute().parent
        return cls(
            path=path,
            app=data["app"],
            root=root,
            aliases=tuple(data["aliases"]),
            environments={
                name: CompiledEnvironment(**env) for name, env in data["environments"].items()
            },
            functions={
                name: CodeSpec(
                    name=name,
                    handler=fn["handler"],
                    runtime=fn["runtime"],
                    runtime_family=fn["runtime_family"],
                    source=(root / fn["source"]) if fn["source"] is not None else None,
                    image=fn["image"],
                    architecture=fn["architecture"],
                    trigger=fn["trigger"],
                    routes=tuple(fn["routes"]),
                    memory=fn.get("memory"),
                    timeout=fn.get("timeout"),
                    include=tuple(root / p for p in fn.get("include", ())),
                    project=root,
                    retention=fn.get("retention"),
                )
                for name, fn in data["functions"].items()
            },
        )


def load_compiled(path: Path) -> CompiledConfig:
    """The compiled config of `path`: from the cache when nothing it depends on changed."""
    from twophase.errors import ConfigError

    try:
        text = limits.read_limited(path, limits.MAX_CONFIG_BYTES, "a config file")
    except FileNotFoundError:
        raise ConfigError(
            f"{path}: no such config file",
            hint="run `twophase init` to write one, or pass --config PATH",
        ) from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read the config: {exc}") from None
    cache = path.absolute().parent / CACHE_FILE
    key = _key(path, text)
    cached = _read_cache(cache, key, path)
    if cached is not None and not cached.blocked_runtimes():
        return cached
    from twophase.config.load import load_config

    config = load_config(path, text)  # the very bytes the key was made from
    compiled = CompiledConfig.from_model(config, path)
    _write_cache(cache, key, config.template, config.template_sha256, compiled)
    return compiled


def _key(path: Path, text: bytes) -> str:
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{path.absolute()}\0".encode())
    digest.update(_code_stamp().encode())
    digest.update(text)
    return digest.hexdigest()


def _code_stamp() -> str:
    """The validating code as installed (each module's name, size and mtime; the config package
    and the resource names its checks use): a changed rule or default validates again even when
    the version number stays (an editable install)."""
    here = Path(__file__).parent
    stamps = []
    for module in [*sorted(here.glob("*.py")), here.parent / "names.py"]:
        st = module.stat()
        stamps.append(f"{module.name}:{st.st_size}:{st.st_mtime_ns}")
    return "|".join(stamps)


def _template_digest(root: Path, template: str | None) -> str | None:
    if template is None:
        return None
    try:
        data = read_at_most(root / template, limits.MAX_TEMPLATE_BYTES)  # over it: no match
        return hashlib.sha256(data).hexdigest()
    except OSError:
        return "unreadable"


def _read_cache(cache: Path, key: str, path: Path) -> CompiledConfig | None:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        root = path.absolute().parent
        if data.get("template_sha256") != _template_digest(root, data.get("template")):
            return None
        return CompiledConfig.from_json(data["config"], path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no cache, or not one this version wrote: validate again


def _write_cache(
    cache: Path,
    key: str,
    template: str | None,
    template_sha256: str | None,
    compiled: CompiledConfig,
) -> None:
    data = {
        "key": key,
        "template": template,
        "template_sha256": template_sha256,  # of the bytes validation read
        "config": compiled.to_json(),
    }
    with contextlib.suppress(OSError):  # a read-only checkout validates every run: only slower
        write_atomically(cache, json.dumps(data, sort_keys=True))


def _relative(source: Path | None, root: Path) -> str | None:
    if source is None:
        return None
    return os.path.relpath(source, root)
