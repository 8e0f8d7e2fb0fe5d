"""The configuration a published Lambda version freezes, read from Lambda's answers.

On AWS a published version is an immutable snapshot of `$LATEST`'s code *and* configuration
(Lambda developer guide, "Lambda function versions"). A release is therefore code plus these
settings: `push` compares them between `$LATEST` and what an alias serves, `status` names the ones
that differ. Values are kept only to compare and digest them; nothing here ever prints a value
(environment variables may hold secrets), only the settings' names.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping

Settings = Mapping[str, object]

_Reader = Callable[[Mapping[str, object]], object]


def _get(*path: str) -> _Reader:
    def read(r: Mapping[str, object]) -> object:
        node: object = r
        for key in path:
            if not isinstance(node, Mapping):
                return None
            node = node.get(key)
        return node or None  # "", [], {} and None all mean "not set"

    return read


def _mapping(value: object) -> Mapping[str, object]:
    """`value` when it is a block of settings; a missing or null block reads as an empty one."""
    return value if isinstance(value, Mapping) else {}


def _strings(value: object) -> list[str]:
    """The items of a list of names or ids, sorted; a missing or null list reads as empty."""
    return sorted(str(item) for item in value) if isinstance(value, list) else []


def _layers(r: Mapping[str, object]) -> object:
    layers = r.get("Layers")
    arns = (
        [str(_mapping(layer).get("Arn", "")) for layer in layers]
        if isinstance(layers, list)
        else []
    )
    return arns or None


def _vpc(r: Mapping[str, object]) -> object:
    vpc = _mapping(r.get("VpcConfig"))
    subnets, groups = _strings(vpc.get("SubnetIds")), _strings(vpc.get("SecurityGroupIds"))
    return [subnets, groups] if subnets or groups else None


def _ephemeral(r: Mapping[str, object]) -> object:
    size = _mapping(r.get("EphemeralStorage")).get("Size")
    return None if size in (None, 512) else size  # 512 MB is Lambda's default


def _logging(r: Mapping[str, object]) -> object:
    config = _mapping(r.get("LoggingConfig"))
    return {k: v for k, v in sorted(config.items()) if v} or None


def _tracing(r: Mapping[str, object]) -> object:
    mode = _mapping(r.get("TracingConfig")).get("Mode")
    return None if mode in (None, "PassThrough") else mode  # PassThrough is the default


# The settings a version freezes, by the name users know them by (twophase.yml's words where it
# has one). Identity fields (ARN, version, revision, dates, state) and the code are not settings.
SETTINGS: tuple[tuple[str, _Reader], ...] = (
    ("architecture", _get("Architectures")),
    ("dead-letter queue", _get("DeadLetterConfig", "TargetArn")),
    ("environment", _get("Environment", "Variables")),
    ("ephemeral storage", _ephemeral),
    ("file systems", _get("FileSystemConfigs")),
    ("handler", _get("Handler")),
    ("image config", _get("ImageConfigResponse", "ImageConfig")),
    ("kms key", _get("KMSKeyArn")),
    ("layers", _layers),
    ("logging", _logging),
    ("memory", _get("MemorySize")),
    ("role", _get("Role")),
    ("runtime", _get("Runtime")),
    ("snapstart", _get("SnapStart", "ApplyOn")),
    ("timeout", _get("Timeout")),
    ("tracing", _tracing),
    ("vpc", _vpc),
)


def release_settings(response: Mapping[str, object]) -> dict[str, object]:
    """The settings of a GetFunctionConfiguration-shaped answer (unset ones left out)."""
    found = {name: read(response) for name, read in SETTINGS}
    return {name: value for name, value in found.items() if value is not None}


def settings_digest(settings: Settings) -> str:
    """A short digest of the settings: equal settings, equal digest, on any machine."""
    text = json.dumps(settings, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def changed_settings(before: Settings, after: Settings) -> tuple[str, ...]:
    """The names of the settings that differ, in SETTINGS order; never their values."""
    return tuple(name for name, _ in SETTINGS if before.get(name) != after.get(name))
