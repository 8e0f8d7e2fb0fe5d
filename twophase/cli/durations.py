"""Parsing `5m`, `30s`, `1h30m` style durations for CLI options."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

import click

_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")
_FACTORS = {"h": 3600.0, "m": 60.0, "s": 1.0, "ms": 0.001}
# Said wherever a duration is taken (option help and the command's examples).
FORMAT = "30s, 5m, 1h, 1h30m or 500ms; a bare number is seconds"


if TYPE_CHECKING:  # generic from click 8.2; subscripted only for the checker (click>=8.1)
    _ParamType = click.ParamType[float, object]
else:
    _ParamType = click.ParamType


class Duration(_ParamType):
    name = "duration"

    def convert(
        self, value: object, param: click.Parameter | None, ctx: click.Context | None
    ) -> float:
        if isinstance(value, int | float):
            return float(value)
        text = str(value).strip().lower()
        if re.fullmatch(r"\d+(\.\d+)?", text):
            return float(text)
        parts = _PART.findall(text)
        if not parts or "".join(n + u for n, u in parts) != text:
            self.fail(f"{value!r} is not a duration: {FORMAT}", param, ctx)
        return sum(float(n) * _FACTORS[u] for n, u in parts)
