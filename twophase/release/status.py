"""`twophase status`: per function, dummy or real code, where each alias points, the last release.

Two reads per function (versions with `$LATEST`, and aliases) and phase one's record of the
dummies, all at once: one round trip for a few functions, not three. `code` is what the serving
alias (the last of the chain, which triggers call) serves: "dummy" while it serves the dummy,
whatever the other aliases serve. The dummy is known by phase one's version Description and by
the CodeSha256 phase one records in the stack's metadata (see twophase.release.dummy_versions).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from twophase.aws.lambda_client import LATEST, AliasState, FunctionState
from twophase.aws.lambda_settings import changed_settings
from twophase.errors import CredentialsError, NotFoundError, TwophaseError
from twophase.release.context import Scope, no_dummies
from twophase.release.dummy_versions import is_dummy
from twophase.release.releases import Release, releases_of

if TYPE_CHECKING:
    from twophase.release.ports import LambdaReader

CodeState = Literal["dummy", "real", "unknown", "missing"]


@dataclass(frozen=True)
class StatusDeps:
    """What status reads: Lambda's versions and aliases, and phase one's dummy record."""

    scope: Scope
    lambda_: LambdaReader
    dummies: Callable[[], Mapping[str, str]] = no_dummies


@dataclass(frozen=True)
class StatusOptions:
    functions: tuple[str, ...] = ()  # default: every function in twophase.yml
    max_workers: int = 8


@dataclass(frozen=True)
class AliasStatus:
    alias: str
    version: str
    weights: Mapping[str, float]  # additional versions and their shares
    dummy: bool | None  # whether the primary version holds the dummy (None: dummy unknown)
    # Settings where `$LATEST` (what phase one deployed) differs from what the alias serves:
    # names only, never values. Empty: the alias serves the current configuration.
    older_settings: tuple[str, ...] = ()


@dataclass(frozen=True)
class FunctionStatus:
    function: str
    physical: str
    code: CodeState
    latest_sha256: str | None = None
    unpublished: bool = False  # $LATEST holds code no published version has
    aliases: tuple[AliasStatus, ...] = ()
    last_release: Release | None = None
    error: TwophaseError | None = None  # why it could not be read ("unknown")
    latest_dummy: bool = False  # `$LATEST` holds the dummy while an alias serves pushed code

    @property
    def serves_older_configuration(self) -> bool:
        return any(a.older_settings for a in self.aliases)


@dataclass(frozen=True)
class StatusResult:
    functions: tuple[FunctionStatus, ...]

    def failure(self) -> TwophaseError | None:
        """What the command ends with when a function could not be read (its row says why):
        a count, with the worst of their exit statuses; None when every one was read."""
        failed = [f.error for f in self.functions if f.error is not None]
        if not failed:
            return None
        counted = TwophaseError(f"{len(failed)} of {len(self.functions)} functions not read")
        counted.exit_status = max(e.exit_status for e in failed)
        return counted


def status(
    deps: StatusDeps, options: StatusOptions, dummy_shas: Mapping[str, str] | None = None
) -> StatusResult:
    """`dummy_shas` (function → its dummy's CodeSha256): default, phase one's record."""
    names = list(options.functions) or sorted(deps.scope.config.functions)
    for name in names:
        deps.scope.check_function(name)
    workers = max(1, min(options.max_workers, 2 * len(names) + 1))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="status") as pool:
        record = pool.submit(deps.dummies) if dummy_shas is None else None
        reads = [_read_function(pool, deps, n) for n in names]
        shas = record.result() if record is not None else dummy_shas or {}
        found = [
            function_status(deps, n, shas.get(n), r) for n, r in zip(names, reads, strict=True)
        ]
    return StatusResult(tuple(found))


Reads = tuple["Future[list[FunctionState]]", "Future[list[AliasState]]"]


def _read_function(pool: ThreadPoolExecutor, deps: StatusDeps, function: str) -> Reads:
    physical = deps.scope.physical_name(function)
    return (
        pool.submit(deps.lambda_.list_versions, physical, include_latest=True),
        pool.submit(deps.lambda_.list_aliases, physical),
    )


def function_status(
    deps: StatusDeps, function: str, dummy_sha: str | None, reads: Reads
) -> FunctionStatus:
    physical = deps.scope.physical_name(function)
    try:
        versions, aliases = reads[0].result(), reads[1].result()
    except NotFoundError:
        return FunctionStatus(function, physical, "missing")
    except CredentialsError:
        raise  # the caller's, not the function's: said once
    except TwophaseError as exc:
        return FunctionStatus(function, physical, "unknown", error=exc)
    shas = {v.version: v.code_sha256 for v in versions}
    latest = shas.pop(LATEST, None)
    behind = settings_behind(versions, aliases)
    dummies = _dummy_versions(versions, dummy_sha)
    alias_states = tuple(
        AliasStatus(
            alias=a.name,
            version=a.function_version,
            weights=dict(a.weights),
            dummy=None if dummies is None else a.function_version in dummies,
            older_settings=behind.get(a.name, ()),
        )
        for a in sorted(aliases, key=lambda a: deps.scope.alias_rank(a.name))
    )
    releases = releases_of(versions, aliases, dummy_sha)
    code = _code_state(deps.scope.aliases[-1], alias_states)
    return FunctionStatus(
        function=function,
        physical=physical,
        code=code,
        latest_sha256=latest,
        unpublished=latest is not None and latest not in shas.values(),
        aliases=alias_states,
        last_release=next((r for r in releases if r.by is not None), None),
        latest_dummy=code == "real" and dummy_sha is not None and latest == dummy_sha,
    )


def settings_behind(
    versions: Sequence[FunctionState], aliases: Sequence[AliasState]
) -> dict[str, tuple[str, ...]]:
    """Per alias, the settings where `$LATEST` differs from the version it serves (names only);
    aliases that serve the current configuration are left out. `versions` includes `$LATEST`."""
    by_version = {v.version: v for v in versions}
    latest = by_version.get(LATEST)
    out: dict[str, tuple[str, ...]] = {}
    for alias in aliases:
        served = by_version.get(alias.function_version)
        if latest is None or served is None or served is latest:
            continue
        older = changed_settings(served.settings, latest.settings)
        if older:
            out[alias.name] = older
    return out


def _dummy_versions(versions: Sequence[FunctionState], dummy_sha: str | None) -> set[str] | None:
    """The published versions holding the dummy; None when nothing tells (no record of the dummy's
    sha, and no version with phase one's Description)."""
    found = {v.version for v in versions if v.version != LATEST and is_dummy(v, dummy_sha)}
    return found if found or dummy_sha is not None else None


def _code_state(serving: str, aliases: tuple[AliasStatus, ...]) -> CodeState:
    """What the serving alias serves: it is what triggers and users reach."""
    served = next((a for a in aliases if a.alias == serving), None)
    if served is None or served.dummy is None:
        return "unknown"
    return "dummy" if served.dummy else "real"
