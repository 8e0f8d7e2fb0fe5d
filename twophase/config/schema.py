"""The input schema of twophase.yml: the pydantic models the loader validates the YAML with, and
their JSON schema for editors (`twophase schema`).

Private to the config package: the loader turns a validated `Config` here into the one model
(`twophase.config.model`) that the rest of twophase reads. Checks that concern one value live here
(as validators); checks that need the file system or the shared template live in
`twophase.config.checks`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, model_validator
from pydantic.json_schema import SkipJsonSchema

from twophase.config import model, rules
from twophase.config.promotion import Promotion
from twophase.config.promotion import resolved as resolved_promotion
from twophase.config.rules import RETENTION_DAYS, RUNTIMES

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_DEFAULTS = model.Defaults()

Architecture = model.Architecture

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
    match: Annotated[str, AfterValidator(rules.check_match)] | None = Field(
        default=None,
        description='A pattern entry: a glob over environment names (e.g. "pr-*"); `-e pr-42` '
        "then makes a preview environment where `from` lives. Takes only match, from and ttl.",
    )
    base: Name | None = Field(
        default=None,
        alias="from",
        description="With match: the declared environment whose region, profile, endpoint and "
        "parameters a preview uses.",
    )
    ttl: Annotated[str, AfterValidator(rules.check_duration)] | None = Field(
        default=None,
        description="With match: how long a preview lives before `twophase env prune` deletes "
        "it: 7d, 12h, 30m or 90s.",
    )

    @model_validator(mode="after")
    def _pattern_entry(self) -> Environment:
        """A pattern entry takes match, from and ttl only; a declared one none of them."""
        if self.match is None:
            given = [f"`{k}:`" for k, v in (("from", self.base), ("ttl", self.ttl)) if v]
            if given:
                raise ValueError(f"{' and '.join(given)} belong to a pattern entry: add `match:`")
            return self
        if self.protected:
            raise ValueError(
                "a pattern entry cannot be protected: previews are made and deleted on demand; "
                "protect a declared environment instead"
            )
        others = sorted(set(self.model_fields_set) - {"match", "base", "ttl"})
        if others:
            raise ValueError(f"a pattern entry takes only match, from and ttl (not {others[0]})")
        for key, value in (("from", self.base), ("ttl", self.ttl)):
            if value is None:
                raise ValueError(f"a pattern entry needs `{key}:`")
        return self


class Defaults(_Strict):
    """Settings every function inherits unless it sets its own."""

    runtime: Annotated[str, AfterValidator(rules.check_runtime)] = Field(
        default=_DEFAULTS.runtime,
        description="Lambda runtime id, e.g. python3.12, nodejs20.x, java21.",
    )
    architecture: Architecture = Field(
        default=_DEFAULTS.architecture, description="arm64 or x86_64."
    )
    memory: int = Field(
        default=_DEFAULTS.memory, ge=128, le=10240, description="Memory in MB (128-10240)."
    )
    timeout: int = Field(
        default=_DEFAULTS.timeout, ge=1, le=900, description="Timeout in seconds (1-900)."
    )
    log_retention_days: Annotated[int, AfterValidator(rules.check_retention)] = Field(
        default=_DEFAULTS.log_retention_days,
        description="CloudWatch Logs retention in days (a value CloudWatch accepts).",
    )
    retention: int | None = Field(default=None, ge=0, le=1000, description=RETENTION_HELP)
    promotion: Promotion = Field(
        default_factory=Promotion,
        description="Gradual promotion's alarms and hook functions, for every function; a "
        "function's own `promotion:` keys replace these one by one.",
    )

    def to_model(self) -> model.Defaults:
        return model.Defaults(**self.model_dump(exclude={"promotion"}))


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

    def to_model(self) -> model.Trigger:
        http, queue = self.http, self.queue
        return model.Trigger(
            http=model.HttpTrigger(tuple(http.routes), http.api) if http is not None else None,
            queue=model.QueueTrigger(**queue.model_dump()) if queue is not None else None,
            schedule=self.schedule,
        )


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
    promotion: Promotion | None = Field(
        default=None,
        description="Gradual promotion (`alias promote --canary/--linear`): alarms that stop it "
        "and hook functions that check it (default: defaults.promotion, key by key).",
    )


class Config(_Strict):
    """twophase.yml: one app, its environments, and its functions."""

    app: Name = Field(description="App name; the stack is `<app>-<env>`.")
    template: str | None = Field(
        default=None, description="Shared CloudFormation template (YAML or JSON), relative path."
    )
    environments: dict[Name, Environment] = Field(
        min_length=1,
        description="Environments by name (local, dev, prod...), and pattern entries "
        '(`preview: {match: "pr-*", from: dev, ttl: 7d}`) for environments made on demand.',
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

    def stack_name(self, env: str) -> str:
        return rules.stack_name(self.app, env)

    def function_name(self, env: str, function: str) -> str:
        return rules.function_name(self.app, env, function)

    @property
    def template_path(self) -> Path | None:
        return (self.root / self.template) if self.template else None

    @property
    def declared(self) -> dict[str, Environment]:
        """The environments named in full (not pattern entries)."""
        return {name: env for name, env in self.environments.items() if env.match is None}

    @property
    def patterns(self) -> dict[str, Environment]:
        """The pattern entries (`match:`), in the order the file gives them."""
        return {name: env for name, env in self.environments.items() if env.match is not None}

    def resolved(self, name: str) -> model.Function:
        """The function `name` with the defaults applied, as the model holds it."""
        fn = self.functions[name]
        d = self.defaults
        return model.Function(
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
            policies=tuple(fn.policies),
            owners=tuple(fn.owners),
            trigger=fn.trigger.to_model() if fn.trigger is not None else None,
            log_retention_days=d.log_retention_days,
            retention=fn.retention if fn.retention is not None else d.retention,
            include=tuple(self.root / p for p in fn.include),
            project=self.root,
            promotion=resolved_promotion(name, fn.promotion, d.promotion),
        )

    def to_model(
        self, path: Path, shared: dict[str, Any], template_sha256: str | None
    ) -> model.Config:
        """The one model of this validated input: `path` is the file it was read from, `shared`
        the shared template as checked, `template_sha256` the digest of its bytes."""
        return model.Config(
            app=self.app,
            path=path,
            template=self.template,
            environments={
                name: model.Environment(
                    env.region, env.profile, env.endpoint, dict(env.parameters), env.protected
                )
                for name, env in self.declared.items()
            },
            patterns={
                name: model.EnvironmentPattern(
                    name, str(env.match), str(env.base), rules.duration_seconds(str(env.ttl))
                )
                for name, env in self.patterns.items()
            },
            defaults=self.defaults.to_model(),
            aliases=tuple(self.aliases),
            functions={name: self.resolved(name) for name in self.functions},
            template_sha256=template_sha256,
            shared=shared,
        )


# Values checked by validators, which pydantic cannot see, so editors can offer them.
_ENUMS: dict[str, list[Any]] = {
    "runtime": list(RUNTIMES),
    "log_retention_days": list(RETENTION_DAYS),
}


def config_json_schema() -> dict[str, Any]:
    """The validation schema of the config model, with each field's description."""
    schema = Config.model_json_schema(mode="validation")
    for definition in [schema, *schema.get("$defs", {}).values()]:
        for name, prop in definition.get("properties", {}).items():
            if name in _ENUMS:
                _add_enum(prop, _ENUMS[name])
            if name == "ttl":
                prop["anyOf"][0]["pattern"] = r"^[1-9][0-9]*[dhms]$"
    return {**schema, "$schema": SCHEMA_DIALECT, "title": "twophase.yml"}


def _add_enum(prop: dict[str, Any], values: list[Any]) -> None:
    branches = prop.get("anyOf", [prop])
    for branch in branches:
        if branch.get("type") in ("string", "integer"):
            branch["enum"] = values
