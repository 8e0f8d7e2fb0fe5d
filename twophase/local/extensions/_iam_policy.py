"""How IAM matches a policy statement: wildcards, NotAction/NotResource, and conditions.

Not an extension itself (no `install`): `iam_enforcement` puts `statement_result` in place of
moto's statement evaluation, which identity policies, trust policies and S3 bucket policies share.

AWS behaviour (IAM user guide, "IAM JSON policy elements: Resource", "...: Action",
"...: Condition operators", "Policy evaluation logic"):

- in `Resource`/`NotResource` ARNs, `*` matches any run of characters and `?` exactly one; every
  other character matches itself (`$`, `.`, `+` and brackets are not special): a resource ARN
  `arn:aws:lambda:…:function:NAME:$LATEST` names `$LATEST` only. Resource ARNs are case
  sensitive; action names (`s3:GetObject`, with `*` and `?`) are not.
- a statement applies when its action and resource match and every condition holds: all operators
  of the `Condition` block, all keys of an operator, and any of a key's values. A key missing from
  the request context fails the condition, except for negated operators (`StringNotEquals`,
  `StringNotLike`, `ArnNotLike`, ...) and `...IfExists` ones, which hold, and `Null`, which tests
  for the key's absence. `ForAllValues:` holds when every request value matches (and for a
  missing key); `ForAnyValue:` when one does. Condition keys are case insensitive.
- a statement that does not apply neither allows nor denies: another statement may still allow.

A condition operator this module does not know is treated as holding in a Deny and failing in an
Allow, so that an unknown condition never grants access.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Callable, Mapping
from datetime import datetime
from enum import Enum
from typing import Any

Context = Mapping[str, list[str]]


class Result(Enum):
    ALLOW = "allow"
    DENY = "deny"
    NONE = "none"


@functools.lru_cache(maxsize=4096)
def _glob(pattern: str, ignore_case: bool) -> re.Pattern[str]:
    parts = ["." if c == "?" else ".*" if c == "*" else re.escape(c) for c in pattern]
    return re.compile("".join(parts), re.DOTALL | (re.IGNORECASE if ignore_case else 0))


def glob_match(pattern: str, value: str, *, ignore_case: bool = False) -> bool:
    """IAM's wildcard match: `*` any run of characters, `?` one character, nothing else special."""
    return _glob(pattern, ignore_case).fullmatch(value) is not None


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _any_match(element: Any, value: str, *, ignore_case: bool) -> bool:
    return any(glob_match(str(p), value, ignore_case=ignore_case) for p in _as_list(element))


def action_matches(statement: Mapping[str, Any], action: str) -> bool:
    if "NotAction" in statement:
        return not _any_match(statement["NotAction"], action, ignore_case=True)
    return _any_match(statement.get("Action", []), action, ignore_case=True)


def resource_matches(statement: Mapping[str, Any], resource: str) -> bool:
    """Whether the statement covers `resource` (a trust policy has neither element: it does)."""
    if "NotResource" in statement:
        return not _any_match(statement["NotResource"], resource, ignore_case=False)
    if "Resource" not in statement:
        return True
    return _any_match(statement["Resource"], resource, ignore_case=False)


# -- conditions -------------------------------------------------------------------------------


def _number(value: str) -> float:
    return float(value)


def _date(value: str) -> float:
    if re.fullmatch(r"\d+(\.\d+)?", value):
        return float(value)
    return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()


def _ip(actual: str, expected: str) -> bool:
    return ipaddress.ip_address(actual) in ipaddress.ip_network(expected, strict=False)


_Compare = Callable[[str, str], bool]
# positive operator -> how one request value compares with one policy value
_OPERATORS: dict[str, _Compare] = {
    "StringEquals": lambda a, e: a == e,
    "StringEqualsIgnoreCase": lambda a, e: a.lower() == e.lower(),
    "StringLike": lambda a, e: glob_match(e, a),
    "ArnEquals": lambda a, e: glob_match(e, a),
    "ArnLike": lambda a, e: glob_match(e, a),
    "Bool": lambda a, e: a.lower() == e.lower(),
    "BinaryEquals": lambda a, e: a == e,
    "NumericEquals": lambda a, e: _number(a) == _number(e),
    "NumericLessThan": lambda a, e: _number(a) < _number(e),
    "NumericLessThanEquals": lambda a, e: _number(a) <= _number(e),
    "NumericGreaterThan": lambda a, e: _number(a) > _number(e),
    "NumericGreaterThanEquals": lambda a, e: _number(a) >= _number(e),
    "DateEquals": lambda a, e: _date(a) == _date(e),
    "DateLessThan": lambda a, e: _date(a) < _date(e),
    "DateLessThanEquals": lambda a, e: _date(a) <= _date(e),
    "DateGreaterThan": lambda a, e: _date(a) > _date(e),
    "DateGreaterThanEquals": lambda a, e: _date(a) >= _date(e),
    "IpAddress": _ip,
}
_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
}


class UnknownOperator(Exception):
    pass


def _condition_holds(operator: str, key: str, expected: Any, context: Context) -> bool:
    set_operator, _, operator = operator.rpartition(":")
    if_exists = operator.endswith("IfExists") and operator != "IfExists"
    operator = operator.removesuffix("IfExists") if if_exists else operator
    values = context.get(key.lower())
    wanted = [str(e).lower() if isinstance(e, bool) else str(e) for e in _as_list(expected)]
    if operator == "Null":
        return any((values is None) == (w.lower() == "true") for w in wanted)
    negated = operator in _NEGATED
    compare = _OPERATORS.get(_NEGATED.get(operator, operator))
    if compare is None:
        raise UnknownOperator(operator)
    if values is None:
        return if_exists or negated or set_operator == "ForAllValues"

    def value_holds(value: str) -> bool:
        try:
            matched = any(compare(value, w) for w in wanted)
        except ValueError:  # not a number, date or address: no match
            matched = False
        return not matched if negated else matched

    if set_operator == "ForAllValues":
        return all(value_holds(v) for v in values)
    return any(value_holds(v) for v in values)


def conditions_hold(block: Mapping[str, Any] | None, context: Context) -> bool:
    """Whether every condition of a `Condition` block holds (raises UnknownOperator)."""
    for operator, keys in (block or {}).items():
        for key, expected in keys.items():
            if not _condition_holds(operator, key, expected, context):
                return False
    return True


def statement_result(
    statement: Mapping[str, Any], action: str, resource: str, context: Context
) -> Result:
    """ALLOW or DENY when the statement applies to the request, NONE when it does not."""
    if not action_matches(statement, action) or not resource_matches(statement, resource):
        return Result.NONE
    deny = statement.get("Effect") == "Deny"
    try:
        holds = conditions_hold(statement.get("Condition"), context)
    except UnknownOperator:
        holds = deny
    if not holds:
        return Result.NONE
    return Result.DENY if deny else Result.ALLOW


def normalized_context(values: Mapping[str, Any] | None) -> dict[str, list[str]]:
    """Condition keys lower-cased, each with a list of string values."""
    context: dict[str, list[str]] = {}
    for key, value in (values or {}).items():
        if value is not None:
            context[key.lower()] = [str(v) for v in _as_list(value)]
    return context
