"""What a valid twophase.yml value looks like: the data (runtimes, limits) and one-value checks.

Each check returns its value or raises ValueError with a message that says how to fix it; the
loader adds the file, the YAML path and the line.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

# Runtime id -> family. Kept as data: supporting a new runtime is one line here.
RUNTIMES: dict[str, str] = {
    "python3.9": "python",
    "python3.10": "python",
    "python3.11": "python",
    "python3.12": "python",
    "python3.13": "python",
    "nodejs18.x": "nodejs",
    "nodejs20.x": "nodejs",
    "nodejs22.x": "nodejs",
    "java11": "java",
    "java17": "java",
    "java21": "java",
    "provided.al2": "provided",
    "provided.al2023": "provided",
    "ruby3.2": "ruby",
    "ruby3.3": "ruby",
}

# Handler shape per runtime family, with an example for the error message.
_SCRIPT_HANDLER = r"[A-Za-z0-9_][A-Za-z0-9_./-]*\.[A-Za-z_$][A-Za-z0-9_$]*"
_JAVA_ID = r"[A-Za-z_$][A-Za-z0-9_$]*"
HANDLER_SHAPES: dict[str, tuple[str, str]] = {
    "python": (_SCRIPT_HANDLER, "app.handler (file app.py, function handler)"),
    "nodejs": (_SCRIPT_HANDLER, "index.handler (file index.js, export handler)"),
    "ruby": (
        r"[A-Za-z0-9_][A-Za-z0-9_./-]*\.[A-Za-z_][A-Za-z0-9_:.]*",
        "function.handler (file function.rb, method handler)",
    ),
    "java": (
        rf"{_JAVA_ID}(\.{_JAVA_ID})*(::{_JAVA_ID})?",
        "com.example.Handler::handleRequest or com.example.Handler",
    ),
    "provided": (r".+", "bootstrap"),
}

NAME_PATTERN = r"^[a-z](?:[a-z0-9]|-(?!-))*(?<!-)$"
MAX_FUNCTION_NAME = 64  # Lambda's limit on the physical name <app>-<env>-<fn>

# CloudWatch Logs accepts only these retention periods.
RETENTION_DAYS: tuple[int, ...] = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545)
RETENTION_DAYS += (731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

HTTP_METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
_PATH_SEGMENT = r"(?:[A-Za-z0-9._~:@!$&'()*+,;=-]+|\{[A-Za-z0-9_]+\})"
_ROUTE_PATH = re.compile(
    rf"^/(?:{_PATH_SEGMENT}(?:/{_PATH_SEGMENT})*(?:/\{{[A-Za-z0-9_]+\+\}})?)?$"
)
_ROUTE_PATH_GREEDY_ONLY = re.compile(r"^/\{[A-Za-z0-9_]+\+\}$")

_RATE = re.compile(r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$")
_CRON = re.compile(r"^cron\((\S+ ){5}\S+\)$")
_REGION = re.compile(r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$")
_ALIAS = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_OWNER = re.compile(r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|group|assumed-role)/\S+$")
_OWNER_NAME = re.compile(r"^[A-Za-z0-9+=,.@_-]{1,64}$")  # a plain name means a role
_ENV_VAR = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
RESERVED_ENV_PREFIXES = ("AWS_", "LAMBDA_", "_HANDLER", "_X_AMZN")
RESERVED_ENV = ("TWOPHASE_FUNCTION", "TZ", "LANG", "PATH", "LD_LIBRARY_PATH")

STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")


def stack_name(app: str, env: str) -> str:
    """The environment's stack: `<app>-<env>`."""
    return f"{app}-{env}"


def function_name(app: str, env: str, function: str) -> str:
    """The physical Lambda function name: `<app>-<env>-<function>`."""
    return f"{app}-{env}-{function}"


def camel(name: str) -> str:
    """`order-worker` -> `OrderWorker`: the stem of generated logical ids."""
    return "".join(part[:1].upper() + part[1:] for part in re.split(r"[-_]", name) if part)


def check_name(value: str) -> str:
    if not re.match(NAME_PATTERN, value):
        raise ValueError(
            f"{value!r} is not a valid name; use lowercase letters, digits and single hyphens, "
            "starting with a letter"
        )
    return value


def check_runtime(value: str) -> str:
    if value not in RUNTIMES:
        raise ValueError(f"unknown runtime {value!r}; use one of {', '.join(RUNTIMES)}")
    return value


def check_handler(handler: str, runtime: str) -> str:
    family = RUNTIMES.get(runtime, "provided")
    shape, example = HANDLER_SHAPES[family]
    if not re.fullmatch(shape, handler):
        raise ValueError(f"{handler!r} is not a {runtime} handler; write it like {example}")
    return handler


def check_retention(value: int) -> int:
    if value not in RETENTION_DAYS:
        nearest = min(RETENTION_DAYS, key=lambda d: abs(d - value))
        raise ValueError(f"CloudWatch Logs does not accept {value} days; use e.g. {nearest}")
    return value


def check_route(value: str) -> str:
    if value == "$default":
        return value
    method, _, path = value.partition(" ")
    if method not in HTTP_METHODS:
        raise ValueError(
            f'{value!r} is not a route; write "METHOD /path" with METHOD one of '
            f'{", ".join(HTTP_METHODS)}, or "$default"'
        )
    if not (_ROUTE_PATH.match(path) or _ROUTE_PATH_GREEDY_ONLY.match(path)):
        raise ValueError(
            f"{value!r} has an invalid path; start with / and use {{name}} for parameters "
            "({name+} only as the last segment)"
        )
    return value


def check_schedule(value: str) -> str:
    rate = _RATE.match(value)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        if count < 1 or (count == 1) != (not unit.endswith("s")):
            raise ValueError(
                f"{value!r}: use a singular unit for 1 and plural otherwise, e.g. rate(1 day), "
                "rate(5 minutes)"
            )
        return value
    if _CRON.match(value):
        return value
    raise ValueError(
        f"{value!r} is not a schedule; write rate(5 minutes) or cron(0 3 * * ? *) (six fields)"
    )


def check_region(value: str) -> str:
    if not _REGION.match(value):
        raise ValueError(f"{value!r} is not an AWS region; write it like eu-west-1")
    return value


def check_endpoint(value: str) -> str:
    if value != "local" and not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r}: use `local` for the embedded AWS, or an http(s):// URL")
    return value


def check_alias(value: str) -> str:
    if value == "$LATEST" or not _ALIAS.match(value) or value.isdigit():
        raise ValueError(
            f"{value!r} is not an alias name; use letters, digits, - and _ "
            "(not $LATEST, not only digits)"
        )
    return value


def check_owner(value: str) -> str:
    """A role, user or group ARN, or a plain role name (what twophase.policy attaches to)."""
    if not (_OWNER.match(value) or _OWNER_NAME.match(value)):
        raise ValueError(
            f"{value!r} is not a role, user or group; write arn:aws:iam::123456789012:role/NAME "
            "(or :user/, :group/) or a role name"
        )
    return value


def check_env_var_name(value: str) -> str:
    if not _ENV_VAR.match(value):
        raise ValueError(f"{value!r} is not a variable name; use letters, digits and _")
    if value in RESERVED_ENV or value.startswith(RESERVED_ENV_PREFIXES):
        raise ValueError(f"{value!r} is reserved by Lambda or twophase; choose another name")
    return value


def check_statement(value: dict[str, Any]) -> dict[str, Any]:
    unknown = sorted(set(value) - set(STATEMENT_KEYS))
    if unknown:
        raise ValueError(
            f"unknown statement key {unknown[0]!r}; an IAM statement takes "
            f"{', '.join(STATEMENT_KEYS)}"
        )
    if value.get("Effect") not in ("Allow", "Deny"):
        raise ValueError("needs Effect: Allow or Effect: Deny")
    if "Action" not in value and "NotAction" not in value:
        raise ValueError("needs Action (e.g. dynamodb:PutItem)")
    if "Resource" not in value and "NotResource" not in value:
        raise ValueError('needs Resource (e.g. "${OrdersTable.Arn}")')
    return value


def check_unique(values: Iterable[str], what: str) -> None:
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise ValueError(f"{what} {value!r} appears twice; list each once")
        seen.add(value)


def runtime_family(runtime: str) -> str:
    """python, nodejs, java, provided, ruby… (from a Lambda runtime id, known or not)."""
    import re

    match = re.match(r"[a-z]+", runtime)
    return RUNTIMES.get(runtime, match.group(0) if match else "unknown")
