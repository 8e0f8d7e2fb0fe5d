"""Fixtures for the end-to-end tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import copy_example_app


@pytest.fixture
def app(tmp_path: Path, local_aws: LocalAwsHandle, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The example app in a scratch folder, as the working directory, on the embedded AWS."""
    config = copy_example_app(tmp_path)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TWOPHASE_ENV", "local")
    return config
