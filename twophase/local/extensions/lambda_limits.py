"""Lambda refuses environment variables over 4 KB and a resource policy over 20 KB.

AWS behaviour (Lambda developer guide, "Lambda quotas",
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: "Environment variables:
4 KB, for all environment variables associated with the function, in aggregate"; "Function
resource-based policy: 20 KB"): CreateFunction and UpdateFunctionConfiguration whose variables,
measured as their compact JSON object, exceed 4,096 bytes fail with
`InvalidParameterValueException` (HTTP 400) "Lambda was unable to configure your environment
variables because the environment variables you have provided exceeded the 4KB limit. String
measured: {…}"; AddPermission that would take the policy it adds to past 20,480 bytes fails with
`PolicyLengthExceededException` (400) "The final policy size (N) is bigger than the limit
(20480).". Nothing is created or changed. moto 5.2.5 enforces neither.
"""

from __future__ import annotations

import json
from typing import Any

from twophase.local.extensions._cfn_common import patch

ENVIRONMENT_BYTES = 4096
POLICY_BYTES = 20_480


def check_environment(settings: dict[str, Any]) -> None:
    """Refuse `Environment.Variables` in a CreateFunction or UpdateFunctionConfiguration body."""
    from moto.awslambda.exceptions import InvalidParameterValueException

    variables = (settings.get("Environment") or {}).get("Variables") or {}
    measured = json.dumps(variables, separators=(",", ":"), ensure_ascii=False)
    if len(measured.encode("utf-8")) > ENVIRONMENT_BYTES:
        raise InvalidParameterValueException(
            "Lambda was unable to configure your environment variables because the environment "
            f"variables you have provided exceeded the 4KB limit. String measured: {measured}"
        )


def policy_bytes(policy: Any) -> int:
    """Bytes of the policy document as GetPolicy returns it (compact JSON)."""
    document = policy.get_policy()["Policy"]
    return len(json.dumps(document, separators=(",", ":")).encode("utf-8"))


def _init(original: Any) -> Any:
    def __init__(self: Any, account_id: str, spec: dict[str, Any], *args: Any, **kw: Any) -> None:
        check_environment(spec)
        original(self, account_id, spec, *args, **kw)

    return __init__


def _update_configuration(original: Any) -> Any:
    def update_configuration(self: Any, config_updates: dict[str, Any]) -> Any:
        check_environment(config_updates)
        return original(self, config_updates)

    return update_configuration


def _add_statement(original: Any) -> Any:
    def add_statement(self: Any, raw: str, *args: Any, **kwargs: Any) -> Any:
        from moto.awslambda.exceptions import LambdaClientError

        statements, revision = list(self.statements), self.revision
        result = original(self, raw, *args, **kwargs)
        size = policy_bytes(self)
        if size > POLICY_BYTES:
            self.statements[:], self.revision = statements, revision
            raise LambdaClientError(
                "PolicyLengthExceededException",
                f"The final policy size ({size}) is bigger than the limit ({POLICY_BYTES}).",
            )
        return result

    return add_statement


def install() -> None:
    from moto.awslambda.models import LambdaFunction
    from moto.awslambda.policy import Policy

    patch(LambdaFunction, "__init__", _init)
    patch(LambdaFunction, "update_configuration", _update_configuration)
    patch(Policy, "add_statement", _add_statement)
