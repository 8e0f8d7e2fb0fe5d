"""Lambda refuses to delete a version that an alias routes to.

AWS behaviour (Lambda API reference, DeleteFunction: "ResourceConflictException ... The resource
already exists, or another operation is in progress", HTTP 409; Lambda developer guide, "Lambda
function aliases"): DeleteFunction(FunctionName, Qualifier=N) fails with
`ResourceConflictException` "Unable to delete version because the following aliases reference it:
[live]" while an alias points at version N, as its FunctionVersion or in its RoutingConfig's
AdditionalVersionWeights, and the version stays. moto 5.2.5 deletes the version (and leaves the
alias pointing at nothing).
"""

from __future__ import annotations

import re
from typing import Any

from twophase.local.extensions._cfn_common import patch, split_function


def in_use_message(aliases: list[str]) -> str:
    names = ", ".join(aliases)
    return f"Unable to delete version because the following aliases reference it: [{names}]"


def version_in_use(aliases: list[str]) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    class ResourceConflict(LambdaClientError):
        code = 409

    return ResourceConflict("ResourceConflictException", in_use_message(aliases))


def aliases_routing_to(storage: Any, function_name: str, version: str) -> list[str]:
    """The names of the aliases of `function_name` that send traffic to `version`."""
    try:
        aliases = storage.list_aliases(function_name)
    except Exception:
        return []
    return [
        a.name
        for a in aliases
        if str(a.function_version) == version
        or version in ((a.routing_config or {}).get("AdditionalVersionWeights") or {})
    ]


def _version(storage: Any, name: str, qualifier: str | None) -> str | None:
    """The published version a DeleteFunction qualifier names (an alias names its version)."""
    if not qualifier or qualifier == "$LATEST":
        return None
    if re.fullmatch(r"\d+", qualifier):
        return qualifier
    try:
        return str(storage.get_function_by_name_or_arn_with_qualifier(name, qualifier).version)
    except Exception:
        return None  # moto's own "not found"


def _del_function(original: Any) -> Any:
    def del_function(self: Any, name_or_arn: str, qualifier: str | None = None) -> None:
        name, in_name = split_function(name_or_arn)
        version = _version(self, name, in_name or qualifier)
        routed = aliases_routing_to(self, name, version) if version else []
        if routed:
            raise version_in_use(routed)
        original(self, name_or_arn, qualifier)

    return del_function


def install() -> None:
    from moto.awslambda.models import LambdaStorage

    patch(LambdaStorage, "del_function", _del_function)
