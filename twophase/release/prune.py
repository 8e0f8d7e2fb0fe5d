"""`twophase prune FUNCTION… | --all`: delete old published versions.

Every changed push publishes a version, and versions count against the Region's code storage
(75 GB), so old ones are deleted. `plan_prune` reads the versions and the aliases (two calls,
together) and returns a `PrunePlan`: the versions it keeps, each with its reason, and one
`DeleteVersion` step per other version, oldest first. A version is kept when

- an alias routes to it (its version, or a weight of its RoutingConfig);
- `alias rollback` would move an alias back to it (the first version of the alias's history that
  is not the dummy, or the release record's previous version when the alias has no history);
- it is the dummy: phase one's version (a stack resource, a few KB), which `alias rollback --to`
  may deliberately serve again;
- it is one of the last `keep` releases (the highest version numbers, the dummy not counted).

`apply_prune` deletes each version with `DeleteFunction(Qualifier=N)`; a version an alias has
come to route to since the read (Lambda answers 409) or that is already gone is skipped with a
note, never a failure. A `retention` in twophase.yml runs the same after each push that
published a version (`prune_after_push`), best effort.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from twophase.aws.lambda_client import AliasState, FunctionState, VersionInUse
from twophase.errors import (
    AccessDeniedError,
    ExitStatus,
    NotFoundError,
    TwophaseError,
    UsageError,
)
from twophase.release.context import CallCounter, Scope, both, failure_of, no_dummies
from twophase.release.dummy_versions import is_dummy
from twophase.release.ports import LambdaWriter
from twophase.release.release_record import ReleaseRecord, decode_history
from twophase.reporter import NullReporter, Reporter

DEFAULT_KEEP = 10
DEFAULT_WORKERS = 4


class KeepReason(enum.Enum):
    SERVED = "an alias routes to it"
    ROLLBACK = "alias rollback would return to it"
    DUMMY = "the dummy"
    RECENT = "one of the last releases"


@dataclass(frozen=True)
class Kept:
    version: str
    reason: KeepReason
    alias: str | None = None  # the alias that routes (or rolls back) to it

    def describe(self) -> str:
        if self.reason is KeepReason.SERVED:
            return f"v{self.version}: {self.alias} routes to it"
        if self.reason is KeepReason.ROLLBACK:
            return f"v{self.version}: `alias rollback` would move {self.alias} back to it"
        if self.reason is KeepReason.DUMMY:
            return f"v{self.version}: the dummy (phase one's version)"
        return f"v{self.version}: one of the last releases"


@dataclass(frozen=True)
class DeleteVersion:
    function: str  # the Lambda function name
    version: str
    code_sha256: str

    def describe(self) -> str:
        return f"delete v{self.version} of {self.function} (code sha {self.code_sha256[:12]})"


@dataclass(frozen=True)
class PrunePlan:
    function: str  # the name in twophase.yml
    physical: str
    keep: int
    steps: tuple[DeleteVersion, ...]
    kept: tuple[Kept, ...]

    def describe(self) -> list[str]:
        lines = [step.describe() for step in self.steps]
        return lines or [f"{self.physical}: nothing to delete ({len(self.kept)} versions kept)"]


@dataclass(frozen=True)
class Skipped:
    version: str
    note: str


@dataclass(frozen=True)
class PruneResult:
    function: str
    physical: str
    deleted: tuple[str, ...]
    skipped: tuple[Skipped, ...]
    kept: tuple[Kept, ...]


@dataclass(frozen=True)
class PruneDeps:
    """What a prune uses: Lambda's versions and aliases, and phase one's record of the dummies
    (read on first use; none after a push, which does not wait on the stack's template)."""

    scope: Scope
    lambda_: LambdaWriter
    reporter: Reporter = field(default_factory=NullReporter)
    calls: CallCounter = field(default_factory=CallCounter)
    dummies: Callable[[], Mapping[str, str]] = no_dummies


# --- planning -----------------------------------------------------------------------------------


def plan_prune(
    deps: PruneDeps, function: str, keep: int = DEFAULT_KEEP, *, read_dummy: bool = True
) -> PrunePlan:
    """Read the versions and the aliases (two calls, together); decide what goes. The dummy is
    known by phase one's version Description, and by its recorded sha when `read_dummy` (one
    more read, of the stack's template, best effort)."""
    deps.scope.check_function(function)
    if keep < 0:
        raise UsageError(f"--keep {keep}: keep 0 or more versions")
    physical = deps.scope.physical_name(function)
    versions, aliases = both(
        deps.calls,
        lambda: deps.lambda_.list_versions(physical),
        lambda: deps.lambda_.list_aliases(physical),
    )
    dummy_sha = deps.dummies().get(function) if read_dummy else None
    kept, deleted = choose(versions, aliases, keep, dummy_sha)
    steps = tuple(DeleteVersion(physical, v.version, v.code_sha256) for v in deleted)
    return PrunePlan(function, physical, keep, steps, kept)


def choose(
    versions: Sequence[FunctionState],
    aliases: Sequence[AliasState],
    keep: int,
    dummy_sha: str | None,
) -> tuple[tuple[Kept, ...], tuple[FunctionState, ...]]:
    """(the versions kept and why, the versions to delete oldest first): pure."""
    published = sorted(
        (v for v in versions if v.version.isdigit()), key=lambda v: int(v.version), reverse=True
    )
    by_version = {v.version: v for v in published}
    dummies = {v.version for v in published if is_dummy(v, dummy_sha)}
    reasons: dict[str, Kept] = {}
    for version in sorted(dummies, key=int):
        reasons[version] = Kept(version, KeepReason.DUMMY)
    for alias in sorted(aliases, key=lambda a: a.name):
        for version in (alias.function_version, *alias.weights):
            reasons.setdefault(version, Kept(version, KeepReason.SERVED, alias.name))
    for alias in sorted(aliases, key=lambda a: a.name):
        target = rollback_target(alias, by_version, dummies)
        if target is not None:
            reasons.setdefault(target, Kept(target, KeepReason.ROLLBACK, alias.name))
    releases = [v for v in published if v.version not in dummies]
    for recent in releases[:keep]:
        reasons.setdefault(recent.version, Kept(recent.version, KeepReason.RECENT))
    kept = tuple(reasons[v.version] for v in published if v.version in reasons)
    deleted = tuple(reversed([v for v in published if v.version not in reasons]))
    return kept, deleted


def rollback_target(
    alias: AliasState, versions: Mapping[str, FunctionState], dummies: Iterable[str]
) -> str | None:
    """The version `alias rollback` would move `alias` back to (see twophase.release.rollback)."""
    skip = {alias.function_version, *dummies}
    history = decode_history(alias.description)
    if not history:
        served = versions.get(alias.function_version)
        record = ReleaseRecord.decode(served.description) if served is not None else None
        history = [record.previous] if record is not None and record.previous else []
    return next((v for v in history if v not in skip), None)


# --- applying -----------------------------------------------------------------------------------


def apply_prune(deps: PruneDeps, plan: PrunePlan) -> PruneResult:
    deleted: list[str] = []
    skipped: list[Skipped] = []
    for step in plan.steps:
        match step:
            case DeleteVersion(function=physical, version=version):
                deps.reporter.info(f"{plan.function}: {step.describe()}")
                try:
                    deps.lambda_.delete_version(physical, version)
                except VersionInUse:
                    skipped.append(Skipped(version, "an alias routes to it now: kept"))
                except NotFoundError:
                    skipped.append(Skipped(version, "already deleted"))
                else:
                    deleted.append(version)
    for skip in skipped:
        deps.reporter.info(f"{plan.function}: v{skip.version} skipped: {skip.note}")
    return PruneResult(plan.function, plan.physical, tuple(deleted), tuple(skipped), plan.kept)


def prune_after_push(deps: PruneDeps, function: str, version: str, keep: int) -> PruneResult | None:
    """The retention twophase.yml asks for, after a push published `version`. None when there
    cannot be anything to delete yet (no more versions than `keep` exist: no call at all).
    Two reads and the deletes: the push does not wait on the stack's template."""
    if not version.isdigit() or int(version) <= keep:
        return None
    return apply_prune(deps, plan_prune(deps, function, keep, read_dummy=False))


# --- many functions -----------------------------------------------------------------------------


@dataclass(frozen=True)
class PruneOptions:
    functions: tuple[str, ...] = ()
    all: bool = False
    keep: int = DEFAULT_KEEP
    dry_run: bool = False
    max_workers: int = DEFAULT_WORKERS


@dataclass(frozen=True)
class PruneOutcome:
    """One function's part: a plan (dry run), a result, or the error it met."""

    function: str
    plan: PrunePlan | None = None
    result: PruneResult | None = None
    error: TwophaseError | None = None


@dataclass(frozen=True)
class PruneReport:
    outcomes: tuple[PruneOutcome, ...]

    @property
    def exit_status(self) -> ExitStatus:
        statuses = [o.error.exit_status for o in self.outcomes if o.error is not None]
        return max(statuses, default=ExitStatus.OK)

    def failure(self) -> TwophaseError | None:
        """What the command ends with (see `failure_of`)."""
        errors = [o.error for o in self.outcomes]
        return failure_of(errors, "functions failed to prune", self.exit_status)


def prune(deps: PruneDeps, options: PruneOptions) -> PruneReport:
    """Plan (and unless a dry run, apply) each function, a few in parallel."""
    if options.all and options.functions:
        raise UsageError("name functions or pass --all, not both")
    if not options.all and not options.functions:
        raise UsageError("no function given", hint="name one or more functions, or pass --all")
    if options.keep < 0:
        raise UsageError(f"--keep {options.keep}: keep 0 or more versions")
    names = (
        sorted(deps.scope.config.functions)
        if options.all
        else list(dict.fromkeys(options.functions))
    )
    for name in names:
        deps.scope.check_function(name)
    workers = max(1, min(options.max_workers, len(names)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="prune") as pool:
        outcomes = pool.map(lambda n: _prune_one(deps, n, options), names)
        return PruneReport(tuple(outcomes))


def _prune_one(deps: PruneDeps, function: str, options: PruneOptions) -> PruneOutcome:
    try:
        plan = plan_prune(deps, function, options.keep)
        if options.dry_run:
            return PruneOutcome(function, plan=plan)
        return PruneOutcome(function, plan=plan, result=apply_prune(deps, plan))
    except AccessDeniedError as exc:
        from twophase.release.access import access_denied

        return PruneOutcome(
            function, error=access_denied(deps.scope.config, deps.scope.env, function, exc)
        )
    except TwophaseError as exc:
        return PruneOutcome(function, error=exc)
