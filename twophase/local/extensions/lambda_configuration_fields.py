"""UpdateFunctionConfiguration applies every setting a version snapshots, and Lambda reports them.

AWS behaviour (Lambda API reference, UpdateFunctionConfiguration, request parameters
`EphemeralStorage`, `TracingConfig`, `LoggingConfig`, `KMSKeyArn`, `Environment`;
FunctionConfiguration `LoggingConfig`; LoggingConfig `LogGroup`: "By default, Lambda functions send
logs to a default log group named /aws/lambda/<function name>"): each of these settings is changed
by UpdateFunctionConfiguration (a setting left out of the request keeps its value), and every
configuration Lambda returns carries `LoggingConfig`, `{"LogFormat": "Text", "LogGroup":
"/aws/lambda/<name>"}` unless set otherwise. The function's logs go to that log group.

moto 5.2.5 ignores `EphemeralStorage`, `TracingConfig`, `LoggingConfig` and `KMSKeyArn` in
UpdateFunctionConfiguration, never reports `LoggingConfig`, and answers HTTP 500 to an
`Environment` without `Variables` (here: no variables).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_MARK = "_twophase_configuration_fields"
LOGGING = "twophase_logging_config"


def logging_config(fn: Any) -> dict[str, str]:
    """The function's LoggingConfig as Lambda reports it (defaults filled in)."""
    given: dict[str, str] = getattr(fn, LOGGING, None) or {}
    defaults = {"LogFormat": "Text", "LogGroup": f"/aws/lambda/{fn.function_name}"}
    return {**defaults, **given}


def _set_logging(fn: Any, given: dict[str, Any]) -> None:
    merged = {**(getattr(fn, LOGGING, None) or {}), **{k: v for k, v in given.items() if v}}
    setattr(fn, LOGGING, merged)
    fn.logs_group_name = logging_config(fn)["LogGroup"]


def _init_with_logging(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kw: Any) -> None:
        original(self, account_id, spec, *args, **kw)
        _set_logging(self, dict(spec.get("LoggingConfig") or {}))

    return __init__


def _apply_settings(fn: Any, updates: dict[str, Any]) -> None:
    if "EphemeralStorage" in updates:
        fn.ephemeral_storage = int((updates["EphemeralStorage"] or {}).get("Size", 512))
    if "TracingConfig" in updates:
        fn.tracing_config = {"Mode": (updates["TracingConfig"] or {}).get("Mode", "PassThrough")}
    if "KMSKeyArn" in updates:
        fn.kms_key_arn = updates["KMSKeyArn"] or None
    if "LoggingConfig" in updates:
        _set_logging(fn, dict(updates["LoggingConfig"] or {}))


def _update_applies_settings(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> dict[str, Any]:
        updates = dict(config_updates)
        if "Environment" in updates:
            variables = (updates["Environment"] or {}).get("Variables") or {}
            updates["Environment"] = {"Variables": variables}
        _apply_settings(self, updates)
        result: dict[str, Any] = original(self, updates)
        return result

    return update_configuration


def _configuration_with_logging(original: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original(self, on_create)
        config["LoggingConfig"] = logging_config(self)
        return config

    return get_configuration


def install() -> None:
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction, _MARK, False):
        return
    patches: list[tuple[str, Callable[[Any], Any]]] = [
        ("__init__", _init_with_logging),
        ("update_configuration", _update_applies_settings),
        ("get_configuration", _configuration_with_logging),
    ]
    for name, wrap in patches:
        setattr(LambdaFunction, name, wrap(getattr(LambdaFunction, name)))
    setattr(LambdaFunction, _MARK, True)
