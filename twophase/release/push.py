"""`twophase push`: ship one release to a function as a new version behind the first alias.

A release is code *and* configuration: a published version freezes both, so phase one's
configuration changes (on `$LATEST`) reach an alias only through a push. Each function is planned
(`twophase.release.push_plan`) and applied (`twophase.release.push_apply`); `push` runs many
functions in parallel, then applies twophase.yml's `retention`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Protocol

from twophase.errors import AccessDeniedError, ExitStatus, TwophaseError, UsageError
from twophase.release.context import failure_of
from twophase.release.push_apply import PushResult, apply_push
from twophase.release.push_plan import ArtifactLike, PushDeps, PushPlan, plan_push

DEFAULT_WORKERS = 8


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

    def failure(self) -> TwophaseError | None:
        """What the command ends with (see `failure_of`)."""
        return failure_of([o.error for o in self.outcomes], "pushes failed", self.exit_status)


class PushWatcher(Protocol):
    """Who follows a push of many functions as it goes (the CLI's progress view)."""

    def started(self, functions: Sequence[str]) -> None:
        """The functions about to be pushed, before any is."""

    def finished(self, outcome: PushOutcome) -> None:
        """One function's outcome, as soon as it is known (called from a worker thread)."""


def push(
    deps: PushDeps,
    options: PushOptions,
    artifact_for: Callable[[str], ArtifactLike],
    watcher: PushWatcher | None = None,
) -> PushReport:
    """Build (through `artifact_for`), plan and apply each function in a bounded thread pool;
    the report keeps the functions' order, the `watcher` hears of each as it ends."""
    names = _selected(deps, options)
    workers = max(1, min(options.max_workers, len(names)))
    if not options.dry_run:
        deps.git.prefetch()  # the release record's commit, read while the rest goes on
    if watcher is not None:
        watcher.started(names)

    def one(name: str) -> PushOutcome:
        outcome = _push_one(deps, name, artifact_for, options.dry_run)
        if watcher is not None:
            watcher.finished(outcome)
        return outcome

    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="push") as pool:
        futures = [pool.submit(one, n) for n in names]
        # While the workers build (compressing releases the GIL), set up the Lambda client here.
        deps.lambda_.connect()
        return PushReport(tuple(f.result() for f in futures))


def _retain(deps: PushDeps, result: PushResult) -> tuple[str, ...]:
    """twophase.yml's `retention` after a push that published a version: best effort, a failure
    is a warning (the push succeeded)."""
    keep = deps.scope.config.function(result.function).retention
    if not keep or result.unchanged or result.version == result.previous_version:
        return ()
    from twophase.release.prune import PruneDeps, prune_after_push

    pruning = PruneDeps(deps.scope, deps.lambda_, deps.reporter, deps.calls)
    try:
        pruned = prune_after_push(pruning, result.function, result.version, keep)
    except TwophaseError as exc:
        deps.reporter.warn(
            f"{result.function}: pushed, but deleting versions older than the last {keep} "
            f"failed: {exc}"
        )
        return ()
    if pruned is None:
        return ()
    if pruned.deleted:
        listed = ", ".join(f"v{v}" for v in pruned.deleted)
        deps.reporter.info(f"{result.function}: deleted {listed} (retention {keep})")
    return pruned.deleted


def _selected(deps: PushDeps, options: PushOptions) -> list[str]:
    if options.all:
        return sorted(deps.scope.config.functions)
    if not options.functions:
        raise UsageError("no function given", hint="name one or more functions, or pass --all")
    for name in options.functions:
        deps.scope.check_function(name)
    return list(dict.fromkeys(options.functions))


def _push_one(
    deps: PushDeps, function: str, artifact_for: Callable[[str], ArtifactLike], dry_run: bool
) -> PushOutcome:
    try:
        plan = plan_push(deps, function, artifact_for(function))
        if dry_run:
            return PushOutcome(function, plan=plan)
        result = apply_push(deps, plan)
        return PushOutcome(function, plan=plan, result=result, pruned=_retain(deps, result))
    except AccessDeniedError as exc:
        from twophase.release.access import access_denied

        return PushOutcome(
            function, error=access_denied(deps.scope.config, deps.scope.env, function, exc)
        )
    except TwophaseError as exc:  # reported once, by whoever renders the report
        return PushOutcome(function, error=exc)
