"""The validated model of twophase.yml.

YAML becomes this model once, at the boundary (`twophase.config.load`); everything after it is typed.
Names follow the YAML keys (snake_case). `Config.resolved(name)` applies defaults.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Architecture = Literal["x86_64", "arm64"]

NAME_PATTERN = r"^[a-z][a-z0-9-]{0,30}[a-z0-9]$|^[a-z]$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Environment(_Strict):
    region: str | None = None
    profile: str | None = None
    endpoint: str | None = None  # "local" for the embedded AWS, or a URL
    parameters: dict[str, str] = Field(default_factory=dict)
    protected: bool = False

    @property
    def is_local(self) -> bool:
        return self.endpoint == "local"


class Defaults(_Strict):
    runtime: str = "python3.12"
    architecture: Architecture = "arm64"
    memory: int = Field(default=256, ge=128, le=10240)
    timeout: int = Field(default=10, ge=1, le=900)
    log_retention_days: int = 14


class HttpTrigger(_Strict):
    routes: list[str] = Field(default_factory=lambda: ["ANY /{proxy+}"])
    api: Literal["http", "rest"] = "http"


class QueueTrigger(_Strict):
    batch_size: int = Field(default=10, ge=1, le=10000)
    max_receive_count: int = Field(default=5, ge=1, le=1000)
    queue: str | None = None  # a queue of the shared template (logical id); else one is generated


class Trigger(_Strict):
    http: HttpTrigger | None = None
    queue: QueueTrigger | None = None
    schedule: str | None = None  # "rate(1 day)" or "cron(...)"

    @property
    def kind(self) -> Literal["http", "queue", "schedule"] | None:
        if self.http is not None:
            return "http"
        if self.queue is not None:
            return "queue"
        if self.schedule is not None:
            return "schedule"
        return None


class Function(_Strict):
    handler: str
    runtime: str | None = None
    source: str | None = None  # a folder, or a built .zip/.jar; `image:` for container images
    image: str | None = None
    architecture: Architecture | None = None
    memory: int | None = Field(default=None, ge=128, le=10240)
    timeout: int | None = Field(default=None, ge=1, le=900)
    description: str | None = None
    environment: dict[str, str] = Field(default_factory=dict)
    policies: list[dict[str, Any]] = Field(default_factory=list)
    owners: list[str] = Field(default_factory=list)
    trigger: Trigger | None = None


class Config(_Strict):
    app: str
    template: str | None = None
    environments: dict[str, Environment]
    defaults: Defaults = Field(default_factory=Defaults)
    aliases: list[str] = Field(default_factory=lambda: ["next", "live"])
    functions: dict[str, Function]
    # Where the config file lives; relative paths (template, sources) resolve against it.
    root: Path = Field(default=Path("."), exclude=True)

    def stack_name(self, env: str) -> str:
        return f"{self.app}-{env}"

    def function_name(self, env: str, function: str) -> str:
        """The physical Lambda function name: `<app>-<env>-<function>`."""
        return f"{self.app}-{env}-{function}"

    def resolved(self, name: str) -> ResolvedFunction:
        fn = self.functions[name]
        d = self.defaults
        return ResolvedFunction(
            name=name,
            handler=fn.handler,
            runtime=fn.runtime or d.runtime,
            source=(self.root / fn.source) if fn.source else None,
            image=fn.image,
            architecture=fn.architecture or d.architecture,
            memory=fn.memory or d.memory,
            timeout=fn.timeout or d.timeout,
            description=fn.description,
            environment=dict(fn.environment),
            policies=list(fn.policies),
            owners=list(fn.owners),
            trigger=fn.trigger,
            log_retention_days=d.log_retention_days,
        )


@dataclass(frozen=True)
class ResolvedFunction:
    """A function with the defaults applied; what rendering and pushing work from."""

    name: str
    handler: str
    runtime: str
    source: Path | None
    image: str | None
    architecture: str
    memory: int
    timeout: int
    description: str | None
    environment: dict[str, str]
    policies: list[dict[str, Any]]
    owners: list[str]
    trigger: Trigger | None
    log_retention_days: int

    @property
    def runtime_family(self) -> str:
        """python, nodejs, java, provided, ruby, dotnet (from the runtime id)."""
        for family in ("python", "nodejs", "java", "provided", "ruby", "dotnet"):
            if self.runtime.startswith(family):
                return family
        return "unknown"
