"""`twophase releases FUNCTION`: published versions, newest first, with their release records;
the dummy (phase one's version, no code pushed) is marked as such."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from twophase.aws.lambda_client import AliasState, FunctionState
from twophase.release.context import CallCounter, Scope, both, no_dummies
from twophase.release.dummy_versions import is_dummy
from twophase.release.release_record import ReleaseRecord

if TYPE_CHECKING:
    from twophase.release.ports import LambdaReader


@dataclass(frozen=True)
class ReleasesDeps:
    """What listing releases reads: Lambda's versions and aliases, phase one's dummy record."""

    scope: Scope
    lambda_: LambdaReader
    calls: CallCounter = field(default_factory=CallCounter)
    dummies: Callable[[], Mapping[str, str]] = no_dummies


@dataclass(frozen=True)
class AliasPointer:
    alias: str
    weight: float  # share of the alias's traffic this version gets (1.0 when it is all of it)


@dataclass(frozen=True)
class Release:
    version: str
    code_sha256: str
    by: str | None
    at: str  # the release record's time, else Lambda's LastModified
    commit: str | None
    dirty: bool | None
    previous: str | None
    aliases: tuple[AliasPointer, ...] = ()
    dummy: bool = False  # phase one's dummy version: no code pushed


@dataclass(frozen=True)
class ReleasesResult:
    function: str
    physical: str
    releases: tuple[Release, ...]


def list_releases(deps: ReleasesDeps, function: str) -> ReleasesResult:
    """Two reads, together: the versions and the aliases (and phase one's record of the dummy,
    best effort)."""
    deps.scope.check_function(function)
    physical = deps.scope.physical_name(function)
    versions, aliases = both(
        deps.calls,
        lambda: deps.lambda_.list_versions(physical),
        lambda: deps.lambda_.list_aliases(physical),
    )
    dummy_sha = deps.dummies().get(function)
    return ReleasesResult(function, physical, releases_of(versions, aliases, dummy_sha))


def releases_of(
    versions: Sequence[FunctionState],
    aliases: Sequence[AliasState],
    dummy_sha: str | None = None,
) -> tuple[Release, ...]:
    """Published versions newest first, each with the aliases that route to it."""
    pointers = alias_pointers(aliases)
    published = [v for v in versions if v.version.isdigit()]
    ordered = sorted(published, key=lambda v: int(v.version), reverse=True)
    return tuple(release_of(v, pointers.get(v.version, ()), dummy_sha) for v in ordered)


def release_of(
    version: FunctionState, pointers: Sequence[AliasPointer] = (), dummy_sha: str | None = None
) -> Release:
    dummy = is_dummy(version, dummy_sha)
    record = None if dummy else ReleaseRecord.decode(version.description)
    return Release(
        version=version.version,
        code_sha256=version.code_sha256,
        by=record.by if record else None,
        at=record.at if record else version.last_modified,
        commit=record.commit if record else None,
        dirty=record.dirty if record else None,
        previous=record.previous if record else None,
        aliases=tuple(pointers),
        dummy=dummy,
    )


def alias_pointers(aliases: Sequence[AliasState]) -> dict[str, tuple[AliasPointer, ...]]:
    """version → the aliases routing to it, with the share of each alias's traffic."""
    found: dict[str, list[AliasPointer]] = {}
    for alias in sorted(aliases, key=lambda a: a.name):
        primary = round(1.0 - sum(alias.weights.values()), 4)
        found.setdefault(alias.function_version, []).append(AliasPointer(alias.name, primary))
        for version, weight in sorted(alias.weights.items()):
            found.setdefault(version, []).append(AliasPointer(alias.name, weight))
    return {version: tuple(pointers) for version, pointers in found.items()}
