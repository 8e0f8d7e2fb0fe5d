"""The embedded AWS lists moto's service packages once, not twice per request.

This changes no answer of the embedded AWS (each request still reaches the service its
signature names), only its speed: see twophase/local/extensions/moto_service_folders.py.
"""

from __future__ import annotations

import os
from pathlib import Path

import moto
import pytest
from moto import backends

from tests.conftest import LocalAwsHandle


def test_the_packages_are_moto_s_own_listing_read_once(
    local_aws: LocalAwsHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = Path(moto.__file__).parent
    packages = sorted(
        p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("__")
    )
    stats: list[str] = []
    isdir = os.path.isdir

    def counted(path: str) -> bool:
        stats.append(path)
        return isdir(path)

    monkeypatch.setattr(os.path, "isdir", counted)

    assert list(backends.list_of_moto_modules()) == packages
    assert "awslambda" in backends.list_of_moto_modules()
    assert stats == []  # nothing read from disk per request


def test_requests_still_reach_their_services(local_aws: LocalAwsHandle) -> None:
    clients = local_aws.clients()
    assert clients.client("lambda").list_functions()["Functions"] == []
    assert clients.client("sts").get_caller_identity()["Account"] == "123456789012"
