"""Planning a push: what shipping one artifact to one function would do, as data.

`plan_push` reads `$LATEST` and the first alias (2 calls; a 3rd, the alias's version, only when
the alias's record cannot answer) and returns a `PushPlan`: `Unchanged` when the alias serves this
code with `$LATEST`'s configuration, or [WaitActive →] Upload → UpdateCode → Publish → MoveAlias,
each guarded by what was read. `twophase.release.push_apply` runs it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Protocol

from twophase.aws.lambda_client import LATEST, AliasState, FunctionState
from twophase.aws.lambda_settings import changed_settings
from twophase.errors import BuildError, UsageError
from twophase.files import human_size
from twophase.names import artifact_key
from twophase.release.context import CallCounter, Scope, both
from twophase.release.ports import ArtifactUploads, Identity, LambdaWriter
from twophase.release.release_record import GitReader, decode_history, served_release, utc_now
from twophase.reporter import NullReporter, Reporter


class ArtifactLike(Protocol):
    """What push needs of a built artifact (`twophase.build.Artifact` satisfies it)."""

    @property
    def path(self) -> Path | None: ...
    @property
    def size(self) -> int: ...
    @property
    def code_sha256(self) -> str: ...
    @property
    def hexdigest(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def image_uri(self) -> str | None: ...
    @property
    def needs_s3(self) -> bool: ...
    @property
    def entries(self) -> Mapping[str, bool]: ...


@dataclass(frozen=True)
class PushDeps:
    """What a push uses: Lambda, the artifact bucket (its name looked up once, on demand), who
    pushes and from which commit (for the release record), the clock, and the reporter."""

    scope: Scope
    lambda_: LambdaWriter
    artifacts: ArtifactUploads
    identity: Identity
    git: GitReader
    bucket: Callable[[], str]
    reporter: Reporter = field(default_factory=NullReporter)
    now: Callable[[], datetime] = utc_now
    calls: CallCounter = field(default_factory=CallCounter)


# --- the plan -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class WaitActive:
    function: str
    state: str  # Pending (being created or restored)

    def describe(self) -> str:
        return f"wait for {self.function} to become Active (it is {self.state})"


@dataclass(frozen=True)
class Upload:
    bucket: str
    key: str
    size: int

    def describe(self) -> str:
        return f"upload {human_size(self.size)} to s3://{self.bucket}/{self.key}"


@dataclass(frozen=True)
class UpdateCode:
    function: str
    source: str  # "zip", "s3://bucket/key" or the image URI
    revision_id: str

    def describe(self) -> str:
        return (
            f"update the code of {self.function} from {self.source} (revision {self.revision_id})"
        )


@dataclass(frozen=True)
class Publish:
    function: str
    code_sha256: str
    settings: tuple[str, ...] = ()  # the configuration settings the new version changes

    def describe(self) -> str:
        text = f"publish a version of {self.function} with code sha {self.code_sha256}"
        return text + (f" and new {', '.join(self.settings)}" if self.settings else "")


@dataclass(frozen=True)
class MoveAlias:
    function: str
    alias: str
    from_version: str
    revision_id: str
    history: tuple[str, ...] = ()
    splits: bool = False  # the alias also sends traffic to other versions now

    def describe(self) -> str:
        split = ", ending its traffic split" if self.splits else ""
        return (
            f"move alias {self.alias} of {self.function} from v{self.from_version} to the new "
            f"version{split} (revision {self.revision_id})"
        )


@dataclass(frozen=True)
class Unchanged:
    function: str
    alias: str
    version: str

    def describe(self) -> str:
        return (
            f"{self.function}: unchanged, {self.alias} already serves this code and "
            f"configuration as v{self.version}"
        )


PushStep = WaitActive | Upload | UpdateCode | Publish | MoveAlias | Unchanged


@dataclass(frozen=True)
class PushPlan:
    function: str  # the name in twophase.yml
    physical: str  # the Lambda function name
    alias: str
    artifact: ArtifactLike
    steps: tuple[PushStep, ...]
    latest_revision: str
    reads: int  # API calls made to build the plan
    code_changed: bool = True
    settings_changed: tuple[str, ...] = ()  # configuration settings the alias will now serve
    notes: tuple[str, ...] = ()  # twophase.yml settings the deployed function does not have yet

    @property
    def unchanged(self) -> bool:
        return any(isinstance(s, Unchanged) for s in self.steps)

    def describe(self) -> list[str]:
        return [step.describe() for step in self.steps]


def plan_push(deps: PushDeps, function: str, artifact: ArtifactLike) -> PushPlan:
    """Read `$LATEST` and the first alias (together: one round trip, two calls); return the steps
    that would ship `artifact` with `$LATEST`'s configuration."""
    deps.scope.check_function(function)
    start_calls = deps.calls.in_this_thread()
    physical = deps.scope.physical_name(function)
    alias = deps.scope.aliases[0]
    latest, alias_state = both(
        deps.calls,
        lambda: deps.lambda_.get_configuration(physical),
        lambda: deps.lambda_.get_alias(physical, alias),
    )
    notes = check_deployed(deps, function, artifact, latest)
    sha = artifact.code_sha256
    served = _compare_served(deps, physical, alias_state, latest, sha)
    if served.code_same and not served.settings:
        steps: tuple[PushStep, ...] = (Unchanged(physical, alias, alias_state.function_version),)
    else:
        history = (alias_state.function_version, *decode_history(alias_state.description))
        move = MoveAlias(
            physical,
            alias,
            alias_state.function_version,
            alias_state.revision_id,
            history,
            splits=bool(alias_state.weights),
        )
        # A Pending function refuses updates; an Inactive one (idle for weeks) takes them.
        wait = (WaitActive(physical, latest.state),) if latest.state == "Pending" else ()
        steps = (
            *wait,
            *_code_steps(deps, function, physical, artifact, latest),
            Publish(physical, sha, served.settings),
            move,
        )
    return PushPlan(
        function=function,
        physical=physical,
        alias=alias,
        artifact=artifact,
        steps=steps,
        latest_revision=latest.revision_id,
        reads=deps.calls.in_this_thread() - start_calls,
        code_changed=not served.code_same,
        settings_changed=served.settings,
        notes=notes,
    )


@dataclass(frozen=True)
class _Comparison:
    code_same: bool  # the alias serves the artifact's code, alone
    settings: tuple[str, ...]  # settings where `$LATEST` differs from what the alias serves


def _compare_served(
    deps: PushDeps, physical: str, alias: AliasState, latest: FunctionState, sha: str
) -> _Comparison:
    """What the alias serves, against the artifact's code and `$LATEST`'s configuration.

    The record a push leaves in the alias's Description (version, code sha, configuration digest)
    answers without a call when the configuration is the same. Otherwise the alias's version is
    read (a 3rd call) to name the settings that differ, except when no record exists and
    `$LATEST` lacks the code: a push is needed whatever the alias serves."""
    if alias.weights:
        return _Comparison(False, ())  # a split is ended by any push
    recorded = served_release(alias.description, alias.function_version)
    if recorded is not None and recorded.settings_digest == latest.settings_digest:
        return _Comparison(recorded.code_sha256 == sha, ())
    if (recorded is None and latest.code_sha256 != sha) or alias.function_version == LATEST:
        return _Comparison(alias.function_version == LATEST and latest.code_sha256 == sha, ())
    served = deps.lambda_.get_configuration(physical, alias.function_version)
    return _Comparison(
        served.code_sha256 == sha, changed_settings(served.settings, latest.settings)
    )


def check_deployed(
    deps: PushDeps, function: str, artifact: ArtifactLike, latest: FunctionState
) -> tuple[str, ...]:
    """The deployed function is phase two's truth. Refuse (exit 2) an artifact that cannot run
    under the handler and runtime the function is deployed with; return one line naming the
    twophase.yml settings that `infra up` has not deployed yet."""
    spec = deps.scope.config.function(function)
    deployed = {
        "handler": latest.handler,
        "runtime": latest.runtime,
        "architecture": ",".join(latest.architectures),
        "memory": latest.settings.get("memory"),
        "timeout": latest.settings.get("timeout"),
    }
    wanted = {
        "handler": spec.handler,
        "runtime": spec.runtime,
        "architecture": spec.architecture,
        "memory": spec.memory,
        "timeout": spec.timeout,
    }
    differ = [k for k, v in wanted.items() if v is not None and deployed[k] and deployed[k] != v]
    if artifact.kind != "image" and ("handler" in differ or "runtime" in differ):
        _check_runs_as_deployed(deps, function, artifact, latest)
    if not differ:
        return ()
    return (
        f"{function}: twophase.yml changes {', '.join(differ)}, which the deployed function "
        f"does not have yet: run `twophase infra up -e {deps.scope.env}` for that to take effect",
    )


def _check_runs_as_deployed(
    deps: PushDeps, function: str, artifact: ArtifactLike, latest: FunctionState
) -> None:
    import dataclasses

    from twophase.build.checks import check_handler

    spec = deps.scope.config.function(function)
    runtime = latest.runtime or spec.runtime
    target = dataclasses.replace(spec, handler=latest.handler or spec.handler, runtime=runtime)
    archive = (
        artifact.path.read_bytes() if artifact.path and target.runtime_family == "java" else None
    )
    try:
        check_handler(target, artifact.entries, archive=archive)
    except BuildError as exc:
        raise UsageError(
            f"{function}: this artifact cannot run as the function is deployed "
            f"(handler {target.handler}, {runtime}): {exc.message}",
            hint=f"deploy twophase.yml's handler first (`twophase infra up -e {deps.scope.env}`), "
            "then push",
        ) from exc


def _code_steps(
    deps: PushDeps, function: str, physical: str, artifact: ArtifactLike, latest: FunctionState
) -> tuple[PushStep, ...]:
    """Upload + UpdateCode, or nothing when `$LATEST` already holds the artifact."""
    if latest.code_sha256 == artifact.code_sha256:
        return ()
    if artifact.kind == "image":
        if not artifact.image_uri:
            raise BuildError(f"{function}: image artifact without an image URI")
        return (UpdateCode(physical, artifact.image_uri, latest.revision_id),)
    if not artifact.needs_s3:
        return (UpdateCode(physical, "zip", latest.revision_id),)
    bucket = deps.bucket()
    key = artifact_key(deps.scope.config.app, deps.scope.env, function, artifact.hexdigest)
    update = UpdateCode(physical, f"s3://{bucket}/{key}", latest.revision_id)
    if deps.artifacts.exists(bucket, key):
        return (update,)
    return (Upload(bucket, key, artifact.size), update)
