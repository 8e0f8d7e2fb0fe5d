"""Applying a push plan: each step guarded by what the plan read; a conflict names what changed
under you, from the release record the alias now serves."""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

from twophase.aws.lambda_client import CodeSource
from twophase.errors import BuildError, ConflictError, TwophaseError
from twophase.release.push_plan import (
    MoveAlias,
    Publish,
    PushDeps,
    PushPlan,
    PushStep,
    Unchanged,
    UpdateCode,
    Upload,
    WaitActive,
)
from twophase.release.release_record import ReleaseRecord, Served, encode_history, utc_stamp


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


@dataclass
class _Progress:
    revision_id: str
    version: str = ""
    previous: str | None = None
    settings_digest: str | None = None  # of the version published


def apply_push(deps: PushDeps, plan: PushPlan) -> PushResult:
    """Run the plan's steps in order; a conflict names what changed under you."""
    started = time.monotonic()
    start_calls = deps.calls.in_this_thread()
    progress = _Progress(revision_id=plan.latest_revision)
    for note in plan.notes:
        deps.reporter.warn(note)
    for step in plan.steps:
        deps.reporter.info(f"{plan.function}: {step.describe()}")
        _run_step(deps, plan, step, progress)
    return PushResult(
        function=plan.function,
        physical=plan.physical,
        version=progress.version,
        alias=plan.alias,
        code_sha256=plan.artifact.code_sha256,
        size=plan.artifact.size,
        seconds=time.monotonic() - started,
        unchanged=plan.unchanged,
        api_calls=plan.reads + deps.calls.in_this_thread() - start_calls,
        previous_version=progress.previous,
        hexdigest=plan.artifact.hexdigest,
        code_changed=plan.code_changed,
        settings_changed=plan.settings_changed,
    )


def _run_step(deps: PushDeps, plan: PushPlan, step: PushStep, progress: _Progress) -> None:
    artifact = plan.artifact
    match step:
        case Unchanged(version=version):
            progress.version = version
        case WaitActive():
            progress.revision_id = deps.lambda_.wait_active(plan.physical).revision_id
        case Upload(bucket=bucket, key=key, size=size):
            task = f"{plan.function}: upload"
            deps.reporter.progress(task, 0, size, "bytes")
            try:
                deps.artifacts.put(
                    bucket,
                    key,
                    _artifact_path(plan),
                    code_sha256=artifact.code_sha256,
                    on_progress=lambda sent: deps.reporter.progress(
                        task, min(sent, size - 1), size, "bytes"
                    ),
                )
            except BaseException:
                deps.reporter.end(task)  # no bar left behind the error line
                raise
            deps.reporter.progress(task, size, size, "bytes")
        case UpdateCode():
            state = deps.lambda_.update_code(
                plan.physical,
                _code_source(plan, step),
                progress.revision_id,
                code_sha256=artifact.code_sha256,
            )
            progress.revision_id = state.revision_id
        case Publish(code_sha256=code_sha256):
            record = _release_record(deps, plan, _first_move(plan))
            published = deps.lambda_.publish_version(
                plan.physical,
                code_sha256=code_sha256,
                revision_id=progress.revision_id,
                description=record.encode(),
            )
            if published.state != "Active":  # a new version may start Pending
                published = deps.lambda_.wait_active(plan.physical, published.version)
            progress.version = published.version
            progress.settings_digest = published.settings_digest
        case MoveAlias():
            _move_alias(deps, step, progress, artifact.code_sha256)


def _move_alias(deps: PushDeps, step: MoveAlias, progress: _Progress, code_sha256: str) -> None:
    served = Served(progress.version, code_sha256, progress.settings_digest)
    progress.previous = step.from_version
    if progress.version == step.from_version and not step.splits:
        return  # PublishVersion gave back the version the alias already sends everything to
    try:
        deps.lambda_.update_alias(
            step.function,
            step.alias,
            version=progress.version,
            revision_id=step.revision_id,
            description=encode_history(list(step.history), served),
        )
    except ConflictError as exc:
        raise ConflictError(
            describe_alias_conflict(deps, step.function, step.alias, progress.version),
            hint="check `twophase releases FUNCTION`, then push again if yours should win",
        ) from exc


def describe_alias_conflict(deps: PushDeps, physical: str, alias: str, ours: str) -> str:
    """One line: what the alias holds now and, where its release record says, who put it there."""
    base = f"alias {alias} of {physical} moved under you; v{ours} was published but not aliased"
    try:
        now = deps.lambda_.get_configuration(physical, alias)
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


def _release_record(deps: PushDeps, plan: PushPlan, move: MoveAlias | None) -> ReleaseRecord:
    git = deps.git.state()
    return ReleaseRecord(
        artifact=plan.artifact.hexdigest,
        by=deps.identity.arn(),
        at=utc_stamp(deps.now()),
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
