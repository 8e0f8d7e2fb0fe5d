"""The validated twophase.yml: one set of frozen dataclasses every layer reads.

The loader (`twophase.config.load`) turns the YAML into this model once, with every default
applied; the fast-start cache (`twophase.config.cache`) stores it and rebuilds it. Phase two reads
it without paying for validation, so this module imports neither pydantic nor YAML.

Every refusal of a name twophase.yml does not declare comes from here (`Config.function`,
`Config.environment`, `Config.alias`): one message, one fix.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Literal

from twophase.config import rules
from twophase.errors import ConfigError

Architecture = Literal["x86_64", "arm64"]
TriggerKind = Literal["http", "queue", "schedule"]
EnvironmentKind = Literal["declared", "preview"]


@dataclass(frozen=True)
class Environment:
    """Where one environment lives: its region and credentials, or the embedded local AWS."""

    region: str | None = None
    profile: str | None = None
    endpoint: str | None = None  # `local`, or an http(s) endpoint URL
    parameters: Mapping[str, str] = field(default_factory=dict)  # the shared template's
    protected: bool = False  # refuse `infra down`, ask before `infra up`
    kind: EnvironmentKind = "declared"  # or "preview": made on demand from a pattern entry
    base: str | None = None  # a preview's declared environment (where it lives, its parameters)
    ttl: int | None = None  # a preview's lifetime in seconds (`env prune` deletes it after)
    pattern: str | None = None  # the pattern entry a preview's name matched

    @property
    def is_local(self) -> bool:
        return self.endpoint == "local"


@dataclass(frozen=True)
class EnvironmentPattern:
    """An `environments` entry with `match`: environments made on demand (previews), each living
    where its declared base `base` lives, deleted by `env prune` once `ttl` seconds old."""

    name: str  # the entry's key in twophase.yml
    match: str  # a glob over environment names (`pr-*`)
    base: str  # `from:`
    ttl: int  # seconds

    def matches(self, env: str) -> bool:
        return fnmatch.fnmatchcase(env, self.match)


@dataclass(frozen=True)
class Promotion:
    """What watches and checks a gradual promotion (`alias promote --canary/--linear`, run by
    CodeDeploy): CloudWatch alarms that stop it and roll it back, besides the ones phase one
    generates, and the functions CodeDeploy invokes before and after it shifts traffic (names of
    other functions of twophase.yml, which report success or failure to CodeDeploy)."""

    alarms: tuple[str, ...] = ()
    before_traffic: str | None = None  # the AppSpec's BeforeAllowTraffic hook
    after_traffic: str | None = None  # its AfterAllowTraffic hook

    @property
    def hooks(self) -> tuple[str, ...]:
        """The hook functions named, before first."""
        return tuple(h for h in (self.before_traffic, self.after_traffic) if h is not None)


@dataclass(frozen=True)
class Defaults:
    """What a function inherits unless it sets its own (the schema's defaults come from here)."""

    runtime: str = "python3.12"
    architecture: Architecture = "arm64"
    memory: int = 256  # MB
    timeout: int = 10  # seconds
    log_retention_days: int = 14
    retention: int | None = None  # published versions kept after a push (None, 0: no pruning)


@dataclass(frozen=True)
class HttpTrigger:
    """An HTTP API (API Gateway v2) in front of the function's serving alias."""

    routes: tuple[str, ...] = ("ANY /{proxy+}",)
    api: str = "http"


@dataclass(frozen=True)
class QueueTrigger:
    """An SQS queue feeding the function's serving alias (generated, or `queue` of the shared
    template)."""

    batch_size: int = 10
    batching_window: int = 0
    max_receive_count: int = 5
    report_batch_item_failures: bool = True
    queue: str | None = None


@dataclass(frozen=True)
class Trigger:
    """What invokes the function: at most one of http, queue, schedule."""

    http: HttpTrigger | None = None
    queue: QueueTrigger | None = None
    schedule: str | None = None

    @property
    def kind(self) -> TriggerKind | None:
        if self.http is not None:
            return "http"
        if self.queue is not None:
            return "queue"
        if self.schedule is not None:
            return "schedule"
        return None


_DEFAULTS = Defaults()


@dataclass(frozen=True)
class Function:
    """One Lambda function with the defaults applied: what rendering, building and pushing read."""

    name: str
    handler: str
    runtime: str = _DEFAULTS.runtime
    source: Path | None = None  # absolute: a folder, or a built .zip or .jar
    image: str | None = None  # a container image URI instead of source
    architecture: Architecture = _DEFAULTS.architecture
    memory: int = _DEFAULTS.memory
    timeout: int = _DEFAULTS.timeout
    description: str | None = None
    environment: Mapping[str, str] = field(default_factory=dict)
    policies: tuple[dict[str, Any], ...] = ()  # extra IAM statements for the execution role
    owners: tuple[str, ...] = ()  # who may push its code
    trigger: Trigger | None = None
    log_retention_days: int = _DEFAULTS.log_retention_days
    retention: int | None = None  # versions kept after a push (None or 0: no pruning)
    include: tuple[Path, ...] = ()  # project files copied into the artifact
    promotion: Promotion = field(default_factory=Promotion)  # gradual promotion's alarms, hooks
    project: Path | None = None  # the folder holding twophase.yml: links may not leave it

    @property
    def runtime_family(self) -> str:
        """python, nodejs, java, provided, ruby (from the runtime id)."""
        return rules.runtime_family(self.runtime)

    @property
    def trigger_kind(self) -> TriggerKind | None:
        return self.trigger.kind if self.trigger is not None else None

    @property
    def routes(self) -> tuple[str, ...]:
        """An http trigger's routes (none for other kinds)."""
        http = self.trigger.http if self.trigger is not None else None
        return http.routes if http is not None else ()


@dataclass(frozen=True)
class Config:
    """twophase.yml: one app, its environments, the alias chain, and its functions.

    `path` is the file as the user named it; `root`, its folder, is what relative paths resolved
    against. `cached` says the model came from the fast-start cache: the files it names (sources,
    includes) were not looked at in this run, so a command that needs them validates again."""

    app: str
    path: Path
    environments: Mapping[str, Environment]
    functions: Mapping[str, Function]
    template: str | None = None  # the shared template, relative to root
    defaults: Defaults = field(default_factory=Defaults)
    patterns: Mapping[str, EnvironmentPattern] = field(default_factory=dict)  # previews
    aliases: tuple[str, ...] = ("next", "live")
    template_sha256: str | None = field(default=None, compare=False)  # of the bytes checked
    cached: bool = field(default=False, compare=False, repr=False)
    root: Path = field(init=False)
    # The parsed shared template, when the loader read it (else read on first use).
    shared: dict[str, Any] | None = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "root", self.path.absolute().parent)

    def stack_name(self, env: str) -> str:
        return rules.stack_name(self.app, env)

    def function_name(self, env: str, function: str) -> str:
        return rules.function_name(self.app, env, function)

    @property
    def template_path(self) -> Path | None:
        return (self.root / self.template) if self.template else None

    def shared_template(self) -> dict[str, Any]:
        """The parsed shared template (empty when there is none); read once, on first use."""
        shared = self.shared
        if shared is None:
            from twophase.config.template import load_template

            path = self.template_path
            shared = load_template(path) if path else {}
            object.__setattr__(self, "shared", shared)
        return shared

    def function(self, name: str) -> Function:
        """The function `name`, or the refusal naming the ones twophase.yml declares."""
        found = self.functions.get(name)
        if found is None:
            raise unknown("function", name, self.functions, "functions")
        return found

    def environment(self, name: str) -> Environment:
        """The environment `name`: a declared one (a declared name always wins), else a preview
        of the first pattern entry its name matches; or the refusal naming what would do."""
        found = self.environments.get(name)
        if found is not None:
            return found
        pattern = next((p for p in self.patterns.values() if p.matches(name)), None)
        if pattern is None:
            matches = [f"a name matching {p.match}" for p in self.patterns.values()]
            raise unknown("environment", name, [*self.environments, *matches], "environments")
        if not re.match(rules.NAME_PATTERN, name):
            raise ConfigError(
                f"environment {name!r} matches {pattern.match} but is not a valid name",
                hint="use lowercase letters, digits and single hyphens, starting with a letter",
            )
        base = self.environments[pattern.base]
        return replace(
            base,
            protected=False,
            kind="preview",
            base=pattern.base,
            ttl=pattern.ttl,
            pattern=pattern.name,
        )

    def alias(self, name: str, option: str) -> str:
        """`name` when it is an alias of the chain; else the refusal of `option`'s value."""
        if name not in self.aliases:
            raise ConfigError(
                f"{option} {name!r}: not an alias of the chain {', '.join(self.aliases)}",
                hint="the chain is `aliases:` in twophase.yml",
            )
        return name

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


def unknown(what: str, name: str, known: Iterable[str], section: str) -> ConfigError:
    """The one refusal of a name twophase.yml does not declare (exit 2, like any usage error)."""
    listed = ", ".join(sorted(known, key=lambda k: (" " in k, k))) or "none"
    return ConfigError(
        f"unknown {what} {name!r}", hint=f"use one of: {listed} (declared under `{section}:`)"
    )
