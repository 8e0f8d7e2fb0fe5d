"""ListVersionsByFunction of a function that does not exist is an error, not an empty list.

AWS behaviour (Lambda API reference, ListVersionsByFunction, Errors: `ResourceNotFoundException`,
HTTP 404, "The resource specified in the request does not exist"): asking for the versions of a
function that is not there fails with `ResourceNotFoundException` "Function not found: <arn>".

moto 5.2.5 answers an empty list, so a command that lists versions before it knows the function
exists would report "no versions" where AWS says the function is missing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from twophase.local.extensions._cfn_common import patch, split_function


def _refuse_missing(original: Callable[..., Iterable[Any]]) -> Callable[..., Iterable[Any]]:
    def list_versions_by_function(self: Any, name: str) -> Iterable[Any]:
        function, _ = split_function(name)
        if function not in self._functions:
            raise self.construct_unknown_function_exception(function)
        return original(self, function)

    return list_versions_by_function


def install() -> None:
    from moto.awslambda.models import LambdaStorage

    patch(LambdaStorage, "list_versions_by_function", _refuse_missing)
