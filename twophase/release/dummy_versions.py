"""Which published version is a function's dummy: phase one's version, never a release.

Phase one publishes the dummy as the function's first version, with a fixed Description, and records
the dummy's CodeSha256 per function in the deployed template's `Metadata.Twophase.Functions`. A
version is the dummy when it carries that Description or that CodeSha256. The template is read
best effort: a deployer's policy may not allow `cloudformation:GetTemplate`, and the Description
alone answers for every version phase one published.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from twophase.aws.lambda_client import FunctionState
from twophase.errors import TwophaseError
from twophase.names import METADATA_KEY

DUMMY_VERSION_DESCRIPTION = "twophase dummy: no code pushed yet"


def dummy_shas(deployed: Mapping[str, Any]) -> dict[str, str]:
    """Function name → its dummy's CodeSha256, as phase one recorded it in the template."""
    functions = ((deployed.get("Metadata") or {}).get(METADATA_KEY) or {}).get("Functions") or {}
    return {
        str(name): str(meta["DummyCodeSha256"])
        for name, meta in functions.items()
        if isinstance(meta, Mapping) and meta.get("DummyCodeSha256")
    }


def recorded_dummy_shas(cloudformation: Any, stack: str) -> dict[str, str]:
    """The dummies' CodeSha256 recorded in `stack`'s template; {} when it cannot be read (no
    stack yet, or no right to read its template)."""
    from twophase.aws.stack_template import get_template

    try:
        return dummy_shas(get_template(cloudformation, stack))
    except TwophaseError:
        return {}


def is_dummy(version: FunctionState, dummy_sha: str | None) -> bool:
    """Whether `version` holds the dummy (by phase one's Description, or by the recorded sha)."""
    if version.description == DUMMY_VERSION_DESCRIPTION:
        return True
    return dummy_sha is not None and version.code_sha256 == dummy_sha
