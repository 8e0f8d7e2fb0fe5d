"""Fixtures of the embedded AWS's metric, alarm and CodeDeploy tests."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from tests.conftest import LocalAwsHandle
from tests.local._functions import Account
from twophase.local.extensions._time_scale import set_time_scale


@pytest.fixture
def account(local_aws: LocalAwsHandle) -> Account:
    """Clients of a clean embedded AWS, and a role for functions."""
    return Account(local_aws)


@pytest.fixture
def time_scale() -> Iterator[Callable[[float], None]]:
    """Set the embedded AWS's time scale for one test (one real second counts as N seconds)."""
    yield set_time_scale
    set_time_scale(None)
