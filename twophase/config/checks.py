"""Checks that span values: handlers against runtimes, sources on disk, the shared template.

Run by the loader after the input schema validated. Each check yields `Problem`s (a YAML path and a
message); the loader adds the file name and the line.
"""

from __future__ import annotations

import fnmatch
import os
import posixpath
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path, PurePath
from typing import Any

from twophase.config import refs, rules
from twophase.config.alarms import MAX_GROUP_ALARMS, generated_alarms
from twophase.config.promotion import HOOK_KEYS
from twophase.config.schema import Config
from twophase.config.yamlnodes import Path as YamlPath

ARTIFACT_SUFFIXES = (".zip", ".jar")
HTTP_API_TIMEOUT = 30  # seconds: API Gateway HTTP APIs' integration timeout, a hard limit


@dataclass(frozen=True)
class Problem:
    path: YamlPath
    message: str


def check_config(config: Config, template: dict[str, Any]) -> Iterator[Problem]:
    yield from _check_functions(config)
    yield from _check_promotion(config)
    yield from _check_names_fit(config)
    yield from _check_patterns(config)
    yield from _check_refs(config, template)
    yield from _check_queues(config, template)
    yield from _check_parameters(config, template)


def _check_functions(config: Config) -> Iterator[Problem]:
    for name in config.functions:
        fn = config.resolved(name)
        where: YamlPath = ("functions", name)
        if fn.image is None:
            try:
                rules.check_handler(fn.handler, fn.runtime)
            except ValueError as exc:
                yield Problem((*where, "handler"), str(exc))
        yield from _check_source(config, name)
        yield from _check_include(config, name)
        yield from _check_http_timeout(config, name)


def _check_http_timeout(config: Config, name: str) -> Iterator[Problem]:
    """An HTTP API ends every integration after 30 s: a longer timeout would never be reached."""
    fn = config.resolved(name)
    if fn.trigger is None or fn.trigger.http is None or fn.timeout <= HTTP_API_TIMEOUT:
        return
    own = config.functions[name].timeout is not None
    where: YamlPath = ("functions", name, "timeout") if own else ("functions", name)
    source = "" if own else " (from defaults.timeout)"
    yield Problem(
        where,
        f"timeout {fn.timeout}s{source} is above the {HTTP_API_TIMEOUT}s an HTTP API waits for "
        f"its integration; set `timeout:` to {HTTP_API_TIMEOUT} or less for this HTTP function",
    )


def _check_source(config: Config, name: str) -> Iterator[Problem]:
    fn = config.functions[name]
    where: YamlPath = ("functions", name)
    if fn.image is not None and fn.source is not None:
        yield Problem((*where, "image"), "give either `source:` or `image:`, not both")
        return
    if fn.image is not None:
        return
    if fn.source is None:
        yield Problem(where, "needs `source:` (a folder, .zip or .jar) or `image:` (an image URI)")
        return
    path = config.root / fn.source
    runtime = fn.runtime or config.defaults.runtime
    if not path.exists():
        yield Problem((*where, "source"), f"{fn.source!r} does not exist (relative to this file)")
    elif path.is_file() and path.suffix not in ARTIFACT_SUFFIXES:
        yield Problem((*where, "source"), f"{fn.source!r}: use a folder, a .zip or a .jar")
    elif path.suffix == ".jar" and path.is_file() and rules.RUNTIMES[runtime] != "java":
        yield Problem((*where, "source"), f"{fn.source!r}: a .jar needs a java runtime")


def _inside_project(config: Config, path: Path) -> bool:
    return path.resolve().is_relative_to(config.root.resolve())


def _check_include(config: Config, name: str) -> Iterator[Problem]:
    """`include:` paths exist inside the project and outside the function's own folder."""
    fn = config.functions[name]
    source = (config.root / fn.source) if fn.source is not None else None
    for index, entry in enumerate(fn.include):
        where: YamlPath = ("functions", name, "include", index)
        if fn.image is not None or source is None or not source.is_dir():
            yield Problem(where, "include goes with a folder `source:` (it adds files to its zip)")
            return
        problem = _include_problem(config, source, entry)
        if problem is not None:
            yield Problem(where, f"{entry!r} {problem}")


def _include_problem(config: Config, source: Path, entry: str) -> str | None:
    normal = posixpath.normpath(entry.replace("\\", "/")) if entry else ""
    if not entry or PurePath(entry).is_absolute() or entry.startswith(("/", "\\")):
        return "must be a path relative to this file, e.g. shared/ or lib/util.py"
    if normal == "." or normal == ".." or normal.startswith("../"):
        return "is not inside the project (the folder of this file); name a file or folder in it"
    path = config.root / normal
    if not path.exists():
        dangling = " (a link to nothing)" if os.path.lexists(path) else ""
        return f"does not exist{dangling} (relative to this file)"
    if not _inside_project(config, path):
        return f"leads outside the project (to {path.resolve()}); only files inside it are packaged"
    if path.resolve().is_relative_to(source.resolve()):
        return "is inside the function's source folder: it is packaged already"
    return None


def _check_promotion(config: Config) -> Iterator[Problem]:
    """Hooks name another function of the file; a deployment group's alarms fit CodeDeploy's 10
    with the ones phase one generates (the Lambda `Errors` alarm, and the API 5xx alarm of an HTTP
    function)."""
    known = ", ".join(config.functions)
    for key in HOOK_KEYS:
        hook = getattr(config.defaults.promotion, key)
        if hook is not None and hook not in config.functions:
            yield Problem(
                ("defaults", "promotion", key),
                f"unknown function {hook!r}; a hook is a function of this file ({known})",
            )
    for name, entry in config.functions.items():
        own = entry.promotion
        for key in HOOK_KEYS:
            hook = getattr(own, key) if own is not None else None
            where: YamlPath = ("functions", name, "promotion", key)
            if hook == name:
                yield Problem(
                    where, f"{hook!r} is this function itself; name another function that checks it"
                )
            elif hook is not None and hook not in config.functions:
                yield Problem(
                    where, f"unknown function {hook!r}; a hook is a function of this file ({known})"
                )
        yield from _check_alarm_count(config, name)


def _check_alarm_count(config: Config, name: str) -> Iterator[Problem]:
    fn = config.resolved(name)
    generated = len(generated_alarms(fn))
    room = MAX_GROUP_ALARMS - generated
    if len(fn.promotion.alarms) <= room:
        return
    own = config.functions[name].promotion
    mine = own is not None and "alarms" in own.model_fields_set
    where: YamlPath = ("functions", name, "promotion", "alarms") if mine else ("functions", name)
    source = "" if mine else " (from defaults.promotion.alarms)"
    yield Problem(
        where,
        f"{len(fn.promotion.alarms)} alarms{source}, over the {room} this function's deployment "
        f"group has room for: CodeDeploy watches {MAX_GROUP_ALARMS} per group and twophase adds "
        f"{generated}; name at most {room}",
    )


def _check_names_fit(config: Config) -> Iterator[Problem]:
    """A declared environment's function names fit Lambda's limit as written (readable names
    whoever declares it can choose); only a preview's are shortened with a hash."""
    for name in config.functions:
        for env in config.declared:
            physical = rules.full_function_name(config.app, env, name)
            if len(physical) > rules.MAX_FUNCTION_NAME:
                yield Problem(
                    ("functions", name),
                    f"the function name {physical!r} is {len(physical)} characters in "
                    f"environment {env!r}; Lambda allows {rules.MAX_FUNCTION_NAME}: "
                    "shorten the app, environment or function name",
                )
                break


def _check_patterns(config: Config) -> Iterator[Problem]:
    """A pattern's `from` names a declared environment; no protected one matches a pattern."""
    declared = config.declared
    for name, entry in config.patterns.items():
        where: YamlPath = ("environments", name, "from")
        if entry.base in config.patterns:
            yield Problem(where, f"{entry.base!r} is a pattern entry; name a declared environment")
        elif entry.base not in declared:
            known = ", ".join(declared) or "none"
            yield Problem(where, f"unknown environment {entry.base!r}; declared: {known}")
        for env_name, env in declared.items():
            if env.protected and fnmatch.fnmatchcase(env_name, str(entry.match)):
                yield Problem(
                    ("environments", name, "match"),
                    f"{entry.match!r} matches {env_name}, a protected environment: a protected "
                    "environment can never match a pattern; narrow `match:`",
                )


def _check_refs(config: Config, template: dict[str, Any]) -> Iterator[Problem]:
    for name, fn in config.functions.items():
        for key, value in fn.environment.items():
            yield from _refs_in(("functions", name, "environment", key), value, template)
        for index, statement in enumerate(fn.policies):
            yield from _refs_in(("functions", name, "policies", index), statement, template)


def _refs_in(where: YamlPath, value: Any, template: dict[str, Any]) -> Iterator[Problem]:
    for ref in refs.find_refs(value):
        reason = refs.check_ref(ref, template)
        if reason:
            yield Problem(where, reason)


def _check_queues(config: Config, template: dict[str, Any]) -> Iterator[Problem]:
    resources = template.get("Resources", {})
    for name in config.functions:
        fn = config.resolved(name)
        queue = fn.trigger.queue if fn.trigger else None
        if queue is None or queue.queue is None:
            continue
        where: YamlPath = ("functions", name, "trigger", "queue", "queue")
        resource = resources.get(queue.queue)
        if resource is None or resource.get("Type") != "AWS::SQS::Queue":
            queues = [rid for rid, r in resources.items() if r.get("Type") == "AWS::SQS::Queue"]
            known = ", ".join(queues) if queues else "none"
            yield Problem(
                where,
                f"{queue.queue!r} is not an AWS::SQS::Queue of the shared template "
                f"(its queues: {known}); name one, or drop `queue:` to generate one",
            )
            continue
        visibility = resource.get("Properties", {}).get("VisibilityTimeout", 30)
        if isinstance(visibility, int) and visibility < fn.timeout:
            yield Problem(
                where,
                f"{queue.queue} has VisibilityTimeout {visibility}s, below the function's "
                f"timeout {fn.timeout}s; raise it to at least {6 * fn.timeout}",
            )


def _check_parameters(config: Config, template: dict[str, Any]) -> Iterator[Problem]:
    declared = template.get("Parameters", {})
    required = [p for p, spec in declared.items() if "Default" not in (spec or {})]
    for env_name, env in config.declared.items():
        for parameter in env.parameters:
            if parameter not in declared:
                known = ", ".join(declared) or "none"
                yield Problem(
                    ("environments", env_name, "parameters", parameter),
                    f"the shared template has no parameter {parameter!r} (it has: {known})",
                )
        missing = [p for p in required if p not in env.parameters]
        if missing:
            yield Problem(
                ("environments", env_name),
                f"no value for template parameter {missing[0]!r} (it has no Default); "
                f"add it under `parameters:`",
            )
