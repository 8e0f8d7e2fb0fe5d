"""Shared fixtures: the embedded local AWS, in-process, one per test session."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from twophase.aws.session import LOCAL_ACCESS_KEY_ENV, LOCAL_SECRET_KEY_ENV, Clients, Target
from twophase.local.root_credentials import RootCredentials
from twophase.local.server import LocalAws

# Never reach real AWS from tests.
for _var in ("AWS_PROFILE", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
    os.environ.pop(_var, None)
os.environ.setdefault("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture(autouse=True)
def twophase_home(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """Each test's own per-user state (embedded AWS state file, cached identities), never ~."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("TWOPHASE_HOME", str(home))
    return home


class LocalAwsHandle:
    def __init__(self, server: LocalAws) -> None:
        self.server = server

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    @property
    def credentials(self) -> RootCredentials:
        """The root keys the server generated when it started."""
        return self.server.credentials

    def clients(self, region: str = "us-east-1") -> Clients:
        return Clients(
            Target(
                region=region,
                endpoint_url=self.endpoint_url,
                local=True,
                access_key=self.credentials.access_key_id,
                secret_key=self.credentials.secret_access_key,
            )
        )

    def reset(self) -> None:
        self.server.reset()


@pytest.fixture(scope="session")
def local_aws_server() -> Iterator[LocalAwsHandle]:
    server = LocalAws()
    server.start()
    yield LocalAwsHandle(server)
    server.stop()


@pytest.fixture
def local_aws(
    local_aws_server: LocalAwsHandle, monkeypatch: pytest.MonkeyPatch
) -> Iterator[LocalAwsHandle]:
    """A clean embedded AWS for one test; `endpoint: local` environments reach it too, as its
    root user (a test may set its own keys after this)."""
    local_aws_server.reset()
    monkeypatch.setenv("TWOPHASE_LOCAL_ENDPOINT", local_aws_server.endpoint_url)
    monkeypatch.setenv(LOCAL_ACCESS_KEY_ENV, local_aws_server.credentials.access_key_id)
    monkeypatch.setenv(LOCAL_SECRET_KEY_ENV, local_aws_server.credentials.secret_access_key)
    yield local_aws_server
