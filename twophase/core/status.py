"""`twophase status`: per function, dummy or real code, where each alias points, the last release.

Two reads per function (versions with `$LATEST`, and aliases), functions in parallel. The dummies'
CodeSha256 come from the caller (phase one records them in the stack's metadata).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Literal

from twophase.aws.lambda_client import LATEST, AliasState, FunctionState
from twophase.aws.lambda_settings import changed_settings
from twophase.core import PhaseTwo
from twophase.core.releases import Release, releases_of
from twophase.errors import NotFoundError, TwophaseError

CodeState = Literal["dummy", "real", "unknown", "missing"]


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
    error: str | None = None
    latest_dummy: bool = False  # `$LATEST` holds the dummy while an alias serves pushed code

    @property
    def serves_older_configuration(self) -> bool:
        return any(a.older_settings for a in self.aliases)


@dataclass(frozen=True)
class StatusResult:
    functions: tuple[FunctionStatus, ...]


def status(ctx: PhaseTwo, options: StatusOptions, dummy_shas: Mapping[str, str]) -> StatusResult:
    names = list(options.functions) or sorted(ctx.config.functions)
    for name in names:
        ctx.check_function(name)
    workers = max(1, min(options.max_workers, len(names)))
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="status") as pool:
        found = list(pool.map(lambda n: function_status(ctx, n, dummy_shas.get(n)), names))
    return StatusResult(tuple(found))


def function_status(ctx: PhaseTwo, function: str, dummy_sha: str | None) -> FunctionStatus:
    physical = ctx.physical_name(function)
    try:
        versions = ctx.lambda_.list_versions(physical, include_latest=True)
        aliases = ctx.lambda_.list_aliases(physical)
    except NotFoundError:
        return FunctionStatus(function, physical, "missing")
    except TwophaseError as exc:
        return FunctionStatus(function, physical, "unknown", error=str(exc))
    shas = {v.version: v.code_sha256 for v in versions}
    latest = shas.pop(LATEST, None)
    behind = settings_behind(versions, aliases)
    alias_states = tuple(
        AliasStatus(
            alias=a.name,
            version=a.function_version,
            weights=dict(a.weights),
            dummy=None if dummy_sha is None else shas.get(a.function_version) == dummy_sha,
            older_settings=behind.get(a.name, ()),
        )
        for a in sorted(aliases, key=lambda a: ctx.alias_rank(a.name))
    )
    releases = releases_of(versions, aliases)
    code = _code_state(dummy_sha, latest, alias_states)
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


def _code_state(
    dummy_sha: str | None, latest: str | None, aliases: tuple[AliasStatus, ...]
) -> CodeState:
    if dummy_sha is None:
        return "unknown"
    served_dummy = all(a.dummy for a in aliases)
    return "dummy" if served_dummy and latest == dummy_sha else "real"
