"""The validated model of twophase.yml.

YAML becomes this model once, at the boundary (`twophase.config.load`); everything after is typed.
Names follow the YAML keys (snake_case). `Config.resolved(name)` applies defaults.

Checks that concern one value live here (as validators); checks that need the file system or the
shared template live in `twophase.config.checks`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, PrivateAttr, model_validator
from pydantic.json_schema import SkipJsonSchema

from twophase.config import rules

Architecture = Literal["x86_64", "arm64"]

NAME_PATTERN = rules.NAME_PATTERN
RETENTION_HELP = (
    "Published versions to keep: after a push publishes one, older versions are deleted as by "
    "`twophase prune --keep N` (never one an alias serves or rolls back to, nor the dummy); "
    "0 turns it off."
)


def _name(value: str) -> str:
    return rules.check_name(value)


def _env_var(value: str) -> str:
    return rules.check_env_var_name(value)


def _unique_aliases(aliases: list[str]) -> list[str]:
    rules.check_unique(aliases, "alias")
    rules.check_unique([rules.camel(a) for a in aliases], "alias (ignoring - and _)")
    return aliases


Name = Annotated[str, AfterValidator(_name)]
Route = Annotated[str, AfterValidator(rules.check_route)]
AliasName = Annotated[str, AfterValidator(rules.check_alias)]
Owner = Annotated[str, AfterValidator(rules.check_owner)]
EnvVarName = Annotated[str, AfterValidator(_env_var)]
Statement = Annotated[dict[str, Any], AfterValidator(rules.check_statement)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class Environment(_Strict):
    """Where one environment lives: its region and credentials, or the embedded local AWS."""

    region: Annotated[str, AfterValidator(rules.check_region)] | None = Field(
        default=None, description="AWS region, e.g. eu-west-1 (else AWS_REGION)."
    )
    profile: str | None = Field(default=None, description="AWS CLI profile for this environment.")
    endpoint: Annotated[str, AfterValidator(rules.check_endpoint)] | None = Field(
        default=None,
        description="`local` for the embedded local AWS, or an http(s) endpoint URL.",
    )
    parameters: dict[str, str] = Field(
        default_factory=dict,
        description="Values for the shared template's Parameters in this environment.",
    )
    protected: bool = Field(
        default=False, description="Refuse `infra down` and ask before `infra up` (production)."
    )

    @property
    def is_local(self) -> bool:
        return self.endpoint == "local"


class Defaults(_Strict):
    """Settings every function inherits unless it sets its own."""

    runtime: Annotated[str, AfterValidator(rules.check_runtime)] = Field(
        default="python3.12", description="Lambda runtime id, e.g. python3.12, nodejs20.x, java21."
    )
    architecture: Architecture = Field(default="arm64", description="arm64 or x86_64.")
    memory: int = Field(default=256, ge=128, le=10240, description="Memory in MB (128-10240).")
    timeout: int = Field(default=10, ge=1, le=900, description="Timeout in seconds (1-900).")
    log_retention_days: Annotated[int, AfterValidator(rules.check_retention)] = Field(
        default=14, description="CloudWatch Logs retention in days (a value CloudWatch accepts)."
    )
    retention: int | None = Field(default=None, ge=0, le=1000, description=RETENTION_HELP)


class HttpTrigger(_Strict):
    """An HTTP API (API Gateway v2) in front of the function's serving alias."""

    routes: list[Route] = Field(
        default_factory=lambda: ["ANY /{proxy+}"],
        min_length=1,
        description='Routes as "METHOD /path" (e.g. "GET /orders/{id}") or "$default".',
    )
    api: Literal["http"] = Field(default="http", description="API flavour: http (HTTP API).")

    @model_validator(mode="after")
    def _unique_routes(self) -> HttpTrigger:
        rules.check_unique(self.routes, "route")
        return self


class QueueTrigger(_Strict):
    """An SQS queue feeding the function's serving alias."""

    batch_size: int = Field(default=10, ge=1, le=10000, description="Messages per invocation.")
    batching_window: int = Field(
        default=0, ge=0, le=300, description="Seconds to gather a batch (needed above 10)."
    )
    max_receive_count: int = Field(
        default=5, ge=1, le=1000, description="Receives before a message moves to the DLQ."
    )
    report_batch_item_failures: bool = Field(
        default=True,
        description="The function may answer {batchItemFailures: [{itemIdentifier: ID}]}: only "
        "those messages are retried (Lambda's ReportBatchItemFailures); raising still retries "
        "the whole batch.",
    )
    queue: str | None = Field(
        default=None,
        description="Logical id of an AWS::SQS::Queue in the shared template; "
        "when absent a queue and its dead-letter queue are generated.",
    )

    @model_validator(mode="after")
    def _batching(self) -> QueueTrigger:
        if self.batch_size > 10 and self.batching_window == 0:
            raise ValueError("batch_size above 10 needs batching_window of at least 1 second")
        if self.queue is not None and "max_receive_count" in self.model_fields_set:
            raise ValueError(
                "max_receive_count applies to generated queues only; "
                "set the RedrivePolicy on the shared queue instead"
            )
        return self


class Trigger(_Strict):
    """What invokes the function: at most one of http, queue, schedule."""

    http: HttpTrigger | None = Field(default=None, description="HTTP API routes.")
    queue: QueueTrigger | None = Field(default=None, description="An SQS queue.")
    schedule: Annotated[str, AfterValidator(rules.check_schedule)] | None = Field(
        default=None, description='"rate(1 day)" or "cron(0 3 * * ? *)".'
    )

    @model_validator(mode="after")
    def _one_kind(self) -> Trigger:
        kinds = [k for k in ("http", "queue", "schedule") if getattr(self, k) is not None]
        if len(kinds) > 1:
            raise ValueError(
                f"has {' and '.join(kinds)}; a function takes one trigger kind, "
                "split it into two functions"
            )
        return self

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
    """One Lambda function; unset settings come from `defaults`."""

    handler: str = Field(
        min_length=1,
        description="Entry point: app.handler (Python, Node.js, Ruby), pkg.Class::method (Java), "
        "anything for provided runtimes.",
    )
    runtime: Annotated[str, AfterValidator(rules.check_runtime)] | None = Field(
        default=None, description="Lambda runtime id (default: defaults.runtime)."
    )
    source: str | None = Field(
        default=None,
        description="Code, relative to this file: a folder, or a built .zip or .jar.",
    )
    image: str | None = Field(default=None, description="A container image URI instead of source.")
    architecture: Architecture | None = Field(default=None, description="arm64 or x86_64.")
    memory: int | None = Field(default=None, ge=128, le=10240, description="Memory in MB.")
    timeout: int | None = Field(default=None, ge=1, le=900, description="Timeout in seconds.")
    retention: int | None = Field(default=None, ge=0, le=1000, description=RETENTION_HELP)
    description: str | None = Field(default=None, max_length=256, description="Free text.")
    environment: dict[EnvVarName, str] = Field(
        default_factory=dict,
        description="Environment variables; ${Name} or ${Name.Attr} refer to the shared template.",
    )
    policies: list[Statement] = Field(
        default_factory=list,
        description="Extra IAM statements for the execution role (${Name.Attr} allowed).",
    )
    owners: list[Owner] = Field(
        default_factory=list,
        description="IAM role or user ARNs allowed to push this function's code.",
    )
    trigger: Trigger | None = Field(default=None, description="What invokes the function.")
    include: list[str] = Field(
        default_factory=list,
        description="Files or folders of the project (relative to this file, e.g. shared/) "
        "copied into the artifact at the same relative path.",
    )


class Config(_Strict):
    """twophase.yml: one app, its environments, and its functions."""

    app: Name = Field(description="App name; the stack is `<app>-<env>`.")
    template: str | None = Field(
        default=None, description="Shared CloudFormation template (YAML or JSON), relative path."
    )
    environments: dict[Name, Environment] = Field(
        min_length=1, description="Environments by name (local, dev, prod...)."
    )
    defaults: Defaults = Field(default_factory=Defaults, description="Function defaults.")
    aliases: Annotated[list[AliasName], AfterValidator(_unique_aliases)] = Field(
        default_factory=lambda: ["next", "live"],
        min_length=1,
        description="The alias chain: push moves the first; the last serves triggers.",
    )
    functions: dict[Name, Function] = Field(min_length=1, description="Functions by short name.")
    # Where the config file lives; relative paths (template, sources) resolve against it.
    root: SkipJsonSchema[Path] = Field(default=Path("."), exclude=True, strict=False)
    _shared: dict[str, Any] | None = PrivateAttr(default=None)
    _template_sha256: str | None = PrivateAttr(default=None)

    def stack_name(self, env: str) -> str:
        return rules.stack_name(self.app, env)

    def function_name(self, env: str, function: str) -> str:
        return rules.function_name(self.app, env, function)

    @property
    def template_sha256(self) -> str | None:
        """SHA-256 of the shared template's bytes as the loader read and checked them."""
        return self._template_sha256

    @property
    def template_path(self) -> Path | None:
        return (self.root / self.template) if self.template else None

    def shared_template(self) -> dict[str, Any]:
        """The parsed shared template (empty when there is none); loaded once."""
        if self._shared is None:
            from twophase.config.template import load_template

            path = self.template_path
            self._shared = load_template(path) if path else {}
        return self._shared

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
            include=tuple(self.root / p for p in fn.include),
            project=self.root,
            retention=fn.retention if fn.retention is not None else d.retention,
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
    retention: int | None = None  # versions kept after a push (None or 0: no pruning)
    include: tuple[Path, ...] = ()  # project files copied into the artifact
    project: Path | None = None  # the folder holding twophase.yml: links may not leave it

    @property
    def runtime_family(self) -> str:
        """python, nodejs, java, provided, ruby (from the runtime id)."""
        return rules.runtime_family(self.runtime)
