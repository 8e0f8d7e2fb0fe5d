"""The model of twophase.yml kept between runs, so phase two starts without validating.

Validating the config (YAML with line numbers, the input schema, the cross checks) costs more
start-up time than a whole `push` may spend talking to AWS. `load_cached(path)` validates once and
keeps the model (`twophase.config.model`) as JSON under `.twophase/cache/config.json`, keyed by
the bytes of twophase.yml and of the shared template exactly as validation read them, the file's
location, the twophase version and the validating modules themselves; any change to one of them
validates again. A model read back is marked `cached`: the files it names were not looked at.
This module imports neither pydantic nor YAML.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
from dataclasses import asdict
from pathlib import Path
from typing import Any

from twophase import __version__
from twophase.config import limits
from twophase.config.model import (
    Config,
    Defaults,
    Environment,
    EnvironmentPattern,
    Function,
    HttpTrigger,
    Promotion,
    QueueTrigger,
    Trigger,
)
from twophase.files import read_at_most, write_atomically

FORMAT = 7
CACHE_FILE = Path(".twophase") / "cache" / "config.json"


def load_cached(path: Path) -> Config:
    """The model of `path`: from the cache when nothing it depends on changed."""
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
    _write_cache(cache, key, config)
    return config


def to_json(config: Config) -> dict[str, Any]:
    """The model as JSON values; paths relative to the config's folder."""
    return {
        "app": config.app,
        "template": config.template,
        "aliases": list(config.aliases),
        "defaults": asdict(config.defaults),
        "environments": {name: asdict(env) for name, env in config.environments.items()},
        "patterns": {name: asdict(pattern) for name, pattern in config.patterns.items()},
        "functions": {
            name: _function_json(fn, config.root) for name, fn in config.functions.items()
        },
    }


def from_json(data: dict[str, Any], path: Path) -> Config:
    """The model `to_json` gave, read back for the config at `path`."""
    root = path.absolute().parent
    return Config(
        app=data["app"],
        path=path,
        template=data["template"],
        aliases=tuple(data["aliases"]),
        defaults=Defaults(**data["defaults"]),
        environments={name: Environment(**env) for name, env in data["environments"].items()},
        patterns={name: EnvironmentPattern(**p) for name, p in data["patterns"].items()},
        functions={name: _function(name, fn, root) for name, fn in data["functions"].items()},
        cached=True,
    )


def _function_json(fn: Function, root: Path) -> dict[str, Any]:
    data = {key: value for key, value in asdict(fn).items() if key not in ("name", "project")}
    data["source"] = _relative(fn.source, root)
    data["include"] = [_relative(p, root) for p in fn.include]
    return data


def _function(name: str, data: dict[str, Any], root: Path) -> Function:
    trigger = data["trigger"]
    return Function(
        **{
            **data,
            "name": name,
            "source": (root / data["source"]) if data["source"] is not None else None,
            "policies": tuple(data["policies"]),
            "owners": tuple(data["owners"]),
            "include": tuple(root / p for p in data["include"]),
            "project": root,
            "trigger": None if trigger is None else _trigger(trigger),
            "promotion": _promotion(data["promotion"]),
        }
    )


def _trigger(data: dict[str, Any]) -> Trigger:
    http, queue = data["http"], data["queue"]
    return Trigger(
        http=HttpTrigger(tuple(http["routes"]), http["api"]) if http is not None else None,
        queue=QueueTrigger(**queue) if queue is not None else None,
        schedule=data["schedule"],
    )


def _promotion(data: dict[str, Any]) -> Promotion:
    return Promotion(tuple(data["alarms"]), data["before_traffic"], data["after_traffic"])


def _relative(path: Path | None, root: Path) -> str | None:
    """`path` as joined to `root` when the config was read (it joins back to the same path)."""
    if path is None:
        return None
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def _key(path: Path, text: bytes) -> str:
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{path.absolute()}\0".encode())
    digest.update(_code_stamp().encode())
    digest.update(text)
    return digest.hexdigest()


def _code_stamp() -> str:
    """The validating code as installed (each module's name, size and mtime: the config package
    and the generated names it checks with): a changed rule or default validates again even when
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


def _read_cache(cache: Path, key: str, path: Path) -> Config | None:
    try:
        data = json.loads(cache.read_text(encoding="utf-8"))
        if data.get("key") != key:
            return None
        root = path.absolute().parent
        if data.get("template_sha256") != _template_digest(root, data.get("template")):
            return None
        return from_json(data["config"], path)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None  # no cache, or not one this version wrote: validate again


def _write_cache(cache: Path, key: str, config: Config) -> None:
    data = {
        "key": key,
        "template": config.template,
        "template_sha256": config.template_sha256,  # of the bytes validation read
        "config": to_json(config),
    }
    with contextlib.suppress(OSError):  # a read-only checkout validates every run: only slower
        write_atomically(cache, json.dumps(data))
