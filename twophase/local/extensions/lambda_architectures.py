"""A function's Architectures are reported as configured and change only through UpdateFunctionCode.

AWS behaviour (Lambda API reference, CreateFunction and UpdateFunctionCode, request parameter
`Architectures`: "The instruction set architecture that the function supports. Enter a string array
with one of the valid values (arm64 or x86_64). The default value is x86_64.";
UpdateFunctionConfiguration has no such parameter): a function created with `["arm64"]` reports
`["arm64"]` (GetFunction, GetFunctionConfiguration, ListVersionsByFunction) and so do the versions
published from it; UpdateFunctionCode with `Architectures` changes `$LATEST`'s architecture
together with its code (not on a DryRun), and versions published before keep theirs.

moto 5.2.5 reports the architecture given to CreateFunction but ignores `Architectures` in
UpdateFunctionCode.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_MARK = "_twophase_architectures"


def _update_code_sets_architectures(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def update_function_code(self: Any, updated_spec: dict[str, Any]) -> dict[str, Any]:
        architectures = updated_spec.get("Architectures")
        if not architectures or updated_spec.get("DryRun"):
            return dict(original(self, updated_spec))
        before = self.architectures
        self.architectures = list(architectures)  # moto's setter validates the values
        try:
            return dict(original(self, updated_spec))
        except Exception:
            self.architectures = before  # a failed update changes nothing
            raise

    return update_function_code


def install() -> None:
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction, _MARK, False):
        return
    LambdaFunction.update_function_code = _update_code_sets_architectures(  # type: ignore[method-assign]
        LambdaFunction.update_function_code
    )
    setattr(LambdaFunction, _MARK, True)
