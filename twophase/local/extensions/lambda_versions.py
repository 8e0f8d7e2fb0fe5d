"""Published Lambda versions are immutable snapshots whose numbers only grow.

AWS behaviour (Lambda developer guide, "Lambda function versions"): PublishVersion snapshots
`$LATEST`'s code and configuration as a new, immutable version whose number is one more than the
highest number ever published for the function (numbers are never reused, even after
DeleteFunction(Qualifier=N)); when neither the code nor the configuration changed since the last
published version, no version is published and that version is returned. The Description given to
PublishVersion is the version's description (GetFunction(Qualifier=N), ListVersionsByFunction).
UpdateFunctionCode(Publish=True) updates `$LATEST` and returns the configuration of the version it
published.

A version's configuration is frozen with it: a later UpdateFunctionConfiguration (memory,
timeout, environment, handler, runtime, layers, ephemeral storage, logging, tracing) or an
architecture change leaves it as published, whether it is read by number or through an alias.

moto 5.2.5 numbers a new version `len(versions) + 1` (so numbers repeat after a version is
deleted), shares the code dictionary and every other mutable setting (environment, layers, tracing,
VPC, architectures) between `$LATEST` and its versions (so a later update can rewrite a published
version), and on UpdateFunctionCode(Publish=True) rewrites the code of the version it has just
published.
"""

from __future__ import annotations

import copy
from typing import Any

_MARK = "_twophase_versions"
_COUNTER = "twophase_last_version"

# Fields that describe the published object rather than the release it holds.
_IDENTITY_FIELDS = frozenset(
    {
        "FunctionArn",
        "Version",
        "LastModified",
        "RevisionId",
        "Description",
        "State",
        "StateReason",
        "StateReasonCode",
        "LastUpdateStatus",
        "LastUpdateStatusReason",
        "LastUpdateStatusReasonCode",
    }
)


def _release(fn: Any) -> dict[str, Any]:
    config = fn.get_configuration()
    return {k: v for k, v in config.items() if k not in _IDENTITY_FIELDS}


def _snapshot(latest: Any, number: int, description: str) -> Any:
    """A copy of `$LATEST` that shares no mutable setting with it (code, environment, layers…)."""
    version = copy.copy(latest)
    for name, value in vars(latest).items():
        if isinstance(value, dict | list):
            setattr(version, name, copy.deepcopy(value))
    version.set_version(number)
    if description:
        version.description = description
    return version


def publish_version(self: Any, name_or_arn: str, description: str = "") -> Any:
    """Replacement for moto's `LambdaStorage.publish_version` (the caller holds the lock)."""
    latest = self.get_function_by_name_or_arn_forbid_qualifier(name_or_arn)
    group = self._functions[latest.function_name]
    versions: list[Any] = group["versions"]
    if versions and _release(versions[-1]) == _release(latest):
        return versions[-1]
    highest = max([int(v.version) for v in versions] + [int(group.get(_COUNTER, 0))])
    version = _snapshot(latest, highest + 1, description)
    group[_COUNTER] = highest + 1
    latest.code_or_config_updated = False
    versions.append(version)
    self._arns[version.function_arn] = version
    return version


def update_function_code(
    self: Any, function_name: str, qualifier: str | None, body: dict[str, Any]
) -> dict[str, Any] | None:
    """Replacement for moto's `LambdaBackend.update_function_code`."""
    fn = self.get_function(function_name, qualifier)
    config: dict[str, Any] = fn.update_function_code(body)
    if body.get("Publish", False) and not body.get("DryRun", False):
        version = self.publish_version(function_name)
        return dict(version.get_configuration())
    return config


def install() -> None:
    from moto.awslambda.models import LambdaBackend, LambdaStorage

    if getattr(LambdaStorage, _MARK, False):
        return
    LambdaStorage.publish_version = publish_version  # type: ignore[method-assign]
    LambdaBackend.update_function_code = update_function_code  # type: ignore[method-assign]
    setattr(LambdaStorage, _MARK, True)
