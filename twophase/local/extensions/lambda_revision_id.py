"""Lambda functions and aliases carry a RevisionId that changes on every mutation.

AWS behaviour (Lambda API reference, `FunctionConfiguration.RevisionId` and
`AliasConfiguration.RevisionId`: "the latest updated revision of the function or alias"): every
response that describes a function (GetFunction, GetFunctionConfiguration, UpdateFunctionCode,
UpdateFunctionConfiguration, PublishVersion, ListVersionsByFunction) or an alias (CreateAlias,
GetAlias, UpdateAlias, ListAliases) carries a RevisionId; a function's changes when its code or
configuration is updated or a version is published from it, an alias's when it is updated. Clients
pass it back as a compare-and-set token (see `lambda_preconditions`).

moto 5.2.5 has no function RevisionId at all and never changes an alias's.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from typing import Any

_MARK = "_twophase_revision_id"


def new_revision() -> str:
    return str(uuid.uuid4())


def revision_of(model: Any) -> str:
    """The model's current RevisionId (assigning one to a model created before `install()`)."""
    revision: str | None = getattr(model, "revision_id", None)
    if revision is None:
        revision = new_revision()
        model.revision_id = revision
    return revision


def bump(model: Any) -> str:
    model.revision_id = new_revision()
    return str(model.revision_id)


def _init_with_revision(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        self.revision_id = new_revision()

    return __init__


def _configuration_with_revision(original: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original(self, on_create)
        config["RevisionId"] = revision_of(self)
        return config

    return get_configuration


def _update_configuration_bumps(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        original(self, config_updates)
        bump(self)
        return dict(self.get_configuration())

    return update_configuration


def _update_code_bumps(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_function_code(self: Any, updated_spec: dict[str, Any]) -> dict[str, Any]:
        original(self, updated_spec)
        if not updated_spec.get("DryRun"):
            bump(self)
        return dict(self.get_configuration())

    return update_function_code


def _publish_bumps(original: Callable[..., Any]) -> Callable[..., Any]:
    """A publish that creates a version gives the version and `$LATEST` fresh revisions."""

    @functools.wraps(original)
    def publish_version(self: Any, function_name: str, description: str = "") -> Any:
        latest = self._lambdas.get_function_by_name_or_arn_forbid_qualifier(function_name)
        before = {id(v) for v in self._lambdas.list_versions_by_function(latest.function_name)}
        version = original(self, function_name, description)
        if version is not None and id(version) not in before:
            bump(latest)
            bump(version)
        return version

    return publish_version


def _alias_update_bumps(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def update(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        bump(self)

    return update


def install() -> None:
    from moto.awslambda.models import LambdaAlias, LambdaBackend, LambdaFunction

    if getattr(LambdaFunction, _MARK, False):
        return
    patches: list[tuple[type, str, Callable[[Any], Any]]] = [
        (LambdaFunction, "__init__", _init_with_revision),
        (LambdaFunction, "get_configuration", _configuration_with_revision),
        (LambdaFunction, "update_configuration", _update_configuration_bumps),
        (LambdaFunction, "update_function_code", _update_code_bumps),
        (LambdaBackend, "publish_version", _publish_bumps),
        (LambdaAlias, "update", _alias_update_bumps),
    ]
    for cls, name, wrap in patches:
        setattr(cls, name, wrap(getattr(cls, name)))
    setattr(LambdaFunction, _MARK, True)
