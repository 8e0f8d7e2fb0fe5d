"""The one factory that wires real boto3 clients for an environment.

Nothing else in twophase creates boto3 sessions or clients: constructors take their clients, and
this factory builds them from the environment's region, profile and endpoint (or the embedded local
AWS for `endpoint: local`).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from twophase.errors import CredentialsError

LOCAL_REGION = "us-east-1"
# A user's own keys on the embedded AWS (an IAM user of it); without them, the root keys the
# running server generated at its start, read from its private state file. No built-in key.
LOCAL_ACCESS_KEY_ENV = "TWOPHASE_LOCAL_ACCESS_KEY"
LOCAL_SECRET_KEY_ENV = "TWOPHASE_LOCAL_SECRET_KEY"
FUNCTION_TIMEOUT_LIMIT = 900  # seconds: the longest a Lambda function may run


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
    _session: Any = None
    _cache: dict[str, Any] = field(default_factory=dict)

    @property
    def session(self) -> Any:
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

    def client(self, service: str, *, once: bool = False) -> Any:
        """The service's client: retried in botocore's standard mode, or, with `once`, never
        retried and patient for 15 minutes (Invoke: a retried call would run the code again,
        and a function may run that long)."""
        key = f"{service}:once" if once else service
        if key not in self._cache:
            from botocore.config import Config as BotoConfig

            cfg = BotoConfig(
                retries={"mode": "standard", "total_max_attempts": 1 if once else 6},
                connect_timeout=5,
                read_timeout=FUNCTION_TIMEOUT_LIMIT + 30 if once else 60,
                max_pool_connections=32,
            )
            self._cache[key] = self.session.create_client(
                service,
                region_name=self.target.region,
                endpoint_url=self.target.endpoint_url,
                config=cfg,
            )
        return self._cache[key]


def resolve_target(
    *,
    region: str | None,
    profile: str | None,
    endpoint: str | None,
) -> Target:
    """Build the target from the environment's settings (already merged with CLI overrides)."""
    if endpoint == "local":
        return _local_target(region)
    resolved_region = region or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION")
    if not resolved_region:
        raise CredentialsError(
            "no AWS region for this environment",
            hint="set `region:` in twophase.yml, pass --region, or set AWS_REGION",
        )
    return Target(region=resolved_region, profile=profile, endpoint_url=endpoint)


def _local_target(region: str | None) -> Target:
    """The embedded AWS (started if none runs), signed with the user's own keys for it, or else
    with the root keys its private state file holds; no keys at all is a credentials error."""
    from twophase.local.lifecycle import connect

    local = connect()
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
    if not access_key and local.credentials is not None:
        access_key = local.credentials.access_key_id
        secret_key = local.credentials.secret_access_key
    if not access_key:
        raise CredentialsError(
            f"no credentials for the embedded AWS at {local.endpoint}",
            hint=f"set {LOCAL_ACCESS_KEY_ENV} and {LOCAL_SECRET_KEY_ENV} (twophase holds keys "
            "only for the embedded AWS it started)",
        )
    return Target(
        region=region or LOCAL_REGION,
        endpoint_url=local.endpoint,
        local=True,
        access_key=access_key,
        secret_key=secret_key,
    )
