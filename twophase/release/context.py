"""Phase two's core: push, alias promote, alias rollback, releases, status.

Each command is a module with an options dataclass, `plan_*`/`apply_*` (or a plain read function)
and result dataclasses. They all take a `PhaseTwo`: the thin AWS clients, the reporter, the clock
and sleep, wired once per run by `PhaseTwo.create` (tests build it from fakes or stubbed clients).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, TypeVar

from twophase.errors import UsageError
from twophase.release.release_record import GitReader, utc_now
from twophase.reporter import NullReporter, Reporter

if TYPE_CHECKING:
    from twophase.aws.cloudwatch import HealthReader
    from twophase.aws.lambda_client import LambdaClient
    from twophase.aws.s3_client import ArtifactStore
    from twophase.aws.session import Clients
    from twophase.aws.sts import CallerIdentity
    from twophase.config.compiled import CompiledConfig

A = TypeVar("A")
B = TypeVar("B")


class CallCounter:
    """Counts the AWS API calls each thread makes (botocore's `before-call` event). A helper
    thread can `adopt` another thread's count, so calls made on its behalf count there."""

    def __init__(self) -> None:
        self._local = threading.local()
        self._watched: set[int] = set()
        self._lock = threading.Lock()

    def watch(self, client: Any) -> Any:
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


class LazyClient:
    """A boto3 client created on first use: an unchanged push never pays for S3 or CloudWatch."""

    def __init__(self, factory: Callable[[], Any], lock: threading.Lock) -> None:
        self._factory = factory
        self._client: Any = None
        self._lock = lock

    def __getattr__(self, name: str) -> Any:
        with self._lock:
            if self._client is None:
                self._client = self._factory()
        return getattr(self._client, name)


def no_dummies() -> Mapping[str, str]:
    return {}


def artifact_stacks(stack: str) -> list[str]:
    """Where the ArtifactBucket output may live: the app stack, or its artifacts stack."""
    return [stack, f"{stack}-artifacts"]


@dataclass
class PhaseTwo:
    """Everything a phase-two command needs for one environment, for one run."""

    config: CompiledConfig
    env: str
    lambda_: LambdaClient
    artifacts: ArtifactStore
    identity: CallerIdentity
    health: HealthReader
    git: GitReader
    bucket_lookup: Callable[[], str]
    reporter: Reporter = field(default_factory=NullReporter)
    sleep: Callable[[float], None] = time.sleep
    now: Callable[[], datetime] = utc_now
    calls: CallCounter = field(default_factory=CallCounter)
    # Invoke's own client: never retried (a retried Invoke runs the code again); None: lambda_.
    invoker: LambdaClient | None = None
    logs_client: Any = None  # a boto3 `logs` client, for `twophase logs` only
    # Function name → its dummy's CodeSha256 as phase one recorded it (read once, on demand,
    # best effort: {} when the template cannot be read; see twophase.release.dummy_versions).
    dummy_lookup: Callable[[], Mapping[str, str]] = no_dummies
    _dummies: Mapping[str, str] | None = field(default=None, init=False, repr=False)
    _bucket: str | None = field(default=None, init=False, repr=False)
    _bucket_lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)

    @classmethod
    def create(
        cls,
        config: CompiledConfig,
        env: str,
        clients: Clients,
        *,
        reporter: Reporter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = utc_now,
    ) -> PhaseTwo:
        """Wire the real thin clients from the environment's boto3 clients (created lazily)."""
        from twophase.aws.cloudwatch import HealthReader
        from twophase.aws.lambda_client import LambdaClient
        from twophase.aws.s3_client import ArtifactStore, artifact_bucket
        from twophase.aws.sts import CallerIdentity
        from twophase.files import user_cache_dir
        from twophase.release.dummy_versions import recorded_dummy_shas

        calls = CallCounter()
        said = reporter or NullReporter()
        creating = threading.Lock()  # boto3 sessions are not safe to create clients concurrently

        def client(service: str, once: bool = False) -> Any:
            return LazyClient(lambda: calls.watch(clients.client(service, once=once)), creating)

        return cls(
            config=config,
            env=env,
            lambda_=LambdaClient(client("lambda"), sleep=sleep, on_wait=said.info),
            artifacts=ArtifactStore(client("s3")),
            identity=CallerIdentity(client("sts"), clients.credential_key, user_cache_dir()),
            health=HealthReader(client("cloudwatch")),
            git=GitReader(config.root),
            bucket_lookup=lambda: artifact_bucket(
                client("cloudformation"), artifact_stacks(config.stack_name(env))
            ),
            reporter=said,
            sleep=sleep,
            now=now,
            calls=calls,
            invoker=LambdaClient(client("lambda", once=True), sleep=sleep),
            logs_client=client("logs"),
            dummy_lookup=lambda: recorded_dummy_shas(
                client("cloudformation"), config.stack_name(env)
            ),
        )

    def both(self, first: Callable[[], A], second: Callable[[], B]) -> tuple[A, B]:
        """`first()` here and `second()` on a helper thread at the same time (two reads, one
        round trip); the helper's API calls count for this thread. Either's error propagates."""
        bucket = self.calls.bucket()
        outcome: list[tuple[bool, Any]] = []

        def run() -> None:
            self.calls.adopt(bucket)
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

    def physical_name(self, function: str) -> str:
        return self.config.function_name(self.env, function)

    def artifact_bucket(self) -> str:
        """The stack's artifact bucket, looked up once per run."""
        with self._bucket_lock:
            if self._bucket is None:
                self._bucket = self.bucket_lookup()
            return self._bucket

    def check_function(self, function: str) -> None:
        self.config.check_function(function)

    def dummy_sha(self, function: str) -> str | None:
        """The CodeSha256 of `function`'s dummy, when phase one's record can be read."""
        with self._bucket_lock:
            if self._dummies is None:
                self._dummies = dict(self.dummy_lookup())
            return self._dummies.get(function)

    def check_alias(self, alias: str, option: str) -> str:
        """Refuse an alias outside the chain twophase.yml declares (exit 2)."""
        if alias not in self.aliases:
            raise UsageError(
                f"{option} {alias!r}: not an alias of the chain {', '.join(self.aliases)}",
                hint="the chain is `aliases:` in twophase.yml",
            )
        return alias

    @property
    def aliases(self) -> list[str]:
        return list(self.config.aliases)

    def alias_rank(self, alias: str) -> tuple[int, str]:
        """Sort key: the chain's order first, other aliases after, by name."""
        chain = self.aliases
        return (chain.index(alias) if alias in chain else len(chain), alias)


def check_version(value: str, option: str) -> str:
    """Refuse what is not a published version number: an alias points at a published version,
    never at `$LATEST` (exit 2)."""
    if value == "$LATEST":
        raise UsageError(
            f"{option} $LATEST: an alias must point at a published version, not $LATEST",
            hint="`twophase push FUNCTION` publishes one; `twophase releases FUNCTION` lists them",
        )
    if not value.isdigit():
        raise UsageError(
            f"{option} {value!r} is not a version number",
            hint="`twophase releases FUNCTION` lists the published versions",
        )
    return value


def unknown_version(physical: str, version: str, option: str) -> UsageError:
    return UsageError(
        f"{option} {version}: {physical} has no version {version}",
        hint="`twophase releases FUNCTION` lists the published versions",
    )
