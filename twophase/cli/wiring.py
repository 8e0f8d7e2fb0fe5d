"""The one place phase two's use cases are wired to real AWS.

Each use case takes its own small dependencies (`PushDeps`, `StatusDeps`, …); `PhaseTwoWiring`
builds them for one environment and one run, from that environment's boto3 clients. A client is
created on first use (an unchanged push never pays for S3 or CloudWatch), and every client's API
calls are counted per thread, which push reports and two reads at once share.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, TypeVar, cast

from twophase.release.context import CallCounter, Once, Scope
from twophase.release.release_record import GitReader, utc_now
from twophase.reporter import NullReporter, Reporter

if TYPE_CHECKING:
    from botocore.client import BaseClient

    from twophase.aws.identity import CallerIdentity
    from twophase.aws.lambda_client import LambdaClient
    from twophase.aws.session import Clients
    from twophase.cli.context import AppContext
    from twophase.config.model import Config
    from twophase.release.invoke import InvokeDeps
    from twophase.release.logs import LogsDeps
    from twophase.release.promote import PromoteDeps
    from twophase.release.prune import PruneDeps
    from twophase.release.push_plan import PushDeps
    from twophase.release.releases import ReleasesDeps
    from twophase.release.rollback import RollbackDeps
    from twophase.release.status import StatusDeps

C = TypeVar("C", bound="BaseClient")
LOCAL_POLL_SECONDS = 0.2  # between two reads of a deployment on the embedded AWS


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


class PhaseTwoWiring:
    """Phase two's dependencies for one environment, for one run, each built on demand.

    `dummies` replaces the read of phase one's record of the dummies (tests name them)."""

    def __init__(
        self,
        config: Config,
        env: str,
        clients: Clients,
        *,
        reporter: Reporter | None = None,
        sleep: Callable[[float], None] = time.sleep,
        now: Callable[[], datetime] = utc_now,
        dummies: Callable[[], Mapping[str, str]] | None = None,
    ) -> None:
        self.scope = Scope(config, env)
        self.reporter = reporter or NullReporter()
        self.calls = CallCounter()
        self._clients = clients
        self._sleep = sleep
        self._now = now
        self._creating = threading.Lock()  # boto3 sessions cannot create clients concurrently
        self.dummies = Once(dummies or self._recorded_dummies)

    def _lazy(self, create: Callable[[], C]) -> C:
        """The client `create` makes, made on first use, its calls counted. The proxy stands in
        for the client it makes, so it is typed as that client."""
        calls = self.calls
        return cast(C, LazyClient(lambda: calls.watch(create()), self._creating))

    def _recorded_dummies(self) -> Mapping[str, str]:
        """Phase one's record of each dummy's CodeSha256 (best effort: {} when unreadable)."""
        from twophase.release.dummy_versions import recorded_dummy_shas

        stack = self.scope.config.stack_name(self.scope.env)
        return recorded_dummy_shas(
            self._lazy(lambda: self._clients.reader("cloudformation")), stack
        )

    # The thin clients, each created once and shared by the use cases of this run.

    @cached_property
    def lambda_(self) -> LambdaClient:
        from twophase.aws.lambda_client import LambdaClient

        return LambdaClient(
            self._lazy(lambda: self._clients.client("lambda")),
            sleep=self._sleep,
            on_wait=self.reporter.info,
        )

    @cached_property
    def lambda_reads(self) -> LambdaClient:
        """For commands that only list versions and aliases: direct reads when the target
        allows (`Clients.reader`), so they never import botocore."""
        from twophase.aws.lambda_client import LambdaClient

        return LambdaClient(self._lazy(lambda: self._clients.reader("lambda")), sleep=self._sleep)

    @cached_property
    def identity(self) -> CallerIdentity:
        from twophase.aws.identity import CallerIdentity
        from twophase.files import user_cache_dir

        key = self._clients.credential_key
        return CallerIdentity(
            self._lazy(lambda: self._clients.client("sts")), key, user_cache_dir()
        )

    @cached_property
    def bucket(self) -> Once[str]:
        """The artifact bucket, derived from the app, the environment, the caller's account (its
        ARN, which the release record needs anyway) and the region: no stack is read."""
        from twophase.names import artifact_bucket_name

        def derive() -> str:
            account = self.identity.arn().split(":")[4]
            app, env = self.scope.config.app, self.scope.env
            return artifact_bucket_name(app, env, account, self._clients.target.region)

        return Once(derive)

    # One set of dependencies per use case.

    def push(self) -> PushDeps:
        from twophase.aws.lambda_client import LambdaClient
        from twophase.aws.s3_client import ArtifactStore
        from twophase.release.push_plan import PushDeps

        # Its own Lambda client, paced: `push --all` meets the control plane's rate limits.
        paced = self._lazy(lambda: self._clients.client("lambda", paced=True))
        return PushDeps(
            scope=self.scope,
            lambda_=LambdaClient(paced, sleep=self._sleep, on_wait=self.reporter.info),
            artifacts=ArtifactStore(self._lazy(lambda: self._clients.client("s3"))),
            identity=self.identity,
            git=GitReader(self.scope.config.root),
            bucket=self.bucket,
            reporter=self.reporter,
            now=self._now,
            calls=self.calls,
        )

    def promote(self) -> PromoteDeps:
        """A gradual promotion's CodeDeploy and CloudWatch clients are made on first use: an
        immediate one lists the group's deployments only. The embedded AWS answers on loopback,
        so a deployment there is read more often than on AWS."""
        from twophase.aws.cloudwatch import AlarmReader
        from twophase.aws.codedeploy import CodeDeployClient
        from twophase.release.promote import POLL_SECONDS, PromoteDeps

        return PromoteDeps(
            self.scope,
            self.lambda_,
            CodeDeployClient(self._lazy(lambda: self._clients.client("codedeploy"))),
            AlarmReader(self._lazy(lambda: self._clients.client("cloudwatch"))),
            self.reporter,
            self.calls,
            sleep=self._sleep,
            now=self._now,
            poll_seconds=LOCAL_POLL_SECONDS if self._clients.target.local else POLL_SECONDS,
        )

    def rollback(self) -> RollbackDeps:
        from twophase.aws.codedeploy import CodeDeployClient
        from twophase.release.rollback import RollbackDeps

        deployments = CodeDeployClient(self._lazy(lambda: self._clients.client("codedeploy")))
        return RollbackDeps(
            self.scope, self.lambda_, self.reporter, self.calls, self.dummies, deployments
        )

    def prune(self) -> PruneDeps:
        from twophase.release.prune import PruneDeps

        return PruneDeps(self.scope, self.lambda_, self.reporter, self.calls, self.dummies)

    def releases(self) -> ReleasesDeps:
        from twophase.release.releases import ReleasesDeps

        return ReleasesDeps(self.scope, self.lambda_reads, self.calls, self.dummies)

    def status(self) -> StatusDeps:
        from twophase.release.status import StatusDeps

        return StatusDeps(self.scope, self.lambda_reads, self.dummies)

    def invoke(self) -> InvokeDeps:
        """Invoke's own Lambda client: never retried (a retried Invoke runs the code again)."""
        from twophase.aws.lambda_client import LambdaClient
        from twophase.release.invoke import InvokeDeps

        invoker = LambdaClient(
            self._lazy(lambda: self._clients.client("lambda", once=True)), sleep=self._sleep
        )
        return InvokeDeps(self.scope, invoker, self.identity)

    def logs(self) -> LogsDeps:
        from twophase.aws.logs import LogReader
        from twophase.release.logs import LogsDeps

        return LogsDeps(
            self.scope,
            LogReader(self._lazy(lambda: self._clients.client("logs"))),
            sleep=self._sleep,
        )


def for_app(app: AppContext) -> PhaseTwoWiring:
    """The wiring for the command's environment, reporting through its terminal."""
    return PhaseTwoWiring(app.settings, app.env_name, app.clients, reporter=app.terminal)
