"""`twophase push`: ship one release to a function as a new version behind the first alias.

A release is code *and* configuration: a published version freezes both, so phase one's
configuration changes (on `$LATEST`) reach an alias only through a push. `plan_push` reads
`$LATEST` and the first alias (2 calls; a 3rd, the alias's version, only when the alias's record
cannot answer) and returns a `PushPlan`: `Unchanged` when the alias serves this code with
`$LATEST`'s configuration, or [WaitActive →] Upload → UpdateCode → Publish → MoveAlias, each
guarded by what was read. `apply_push` runs a plan; `push` runs many functions in parallel.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from twophase.aws.lambda_client import LATEST, AliasState, CodeSource, FunctionState
from twophase.aws.lambda_settings import changed_settings
from twophase.errors import (
    AccessDeniedError,
    BuildError,
    ConflictError,
    ExitStatus,
    TwophaseError,
    UsageError,
)
from twophase.release.context import PhaseTwo
from twophase.release.release_record import (
    ReleaseRecord,
    Served,
    decode_history,
    encode_history,
    served_release,
    utc_stamp,
)

DEFAULT_WORKERS = 8


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


@dataclass(frozen=True)
class PushResult:
    function: str
    physical: str
    version: str
    alias: str
    code_sha256: str
    size: int
    seconds: float
    unchanged: bool
    api_calls: int
    previous_version: str | None = None
    hexdigest: str = ""
    code_changed: bool = True
    settings_changed: tuple[str, ...] = ()

    def summary(self) -> str:
        """`api  v7 → next  (sha 9f2c…, 1.2 MB, 0.4 s)`, the configuration-only form
        `api  v8 → next  (configuration: memory, environment; code unchanged)`, or unchanged."""
        sha = f"sha {self.code_sha256[:8]}…"
        if self.unchanged:
            return f"{self.function}  unchanged  (v{self.version} = {self.alias}, {sha})"
        config = f"configuration: {', '.join(self.settings_changed)}"
        if not self.code_changed:
            what = f"{config}; code unchanged" if self.settings_changed else "code unchanged"
        else:
            what = f"{sha}, {human_size(self.size)}, {self.seconds:.1f} s"
            what += f"; {config}" if self.settings_changed else ""
        return f"{self.function}  v{self.version} → {self.alias}  ({what})"


def artifact_key(app: str, env: str, function: str, hexdigest: str) -> str:
    return f"{app}/{env}/{function}/{hexdigest}.zip"


def plan_push(ctx: PhaseTwo, function: str, artifact: ArtifactLike) -> PushPlan:
    """Read `$LATEST` and the first alias (together: one round trip, two calls); return the steps
    that would ship `artifact` with `$LATEST`'s configuration."""
    ctx.check_function(function)
    start_calls = ctx.calls.in_this_thread()
    physical = ctx.physical_name(function)
    alias = ctx.aliases[0]
    latest, alias_state = ctx.both(
        lambda: ctx.lambda_.get_configuration(physical),
        lambda: ctx.lambda_.get_alias(physical, alias),
    )
    notes = check_deployed(ctx, function, artifact, latest)
    sha = artifact.code_sha256
    served = _compare_served(ctx, physical, alias_state, latest, sha)
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
            *_code_steps(ctx, function, physical, artifact, latest),
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
        reads=ctx.calls.in_this_thread() - start_calls,
        code_changed=not served.code_same,
        settings_changed=served.settings,
        notes=notes,
    )


@dataclass(frozen=True)
class _Comparison:
    code_same: bool  # the alias serves the artifact's code, alone
    settings: tuple[str, ...]  # settings where `$LATEST` differs from what the alias serves


def _compare_served(
    ctx: PhaseTwo, physical: str, alias: AliasState, latest: FunctionState, sha: str
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
    served = ctx.lambda_.get_configuration(physical, alias.function_version)
    return _Comparison(
        served.code_sha256 == sha, changed_settings(served.settings, latest.settings)
    )


def check_deployed(
    ctx: PhaseTwo, function: str, artifact: ArtifactLike, latest: FunctionState
) -> tuple[str, ...]:
    """The deployed function is phase two's truth. Refuse (exit 2) an artifact that cannot run
    under the handler and runtime the function is deployed with; return one line naming the
    twophase.yml settings that `infra up` has not deployed yet."""
    spec = ctx.config.resolved(function)
    deployed = {
        "handler": latest.handler,
        "runtime": latest.runtime,
        "architecture": ",".join(latest.settings.get("architecture") or []),
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
        _check_runs_as_deployed(ctx, function, artifact, latest)
    if not differ:
        return ()
    return (
        f"{function}: twophase.yml changes {', '.join(differ)}, which the deployed function "
        f"does not have yet: run `twophase infra up -e {ctx.env}` for that to take effect",
    )


def _check_runs_as_deployed(
    ctx: PhaseTwo, function: str, artifact: ArtifactLike, latest: FunctionState
) -> None:
    import dataclasses

    from twophase.build.checks import check_handler
    from twophase.config.rules import runtime_family

    spec = ctx.config.resolved(function)
    runtime = latest.runtime or spec.runtime
    target = dataclasses.replace(
        spec,
        handler=latest.handler or spec.handler,
        runtime=runtime,
        runtime_family=runtime_family(runtime),
    )
    archive = (
        artifact.path.read_bytes() if artifact.path and target.runtime_family == "java" else None
    )
    try:
        check_handler(target, artifact.entries, archive=archive)
    except BuildError as exc:
        raise UsageError(
            f"{function}: this artifact cannot run as the function is deployed "
            f"(handler {target.handler}, {runtime}): {exc.message}",
            hint=f"deploy twophase.yml's handler first (`twophase infra up -e {ctx.env}`), "
            "then push",
        ) from exc


def _code_steps(
    ctx: PhaseTwo, function: str, physical: str, artifact: ArtifactLike, latest: FunctionState
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
    bucket = ctx.artifact_bucket()
    key = artifact_key(ctx.config.app, ctx.env, function, artifact.hexdigest)
    update = UpdateCode(physical, f"s3://{bucket}/{key}", latest.revision_id)
    if ctx.artifacts.exists(bucket, key):
        return (update,)
    return (Upload(bucket, key, artifact.size), update)


# --- applying it --------------------------------------------------------------------------------


@dataclass
class _Progress:
    revision_id: str
    version: str = ""
    previous: str | None = None
    settings_digest: str | None = None  # of the version published


def apply_push(ctx: PhaseTwo, plan: PushPlan) -> PushResult:
    """Run the plan's steps in order; a conflict names what changed under you."""
    started = time.monotonic()
    start_calls = ctx.calls.in_this_thread()
    progress = _Progress(revision_id=plan.latest_revision)
    for note in plan.notes:
        ctx.reporter.warn(note)
    for step in plan.steps:
        ctx.reporter.info(f"{plan.function}: {step.describe()}")
        _run_step(ctx, plan, step, progress)
    return PushResult(
        function=plan.function,
        physical=plan.physical,
        version=progress.version,
        alias=plan.alias,
        code_sha256=plan.artifact.code_sha256,
        size=plan.artifact.size,
        seconds=time.monotonic() - started,
        unchanged=plan.unchanged,
        api_calls=plan.reads + ctx.calls.in_this_thread() - start_calls,
        previous_version=progress.previous,
        hexdigest=plan.artifact.hexdigest,
        code_changed=plan.code_changed,
        settings_changed=plan.settings_changed,
    )


def _run_step(ctx: PhaseTwo, plan: PushPlan, step: PushStep, progress: _Progress) -> None:
    artifact = plan.artifact
    match step:
        case Unchanged(version=version):
            progress.version = version
        case WaitActive():
            progress.revision_id = ctx.lambda_.wait_active(plan.physical).revision_id
        case Upload(bucket=bucket, key=key, size=size):
            task = f"{plan.function}: upload"
            ctx.reporter.progress(task, 0, size, "bytes")
            try:
                ctx.artifacts.put(
                    bucket,
                    key,
                    _artifact_path(plan),
                    code_sha256=artifact.code_sha256,
                    on_progress=lambda sent: ctx.reporter.progress(
                        task, min(sent, size - 1), size, "bytes"
                    ),
                )
            except BaseException:
                ctx.reporter.end(task)  # no bar left behind the error line
                raise
            ctx.reporter.progress(task, size, size, "bytes")
        case UpdateCode():
            state = ctx.lambda_.update_code(
                plan.physical,
                _code_source(plan, step),
                progress.revision_id,
                code_sha256=artifact.code_sha256,
            )
            progress.revision_id = state.revision_id
        case Publish(code_sha256=code_sha256):
            record = _release_record(ctx, plan, _first_move(plan))
            published = ctx.lambda_.publish_version(
                plan.physical,
                code_sha256=code_sha256,
                revision_id=progress.revision_id,
                description=record.encode(),
            )
            if published.state != "Active":  # a new version may start Pending
                published = ctx.lambda_.wait_active(plan.physical, published.version)
            progress.version = published.version
            progress.settings_digest = published.settings_digest
        case MoveAlias():
            _move_alias(ctx, step, progress, artifact.code_sha256)


def _move_alias(ctx: PhaseTwo, step: MoveAlias, progress: _Progress, code_sha256: str) -> None:
    served = Served(progress.version, code_sha256, progress.settings_digest)
    progress.previous = step.from_version
    if progress.version == step.from_version and not step.splits:
        return  # PublishVersion gave back the version the alias already sends everything to
    try:
        ctx.lambda_.update_alias(
            step.function,
            step.alias,
            version=progress.version,
            revision_id=step.revision_id,
            description=encode_history(list(step.history), served),
        )
    except ConflictError as exc:
        raise ConflictError(
            describe_alias_conflict(ctx, step.function, step.alias, progress.version),
            hint="check `twophase releases FUNCTION`, then push again if yours should win",
        ) from exc


def describe_alias_conflict(ctx: PhaseTwo, physical: str, alias: str, ours: str) -> str:
    """One line: what the alias holds now and, where its release record says, who put it there."""
    base = f"alias {alias} of {physical} moved under you; v{ours} was published but not aliased"
    try:
        now = ctx.lambda_.get_configuration(physical, alias)
    except TwophaseError:
        return base
    record = ReleaseRecord.decode(now.description)
    if record is None:
        return f"{base}: {alias} now serves v{now.version}"
    who = record.by or "someone"
    commit = f", git {record.commit}" if record.commit else ""
    return f"{base}: {alias} now serves v{now.version}, pushed by {who} at {record.at}{commit}"


def _first_move(plan: PushPlan) -> MoveAlias | None:
    return next((s for s in plan.steps if isinstance(s, MoveAlias)), None)


def _release_record(ctx: PhaseTwo, plan: PushPlan, move: MoveAlias | None) -> ReleaseRecord:
    git = ctx.git.state()
    return ReleaseRecord(
        artifact=plan.artifact.hexdigest,
        by=ctx.identity.arn(),
        at=utc_stamp(ctx.now()),
        previous=move.from_version if move else None,
        commit=git.commit if git else None,
        dirty=git.dirty if git else None,
    )


def _code_source(plan: PushPlan, step: UpdateCode) -> CodeSource:
    if step.source == "zip":
        return CodeSource(zip_bytes=_artifact_path(plan).read_bytes())
    if step.source.startswith("s3://"):
        bucket, _, key = step.source.removeprefix("s3://").partition("/")
        return CodeSource(s3_bucket=bucket, s3_key=key)
    return CodeSource(image_uri=step.source)


def _artifact_path(plan: PushPlan) -> Path:
    path = plan.artifact.path
    if path is None:
        raise BuildError(f"{plan.function}: the artifact has no file to upload")
    return path


def human_size(size: int) -> str:
    value = float(size)
    for unit in ("B", "KB", "MB"):
        if value < 1024 or unit == "MB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"


# --- many functions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PushOptions:
    functions: tuple[str, ...] = ()
    all: bool = False
    dry_run: bool = False
    max_workers: int = DEFAULT_WORKERS


@dataclass(frozen=True)
class PushOutcome:
    """One function's part of a push: a plan (dry run), a result, or the error it met."""

    function: str
    plan: PushPlan | None = None
    result: PushResult | None = None
    error: TwophaseError | None = None
    pruned: tuple[str, ...] = ()  # old versions deleted after the push (`retention`)


@dataclass(frozen=True)
class PushReport:
    outcomes: tuple[PushOutcome, ...]

    @property
    def ok(self) -> bool:
        return all(o.error is None for o in self.outcomes)

    @property
    def exit_status(self) -> ExitStatus:
        statuses = [o.error.exit_status for o in self.outcomes if o.error is not None]
        if not statuses:
            return ExitStatus.OK
        if ExitStatus.CONFLICT in statuses:
            return ExitStatus.CONFLICT
        return max(statuses)


def push(
    ctx: PhaseTwo, options: PushOptions, artifact_for: Callable[[str], ArtifactLike]
) -> PushReport:
    """Build (through `artifact_for`), plan and apply each function in a bounded thread pool."""
    names = _selected(ctx, options)
    workers = max(1, min(options.max_workers, len(names)))
    if not options.dry_run:
        ctx.git.prefetch()  # the release record's commit, read while the rest goes on
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push") as pool:
        futures = [pool.submit(_push_one, ctx, n, artifact_for, options.dry_run) for n in names]
        # While the workers build (compressing releases the GIL), set up the Lambda client here.
        ctx.lambda_.connect()
        return PushReport(tuple(f.result() for f in futures))


def _retain(ctx: PhaseTwo, result: PushResult) -> tuple[str, ...]:
    """twophase.yml's `retention` after a push that published a version: best effort, a failure
    is a warning (the push succeeded)."""
    keep = ctx.config.resolved(result.function).retention
    if not keep or result.unchanged or result.version == result.previous_version:
        return ()
    from twophase.release.prune import prune_after_push

    try:
        pruned = prune_after_push(ctx, result.function, result.version, keep)
    except TwophaseError as exc:
        ctx.reporter.warn(
            f"{result.function}: pushed, but deleting versions older than the last {keep} "
            f"failed: {exc}"
        )
        return ()
    if pruned is None:
        return ()
    if pruned.deleted:
        listed = ", ".join(f"v{v}" for v in pruned.deleted)
        ctx.reporter.info(f"{result.function}: deleted {listed} (retention {keep})")
    return pruned.deleted


def _selected(ctx: PhaseTwo, options: PushOptions) -> list[str]:
    if options.all:
        return sorted(ctx.config.functions)
    if not options.functions:
        raise UsageError("no function given", hint="name one or more functions, or pass --all")
    for name in options.functions:
        ctx.check_function(name)
    return list(dict.fromkeys(options.functions))


def _push_one(
    ctx: PhaseTwo, function: str, artifact_for: Callable[[str], ArtifactLike], dry_run: bool
) -> PushOutcome:
    try:
        plan = plan_push(ctx, function, artifact_for(function))
        if dry_run:
            return PushOutcome(function, plan=plan)
        result = apply_push(ctx, plan)
        return PushOutcome(function, plan=plan, result=result, pruned=_retain(ctx, result))
    except AccessDeniedError as exc:
        from twophase.infra.policy import access_denied

        return PushOutcome(
            function, error=access_denied(ctx.config.model(), ctx.env, function, exc)
        )
    except TwophaseError as exc:  # reported once, by whoever renders the report
        return PushOutcome(function, error=exc)
