"""`env list` and `env prune`: the app's environments as they exist, and deleting expired previews.

An environment exists when its app stack does. A declared environment's stack is found by its
name; a preview's by the tags `infra up` puts on every app stack (`twophase:app`, `twophase:kind`,
`twophase:base`, `twophase:ttl`), in the account and region of each declared environment a
preview can be based on. The ttl is read from the stack, so a preview made before its pattern
changed (or was removed) still expires on the terms it was made with.

These are platform operations: they list every stack of a place and delete stacks, buckets and
log groups, which no function's deployer policy grants.

The clock is `utc_now`, read through this module at call time (a test sets it).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Literal

from twophase.aws.cloudformation import TaggedStack
from twophase.aws.logs import delete_log_group
from twophase.config.model import Config
from twophase.errors import TwophaseError
from twophase.infra.down import delete_app_stack, purge_artifacts
from twophase.infra.nested import all_resources
from twophase.infra.services import InfraServices
from twophase.names import (
    TAG_APP,
    TAG_BASE,
    TAG_ENV,
    TAG_KIND,
    TAG_TTL,
    function_name,
    lambda_log_group,
)
from twophase.release.release_record import ReleaseRecord

if TYPE_CHECKING:
    from mypy_boto3_logs.client import CloudWatchLogsClient

NOT_DEPLOYED = ("REVIEW_IN_PROGRESS",)  # a shell a CREATE change set made: nothing runs yet


def utc_now() -> datetime:
    """Now, timezone-aware (UTC)."""
    return datetime.now(UTC)


@dataclass
class PlaceServices:
    """The clients of one place (an account and region): phase one's, and CloudWatch Logs'."""

    infra: InfraServices
    logs: CloudWatchLogsClient


Connect = Callable[[str], PlaceServices]  # a declared environment -> the services of its place


@dataclass(frozen=True)
class EnvironmentInfo:
    """One environment that exists, as `env list` shows it."""

    name: str
    kind: Literal["declared", "preview"]
    base: str | None  # a preview's declared environment
    stack: str
    created: datetime
    age_seconds: int
    ttl_seconds: int | None  # a preview's
    last_push: str | None = None  # ISO 8601 UTC, from the newest release record of its functions
    pushed_by: str | None = None

    @property
    def expires(self) -> datetime | None:
        return (
            None if self.ttl_seconds is None else self.created + timedelta(seconds=self.ttl_seconds)
        )

    @property
    def expired(self) -> bool:
        return self.ttl_seconds is not None and self.age_seconds > self.ttl_seconds


@dataclass(frozen=True)
class Found:
    """The environments found, and for each the declared environment whose place holds it."""

    environments: tuple[EnvironmentInfo, ...]
    places: dict[str, str] = field(default_factory=dict)  # environment -> declared environment
    # Places that could not be read (a missing profile, no credentials, denied): the declared
    # environments living there, and why. The others are still listed.
    unreachable: tuple[tuple[tuple[str, ...], TwophaseError], ...] = ()

    def expired(self) -> tuple[EnvironmentInfo, ...]:
        return tuple(e for e in self.environments if e.kind == "preview" and e.expired)

    def kept(self) -> tuple[EnvironmentInfo, ...]:
        return tuple(e for e in self.environments if e.kind == "preview" and not e.expired)


@dataclass(frozen=True)
class EnvPruneResult:
    dry_run: bool
    pruned: tuple[str, ...]
    kept: tuple[str, ...]
    failures: tuple[tuple[str, TwophaseError], ...] = ()


def find_environments(
    config: Config, connect: Connect, *, pushes: bool = True, previews_only: bool = False
) -> Found:
    """Every environment of the app that exists, declared ones first; with `pushes`, each one's
    last push and who made it (best effort: one read per function). With `previews_only`, only
    the places previews are made in are read: `env prune` needs no other environment's
    credentials. A place that cannot be read is reported in `unreachable`, not fatal."""
    now = utc_now()
    found: list[EnvironmentInfo] = []
    places: dict[str, str] = {}
    unreachable: list[tuple[tuple[str, ...], TwophaseError]] = []
    bases = {pattern.base for pattern in config.patterns.values()}
    for envs in _places(config):
        if previews_only and not bases.intersection(envs):
            continue
        try:
            svc = connect(envs[0])
            stacks = svc.infra.cfn.tagged_stacks()
        except TwophaseError as exc:
            unreachable.append((tuple(envs), exc))
            continue
        for info in _in_place(config, envs, stacks, now):
            if pushes:
                info = _with_last_push(config, info, svc.infra)
            found.append(info)
            places[info.name] = envs[0]
    found.sort(key=lambda e: (e.kind != "declared", e.name))
    return Found(tuple(found), places, tuple(unreachable))


def prune_environments(
    config: Config, connect: Connect, found: Found, *, dry_run: bool
) -> EnvPruneResult:
    """Delete each expired preview (its app stack, artifacts and log groups); with `dry_run`,
    only say which. One that fails does not stop the others."""
    expired = found.expired()
    kept = tuple(e.name for e in found.kept())
    if dry_run:
        return EnvPruneResult(True, tuple(e.name for e in expired), kept)
    pruned: list[str] = []
    failures: list[tuple[str, TwophaseError]] = []
    for info in expired:
        try:
            delete_preview(config, info, connect(found.places[info.name]))
        except TwophaseError as exc:
            failures.append((info.name, exc))
        else:
            pruned.append(info.name)
    return EnvPruneResult(False, tuple(pruned), kept, tuple(failures))


def delete_preview(config: Config, info: EnvironmentInfo, svc: PlaceServices) -> None:
    """The preview's app stack (waited for), its artifact bucket and stack, and the log groups
    of its functions: those the stack (and its nested stacks) holds, and those twophase.yml
    names today."""
    if info.kind != "preview":
        raise ValueError(f"{info.name} is not a preview")
    physical = {function_name(config.app, info.name, fn) for fn in config.functions}
    physical |= {
        name
        for _, kind, name in all_resources(svc.infra, info.stack)
        if kind == "AWS::Lambda::Function" and name
    }
    svc.infra.reporter.info(f"deleting {info.stack}")
    delete_app_stack(info.stack, svc.infra)
    purge_artifacts(config, info.name, svc.infra)
    for name in sorted(physical):
        delete_log_group(svc.logs, lambda_log_group(name))


def _places(config: Config) -> Iterator[list[str]]:
    """The declared environments grouped by where they live (one listing per place)."""
    groups: dict[tuple[str | None, str | None, str | None], list[str]] = {}
    for name, env in config.environments.items():
        groups.setdefault((env.region, env.profile, env.endpoint), []).append(name)
    yield from groups.values()


def _in_place(
    config: Config, envs: list[str], stacks: list[TaggedStack], now: datetime
) -> Iterator[EnvironmentInfo]:
    """The declared environments `envs` whose stack exists, and the previews based on them."""
    by_name = {s.name: s for s in stacks if s.status not in NOT_DEPLOYED}
    for env in envs:
        stack = by_name.get(config.stack_name(env))
        if stack is not None:
            yield EnvironmentInfo(
                env, "declared", None, stack.name, stack.created, _age(stack, now), None
            )
    for stack in by_name.values():
        preview = _preview(config, envs, stack)
        if preview is not None:
            base, ttl = preview
            yield EnvironmentInfo(
                stack.tags[TAG_ENV],
                "preview",
                base,
                stack.name,
                stack.created,
                _age(stack, now),
                ttl,
            )


def _preview(config: Config, envs: list[str], stack: TaggedStack) -> tuple[str, int] | None:
    """(base, ttl) when `stack` is the app stack of one of this app's previews based here."""
    tags = stack.tags
    if tags.get(TAG_APP) != config.app or tags.get(TAG_KIND) != "preview":
        return None
    name, base = tags.get(TAG_ENV, ""), tags.get(TAG_BASE, "")
    if base not in envs or name in config.environments or stack.name != config.stack_name(name):
        return None  # a declared name always wins; a stack not named for it is not its own
    try:
        return base, int(tags.get(TAG_TTL, ""))
    except ValueError:
        return None


def _age(stack: TaggedStack, now: datetime) -> int:
    return max(0, int((now - stack.created).total_seconds()))


def _with_last_push(config: Config, info: EnvironmentInfo, svc: InfraServices) -> EnvironmentInfo:
    """The newest release record among the versions the first alias of each function serves."""
    from dataclasses import replace

    records: list[ReleaseRecord] = []
    for fn in sorted(config.functions):
        physical = function_name(config.app, info.name, fn)
        with contextlib.suppress(TwophaseError):
            served = svc.lambdas.get_configuration(physical, config.aliases[0])
            record = ReleaseRecord.decode(served.description)
            if record is not None and record.at:
                records.append(record)
    if not records:
        return info
    newest = max(records, key=lambda r: r.at)
    return replace(info, last_push=newest.at, pushed_by=newest.by)
