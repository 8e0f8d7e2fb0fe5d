"""The one factory that wires real boto3 clients for an environment.

Nothing else in twophase creates boto3 sessions or clients: constructors take their clients, and
this factory builds them from the environment's region, profile and endpoint (for `endpoint:
local`, the embedded AWS's endpoint and keys, which the CLI connects to and hands in).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, overload

from twophase.errors import CredentialsError

if TYPE_CHECKING:
    from botocore.client import BaseClient
    from botocore.config import _RetryDict
    from botocore.session import Session
    from mypy_boto3_cloudformation.client import CloudFormationClient
    from mypy_boto3_cloudwatch.client import CloudWatchClient
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_lambda.client import LambdaClient
    from mypy_boto3_logs.client import CloudWatchLogsClient
    from mypy_boto3_s3.client import S3Client
    from mypy_boto3_sts.client import STSClient

    from twophase.aws.direct_credentials import DirectTarget

LOCAL_REGION = "us-east-1"
# A user's own keys on the embedded AWS (an IAM user of it); without them, the root keys the
# running server generated at its start, read from its private state file. No built-in key.
LOCAL_ACCESS_KEY_ENV = "TWOPHASE_LOCAL_ACCESS_KEY"
LOCAL_SECRET_KEY_ENV = "TWOPHASE_LOCAL_SECRET_KEY"
FUNCTION_TIMEOUT_LIMIT = 900  # seconds: the longest a Lambda function may run
# Every client's defaults (and the direct reads', `direct.py`): botocore's standard mode's attempts,
# seconds to connect and to wait for an answer.
ATTEMPTS = 6
CONNECT_TIMEOUT = 5
READ_TIMEOUT = 60
PACED_ATTEMPTS = 12  # a throttled call backs off up to 20 s a time: minutes before giving up


@dataclass(frozen=True)
class Target:
    """Where an environment lives."""

    region: str
    profile: str | None = None
    endpoint_url: str | None = None
    local: bool = False
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)


@dataclass
class Clients:
    """Lazily created, cached boto3 clients for one target."""

    target: Target
    _session: Session | None = None
    _cache: dict[str, BaseClient] = field(default_factory=dict)
    _readers: dict[str, Any] = field(default_factory=dict)

    @property
    def session(self) -> Session:
        """A botocore session: twophase only makes client calls, so boto3's resource layer (and
        its import time) is never needed."""
        if self._session is None:
            import botocore.session
            from botocore.exceptions import ProfileNotFound

            t = self.target
            session = botocore.session.Session(profile=None if t.access_key else t.profile)
            if t.access_key:
                session.set_credentials(t.access_key, t.secret_key or "")
            else:  # the profile named in twophase.yml, --profile, or AWS_PROFILE
                try:
                    session.get_scoped_config()
                except ProfileNotFound as exc:
                    raise CredentialsError(
                        f"AWS profile {session.profile!r} not found",
                        hint="create it with `aws configure --profile NAME`, or fix `profile:` "
                        "in twophase.yml, --profile or AWS_PROFILE",
                    ) from exc
            self._session = session
        return self._session

    def credential_key(self) -> str | None:
        """The endpoint and access key the clients sign with (None without credentials): what
        the caller's identity can be cached under."""
        credentials = self.session.get_credentials()
        if credentials is None:
            return None
        return f"{self.target.endpoint_url or 'aws'}\0{credentials.access_key}"

    # One overload per service twophase calls: each caller gets the service's typed client.
    @overload
    def client(
        self, service: Literal["lambda"], *, once: bool = False, paced: bool = False
    ) -> LambdaClient: ...
    @overload
    def client(self, service: Literal["s3"], *, once: bool = False) -> S3Client: ...
    @overload
    def client(self, service: Literal["sts"], *, once: bool = False) -> STSClient: ...
    @overload
    def client(self, service: Literal["iam"], *, once: bool = False) -> IAMClient: ...
    @overload
    def client(
        self, service: Literal["cloudformation"], *, once: bool = False
    ) -> CloudFormationClient: ...
    @overload
    def client(self, service: Literal["cloudwatch"], *, once: bool = False) -> CloudWatchClient: ...
    @overload
    def client(self, service: Literal["logs"], *, once: bool = False) -> CloudWatchLogsClient: ...
    @overload  # a service twophase does not call (tests read others): untyped
    def client(self, service: str, *, once: bool = False, paced: bool = False) -> Any: ...

    def client(self, service: str, *, once: bool = False, paced: bool = False) -> BaseClient:
        """The service's client: retried in botocore's standard mode; with `once`, never
        retried and patient for 15 minutes (Invoke: a retried call would run the code again,
        and a function may run that long); with `paced`, kept under the service's rate limits
        (`_retries`)."""
        key = f"{service}:once" if once else f"{service}:paced" if paced else service
        if key not in self._cache:
            from botocore.config import Config as BotoConfig

            cfg = BotoConfig(
                retries=_retries(once=once, paced=paced),
                connect_timeout=CONNECT_TIMEOUT,
                read_timeout=FUNCTION_TIMEOUT_LIMIT + 30 if once else READ_TIMEOUT,
                max_pool_connections=32,
            )
            self._cache[key] = self.session.create_client(
                service,
                region_name=self.target.region,
                endpoint_url=self.target.endpoint_url,
                config=cfg,
            )
        return self._cache[key]

    @overload
    def reader(self, service: Literal["lambda"]) -> LambdaClient: ...
    @overload
    def reader(self, service: Literal["cloudformation"]) -> CloudFormationClient: ...

    def reader(self, service: str) -> Any:
        """A client for the few reads `direct.py` answers (Lambda's version and alias lists,
        CloudFormation's GetTemplate): direct when the target's credentials and endpoint are
        plain (`direct_target`), so the command never imports botocore; else the boto3 client.
        Only those reads may be called on it."""
        if service not in self._readers:
            target = self._direct
            if target is None:
                self._readers[service] = self.client(service)
            else:
                from twophase.aws.direct import DirectCloudFormation, DirectLambda, Transport

                kind = DirectLambda if service == "lambda" else DirectCloudFormation
                self._readers[service] = kind(Transport(target, service))
        return self._readers[service]

    @cached_property
    def _direct(self) -> DirectTarget | None:
        """Where direct reads go, or None: decided once (it may read the shared AWS files)."""
        from twophase.aws.direct_credentials import direct_target

        return direct_target(self.target)


def _retries(*, once: bool, paced: bool) -> _RetryDict:
    """A paced client is for many calls at once (`push --all` on hundreds of functions meets
    Lambda's control-plane limit, a few tens of calls a second per account): botocore's adaptive
    mode retries throttling with backoff as standard mode does and, once throttled, paces every
    thread sharing the client under the rate it measured; more attempts, so that a throttle
    never ends the run."""
    if once:
        return {"mode": "standard", "total_max_attempts": 1}
    if paced:
        return {"mode": "adaptive", "total_max_attempts": PACED_ATTEMPTS}
    return {"mode": "standard", "total_max_attempts": ATTEMPTS}


def resolve_target(
    *,
    region: str | None,
    profile: str | None,
    endpoint: str | None,
) -> Target:
    """Build an AWS target from the environment's settings (already merged with CLI overrides);
    the embedded AWS (`endpoint: local`) is reached through `local_target` instead."""
    if endpoint == "local":
        raise ValueError("endpoint: local is connected by the CLI, then given to local_target")
    resolved_region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not resolved_region:
        raise CredentialsError(
            "no AWS region for this environment",
            hint="set `region:` in twophase.yml, pass --region, or set AWS_REGION",
        )
    return Target(region=resolved_region, profile=profile, endpoint_url=endpoint)


def local_target(
    region: str | None, endpoint: str, root_keys: tuple[str, str] | None = None
) -> Target:
    """The embedded AWS at `endpoint`, signed with the user's own keys for it, or else with the
    `root_keys` of the server twophase started; no keys at all is a credentials error."""
    access_key = os.environ.get(LOCAL_ACCESS_KEY_ENV)
    secret_key = os.environ.get(LOCAL_SECRET_KEY_ENV)
    if bool(access_key) != bool(secret_key):
        given, missing = (
            (LOCAL_ACCESS_KEY_ENV, LOCAL_SECRET_KEY_ENV)
            if access_key
            else (LOCAL_SECRET_KEY_ENV, LOCAL_ACCESS_KEY_ENV)
        )
        raise CredentialsError(
            f"{given} is set but {missing} is not", hint="set both, or neither to act as root"
        )
    if not access_key and root_keys is not None:
        access_key, secret_key = root_keys
    if not access_key:
        raise CredentialsError(
            f"no credentials for the embedded AWS at {endpoint}",
            hint=f"set {LOCAL_ACCESS_KEY_ENV} and {LOCAL_SECRET_KEY_ENV} (twophase holds keys "
            "only for the embedded AWS it started)",
        )
    return Target(
        region=region or LOCAL_REGION,
        endpoint_url=endpoint,
        local=True,
        access_key=access_key,
        secret_key=secret_key,
    )
