"""What phase two's use cases share: the scope (config and environment) they act on, two reads
at once with their API calls counted for the caller, values looked up once per run, and the
refusals of a version that is not a published one.

Each use case takes its own small dependencies (`PushDeps`, `PromoteDeps`, …, next to it), built
from the real clients in one place, `twophase.cli.wiring`; tests build them from fakes.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from twophase.errors import ExitStatus, TwophaseError, UsageError

if TYPE_CHECKING:
    from botocore.client import BaseClient

    from twophase.config.model import Config

A = TypeVar("A")
B = TypeVar("B")
C = TypeVar("C", bound="BaseClient")  # a boto3 client


class CallCounter:
    """Counts the AWS API calls each thread makes (botocore's `before-call` event). A helper
    thread can `adopt` another thread's count, so calls made on its behalf count there."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._watched: set[int] = set()
        self._lock = threading.Lock()

    def watch(self, client: C) -> C:
        """Count `client`'s calls from now on; returns the client."""
        with self._lock:
            if id(client) not in self._watched:
                self._watched.add(id(client))
                client.meta.events.register("before-call", self._on_call)
        return client

    def in_this_thread(self) -> int:
        return self.bucket()[0]

    def bucket(self) -> list[int]:
        """This thread's count (a one-item list), to hand to `adopt`."""
        bucket: list[int] | None = getattr(self._local, "bucket", None)
        if bucket is None:
            bucket = self._local.bucket = [0]
        return bucket

    def adopt(self, bucket: list[int]) -> None:
        self._local.bucket = bucket

    def _on_call(self, **_: Any) -> None:
        bucket = self.bucket()
        with self._lock:
            bucket[0] += 1


def both(calls: CallCounter, first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
    """`first()` here and `second()` on a helper thread at the same time (two reads, one round
    trip); the helper's API calls count for this thread. Either's error propagates."""
    bucket = calls.bucket()
    outcome: list[tuple[bool, Any]] = []

    def run() -> None:
        calls.adopt(bucket)
        try:
            outcome.append((True, second()))
        except BaseException as exc:  # handed to the calling thread below
            outcome.append((False, exc))

    helper = threading.Thread(target=run, name="twophase-read", daemon=True)
    helper.start()
    try:
        result = first()
    finally:
        helper.join()
    ok, value = outcome[0]
    if not ok:
        raise value
    return result, value


class Once(Generic[A]):
    """A value looked up on first use, once per run, whichever thread asks first."""

    def __init__(self, lookup: Callable[[], A]) -> None:
        self._lookup = lookup
        self._value: A | None = None
        self._lock = threading.Lock()

    def __call__(self) -> A:
        with self._lock:
            if self._value is None:
                self._value = self._lookup()
            return self._value


@dataclass(frozen=True)
class Scope:
    """The config and environment a phase-two command acts on: the functions' Lambda names and
    the alias chain, with the refusals of names twophase.yml does not declare."""

    config: Config
    env: str

    def physical_name(self, function: str) -> str:
        return self.config.function_name(self.env, function)

    def check_function(self, function: str) -> None:
        self.config.function(function)

    @property
    def aliases(self) -> list[str]:
        return list(self.config.aliases)

    def check_alias(self, alias: str, option: str) -> str:
        """Refuse an alias outside the chain twophase.yml declares (exit 2)."""
        return self.config.alias(alias, option)

    def alias_rank(self, alias: str) -> tuple[int, str]:
        """Sort key: the chain's order first, other aliases after, by name."""
        chain = self.aliases
        return (chain.index(alias) if alias in chain else len(chain), alias)


def no_dummies() -> Mapping[str, str]:
    """Phase one's record of the dummies, where nothing reads it: none known."""
    return {}


def failure_of(
    errors: list[TwophaseError | None], what: str, status: ExitStatus
) -> TwophaseError | None:
    """The one error a many-function command ends with: None when every function succeeded;
    the error itself for a single function (said once); else a count, with the worst exit
    status (`what` names the failures: "pushes failed")."""
    failed = [e for e in errors if e is not None]
    if not failed:
        return None
    if len(errors) == 1:
        return failed[0]
    counted = TwophaseError(f"{len(failed)} of {len(errors)} {what}")
    counted.exit_status = status
    return counted


def check_version(value: str, option: str) -> str:
    """Refuse what is not a published version number: an alias points at a published version,
    never at `$LATEST` (exit 2)."""
    if value == "$LATEST":
        raise UsageError(
            f"{option} $LATEST: an alias must point at a published version, not $LATEST "
            "(the alias would run whatever the next push uploads, unpromoted)",
            hint="`twophase push FUNCTION` publishes one; `twophase releases FUNCTION` lists them",
        )
    if not value.isdigit():
        raise UsageError(
            f"{option} {value!r} is not a version number",
            hint="`twophase releases FUNCTION` lists the published versions",
        )
    return value


def unknown_version(
    physical: str, version: str, option: str, published: Iterable[str]
) -> UsageError:
    """A version the function does not have, named with the ones it has (`$LATEST` left out)."""
    numbers = sorted((v for v in published if v.isdigit()), key=int)
    return UsageError(
        f"{option} {version}: {physical} has no version {version}; its published versions are "
        f"{', '.join(numbers) or 'none'}",
        hint="`twophase releases FUNCTION` lists them with their releases",
    )
