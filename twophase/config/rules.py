"""What a valid twophase.yml value looks like: the data (runtimes, limits) and one-value checks.

Each check returns its value or raises ValueError with a message that says how to fix it; the
loader adds the file, the YAML path and the line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

# Runtime id -> family, for every runtime twophase accepts. Kept as data: supporting a new runtime
# is one line here and one in RUNTIME_LIFECYCLE.
RUNTIMES: dict[str, str] = {
    "python3.8": "python",
    "python3.9": "python",
    "python3.10": "python",
    "python3.11": "python",
    "python3.12": "python",
    "python3.13": "python",
    "python3.14": "python",
    "nodejs16.x": "nodejs",
    "nodejs18.x": "nodejs",
    "nodejs20.x": "nodejs",
    "nodejs22.x": "nodejs",
    "nodejs24.x": "nodejs",
    "java8.al2": "java",
    "java11": "java",
    "java17": "java",
    "java21": "java",
    "java25": "java",
    "provided.al2": "provided",
    "provided.al2023": "provided",
    "ruby3.2": "ruby",
    "ruby3.3": "ruby",
    "ruby3.4": "ruby",
    "ruby4.0": "ruby",
}


@dataclass(frozen=True)
class Lifecycle:
    """AWS Lambda's dates for a runtime (UTC): deprecated (no more security patches, a warning
    here), then creating functions blocked, then updating them blocked (refused here from the
    first block). `successor` is the runtime AWS points to."""

    deprecated: date
    block_create: date
    block_update: date
    successor: str | None = None

    def blocked(self, today: date) -> bool:
        return today >= self.block_create

    def deprecated_on(self, today: date) -> bool:
        return today >= self.deprecated


def _life(deprecated: str, create: str, update: str, successor: str | None = None) -> Lifecycle:
    return Lifecycle(
        date.fromisoformat(deprecated),
        date.fromisoformat(create),
        date.fromisoformat(update),
        successor,
    )


# The AWS Lambda runtime deprecation schedule ("Lambda runtimes": supported and deprecated runtimes,
# with their deprecation, block-function-create and block-function-update dates), as AWS published
# it in 2026. Runtimes not in RUNTIMES are past their block date: named here so that the refusal
# says when and what replaces them.
RUNTIME_LIFECYCLE: dict[str, Lifecycle] = {
    "python3.14": _life("2029-06-30", "2029-07-31", "2029-08-31"),
    "python3.13": _life("2029-06-30", "2029-07-31", "2029-08-31", "python3.14"),
    "python3.12": _life("2028-10-31", "2028-11-30", "2029-01-10", "python3.14"),
    "python3.11": _life("2027-06-30", "2027-07-31", "2027-08-31", "python3.14"),
    "python3.10": _life("2026-10-31", "2027-02-01", "2027-03-03", "python3.14"),
    "python3.9": _life("2025-12-15", "2027-02-01", "2027-03-03", "python3.14"),
    "python3.8": _life("2024-10-14", "2027-02-01", "2027-03-03", "python3.14"),
    "python3.7": _life("2023-12-04", "2024-01-09", "2027-03-03", "python3.14"),
    "python3.6": _life("2022-07-18", "2022-07-18", "2022-08-29", "python3.14"),
    "python2.7": _life("2021-07-15", "2021-07-15", "2022-05-30", "python3.14"),
    "nodejs24.x": _life("2028-04-30", "2028-06-01", "2028-07-01"),
    "nodejs22.x": _life("2027-04-30", "2027-06-01", "2027-07-01", "nodejs24.x"),
    "nodejs20.x": _life("2026-04-30", "2027-02-01", "2027-03-03", "nodejs24.x"),
    "nodejs18.x": _life("2025-09-01", "2027-02-01", "2027-03-03", "nodejs24.x"),
    "nodejs16.x": _life("2024-06-12", "2027-02-01", "2027-03-03", "nodejs24.x"),
    "nodejs14.x": _life("2023-12-04", "2024-01-09", "2027-03-03", "nodejs24.x"),
    "nodejs12.x": _life("2023-03-31", "2023-03-31", "2023-04-30", "nodejs24.x"),
    "nodejs10.x": _life("2021-07-30", "2021-07-30", "2022-02-14", "nodejs24.x"),
    "java25": _life("2029-06-30", "2029-07-31", "2029-08-31"),
    "java21": _life("2029-06-30", "2029-07-31", "2029-08-31", "java25"),
    "java17": _life("2027-06-30", "2027-07-31", "2027-08-31", "java25"),
    "java11": _life("2027-06-30", "2027-07-31", "2027-08-31", "java25"),
    "java8.al2": _life("2027-06-30", "2027-07-31", "2027-08-31", "java25"),
    "java8": _life("2024-01-08", "2024-02-08", "2027-03-03", "java25"),
    "provided.al2023": _life("2029-06-30", "2029-07-31", "2029-08-31"),
    "provided.al2": _life("2026-07-31", "2027-02-01", "2027-03-03", "provided.al2023"),
    "provided": _life("2024-01-08", "2024-02-08", "2027-03-03", "provided.al2023"),
    "go1.x": _life("2024-01-08", "2024-02-08", "2027-03-03", "provided.al2023"),
    "ruby4.0": _life("2029-03-31", "2029-04-30", "2029-05-31"),
    "ruby3.4": _life("2028-03-31", "2028-04-30", "2028-05-31", "ruby4.0"),
    "ruby3.3": _life("2027-03-31", "2027-04-30", "2027-05-31", "ruby4.0"),
    "ruby3.2": _life("2026-03-31", "2027-02-01", "2027-03-03", "ruby4.0"),
    "ruby2.7": _life("2023-12-07", "2024-01-09", "2027-03-03", "ruby4.0"),
    "ruby2.5": _life("2021-07-30", "2021-07-30", "2022-03-31", "ruby4.0"),
}


def today() -> date:
    """The date (UTC) runtime dates are compared with; tests replace it."""
    return datetime.now(UTC).date()


# Handler shape per runtime family, with an example for the error message.
_SCRIPT_HANDLER = r"[A-Za-z0-9_][A-Za-z0-9_./-]*\.[A-Za-z_$][A-Za-z0-9_$]*"
_JAVA_ID = r"[A-Za-z_$][A-Za-z0-9_$]*"
_RUBY_CONSTANT = r"[A-Z][A-Za-z0-9_]*"
HANDLER_SHAPES: dict[str, tuple[str, str]] = {
    "python": (_SCRIPT_HANDLER, "app.handler (file app.py, function handler)"),
    "nodejs": (_SCRIPT_HANDLER, "index.handler (file index.js, export handler)"),
    # The Ruby runtime splits the handler on dots: FILE.METHOD, or FILE.CLASS.METHOD where CLASS
    # is a constant, namespaced or not (`Handler`, `LambdaFunctions::Handler`), and METHOD one of
    # its class methods. So the file path holds no dot.
    "ruby": (
        rf"[A-Za-z0-9_][A-Za-z0-9_/-]*(?:\.{_RUBY_CONSTANT}(?:::{_RUBY_CONSTANT})*)?"
        r"\.[a-z_][A-Za-z0-9_]*",
        "function.handler (method handler in function.rb) or "
        "source.LambdaFunctions::Handler.process (class method process of "
        "LambdaFunctions::Handler in source.rb)",
    ),
    "java": (
        rf"{_JAVA_ID}(\.{_JAVA_ID})*(::{_JAVA_ID})?",
        "com.example.Handler::handleRequest or com.example.Handler",
    ),
    "provided": (r".+", "bootstrap"),
}

NAME_PATTERN = r"^[a-z](?:[a-z0-9]|-(?!-))*(?<!-)$"
MAX_FUNCTION_NAME = 64  # Lambda's limit on the physical name <app>-<env>-<fn>
MAX_STACK_NAME = 128  # CloudFormation's
HASH_CHARS = 8  # the hash that ends a shortened name

# CloudWatch Logs accepts only these retention periods.
RETENTION_DAYS: tuple[int, ...] = (1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545)
RETENTION_DAYS += (731, 1096, 1827, 2192, 2557, 2922, 3288, 3653)

HTTP_METHODS = ("ANY", "GET", "POST", "PUT", "PATCH", "DELETE", "HEAD", "OPTIONS")
# Patterns are kept as text: `re` compiles each on first use (and keeps it), so a command that
# loads the cached model, and checks nothing, compiles none.
_PATH_SEGMENT = r"(?:[A-Za-z0-9._~:@!$&'()*+,;=-]+|\{[A-Za-z0-9_]+\})"
_ROUTE_PATH = rf"^/(?:{_PATH_SEGMENT}(?:/{_PATH_SEGMENT})*(?:/\{{[A-Za-z0-9_]+\+\}})?)?$"
_ROUTE_PATH_GREEDY_ONLY = r"^/\{[A-Za-z0-9_]+\+\}$"

_RATE = r"^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$"
_CRON = r"^cron\((\S+ ){5}\S+\)$"
_REGION = r"^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d$"
_ALIAS = r"^[A-Za-z0-9_-]{1,128}$"
_OWNER = r"^arn:aws[a-z-]*:(iam|sts)::\d{12}:(role|user|group|assumed-role)/\S+$"
_OWNER_NAME = r"^[A-Za-z0-9+=,.@_-]{1,64}$"  # a plain name means a role
_ENV_VAR = r"^[A-Za-z][A-Za-z0-9_]*$"
RESERVED_ENV_PREFIXES = ("AWS_", "LAMBDA_", "_HANDLER", "_X_AMZN")
RESERVED_ENV = ("TWOPHASE_FUNCTION", "TZ", "LANG", "PATH", "LD_LIBRARY_PATH")

STATEMENT_KEYS = ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition")


def shorten(name: str, limit: int) -> str:
    """`name` when it fits `limit`; else its start and a stable 8-hex hash of the whole name, so
    that two long names never meet and the same name always shortens the same way. A name that
    fits is never touched: environments deployed before keep every name."""
    if len(name) <= limit:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:HASH_CHARS]
    return f"{name[: limit - HASH_CHARS - 1].rstrip('-')}-{digest}"


def stack_name(app: str, env: str) -> str:
    """The environment's stack: `<app>-<env>` (shortened past CloudFormation's 128)."""
    return shorten(f"{app}-{env}", MAX_STACK_NAME)


def function_name(app: str, env: str, function: str) -> str:
    """The physical Lambda function name: `<app>-<env>-<function>`, shortened past Lambda's 64
    (only a preview's can be that long: a declared environment's is refused, see `checks`)."""
    return shorten(full_function_name(app, env, function), MAX_FUNCTION_NAME)


def full_function_name(app: str, env: str, function: str) -> str:
    """`<app>-<env>-<function>` before any shortening."""
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
    """A runtime AWS Lambda still lets functions be created with (as of `today()`)."""
    life = RUNTIME_LIFECYCLE.get(value)
    if life is not None and (life.blocked(today()) or value not in RUNTIMES):
        raise ValueError(blocked_message(value, life, today()))
    if value not in RUNTIMES:
        raise ValueError(f"unknown runtime {value!r}; use one of {', '.join(RUNTIMES)}")
    return value


def blocked_message(runtime: str, life: Lifecycle, on: date) -> str:
    updates = (
        f"and updating them since {life.block_update}"
        if on >= life.block_update
        else f"and will block updating them from {life.block_update}"
    )
    return (
        f"{runtime} can no longer be used: AWS Lambda blocks creating functions with it since "
        f"{life.block_create} {updates}; use {life.successor or 'a supported runtime'}"
    )


def runtime_warnings(uses: Mapping[str, Sequence[str]], on: date) -> list[str]:
    """One line per deprecated runtime in `uses` (runtime -> the functions using it)."""
    lines = []
    for runtime in sorted(uses):
        life = RUNTIME_LIFECYCLE.get(runtime)
        if life is None or not life.deprecated_on(on) or life.blocked(on):
            continue
        names = ", ".join(sorted(uses[runtime]))
        lines.append(
            f"{runtime} (functions {names}) is deprecated by AWS Lambda since {life.deprecated}: "
            f"no more security patches; AWS blocks creating functions with it from "
            f"{life.block_create} and updating them from {life.block_update}: move to "
            f"{life.successor or 'a supported runtime'}"
        )
    return lines


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
    if not (re.match(_ROUTE_PATH, path) or re.match(_ROUTE_PATH_GREEDY_ONLY, path)):
        raise ValueError(
            f"{value!r} has an invalid path; start with / and use {{name}} for parameters "
            "({name+} only as the last segment)"
        )
    return value


def check_schedule(value: str) -> str:
    rate = re.match(_RATE, value)
    if rate:
        count, unit = int(rate.group(1)), rate.group(2)
        if count < 1 or (count == 1) != (not unit.endswith("s")):
            raise ValueError(
                f"{value!r}: use a singular unit for 1 and plural otherwise, e.g. rate(1 day), "
                "rate(5 minutes)"
            )
        return value
    if re.match(_CRON, value):
        return value
    raise ValueError(
        f"{value!r} is not a schedule; write rate(5 minutes) or cron(0 3 * * ? *) (six fields)"
    )


def check_region(value: str) -> str:
    if not re.match(_REGION, value):
        raise ValueError(f"{value!r} is not an AWS region; write it like eu-west-1")
    return value


def check_endpoint(value: str) -> str:
    if value != "local" and not re.match(r"^https?://[^\s/]+", value):
        raise ValueError(f"{value!r}: use `local` for the embedded AWS, or an http(s):// URL")
    return value


def check_alias(value: str) -> str:
    if value == "$LATEST" or not re.match(_ALIAS, value) or value.isdigit():
        raise ValueError(
            f"{value!r} is not an alias name; use letters, digits, - and _ "
            "(not $LATEST, not only digits)"
        )
    return value


def check_owner(value: str) -> str:
    """A role, user or group ARN, or a plain role name (what twophase.infra.owners attaches to)."""
    if not (re.match(_OWNER, value) or re.match(_OWNER_NAME, value)):
        raise ValueError(
            f"{value!r} is not a role, user or group; write arn:aws:iam::123456789012:role/NAME "
            "(or :user/, :group/) or a role name"
        )
    return value


def check_env_var_name(value: str) -> str:
    if not re.match(_ENV_VAR, value):
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


_DURATION = r"^([1-9][0-9]*)([dhms])$"
DURATION_UNITS = {"d": 86_400, "h": 3_600, "m": 60, "s": 1}


def duration_seconds(value: str) -> int:
    """`7d`, `12h`, `30m`, `90s` -> seconds (a preview's ttl)."""
    found = re.match(_DURATION, value)
    if found is None:
        raise ValueError(
            f"{value!r} is not a duration; write a whole number and a unit: 7d, 12h, 30m or 90s"
        )
    return int(found.group(1)) * DURATION_UNITS[found.group(2)]


def check_duration(value: str) -> str:
    duration_seconds(value)
    return value


def check_match(value: str) -> str:
    """A glob over environment names (`pr-*`): what a preview's name may look like."""
    if not re.fullmatch(r"[a-z0-9*?\[\]!-]+", value) or not re.search(r"[*?\[]", value):
        raise ValueError(
            f'{value!r} is not a pattern of environment names; write a glob such as "pr-*" '
            "(lowercase letters, digits, - and the wildcards * ? [...])"
        )
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
