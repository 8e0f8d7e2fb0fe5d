"""`twophase init`: find the function folders of a project and write a commented twophase.yml.

A folder is a function when one of its own files is a handler twophase recognises:

| runtime family | file | handler written |
| --- | --- | --- |
| Python | `*.py` with a top-level `def handler(` or `def lambda_handler(` | `app.handler` |
| Node.js | `*.js`, `*.mjs`, `*.cjs` exporting `handler` | `index.handler` |
| Ruby | `*.rb` with `def handler(` or `def self.handler(` | `function.handler` |
| provided | a file named `bootstrap` | `bootstrap` |

The search goes four levels down and never into hidden folders, dependencies, build output or
tests, nor below a folder already found to be a function (its subfolders are part of its code).
A folder whose handler Lambda could not take (a file name with a space) is skipped and named;
a name too long for Lambda's 64 characters is shortened.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from twophase.config import rules

MAX_DEPTH = 4
SKIPPED = frozenset(
    {"node_modules", "__pycache__", "venv", "build", "dist", "target", "tests", "test", "infra"}
)
RUNTIME = {
    "python": "python3.12",
    "nodejs": "nodejs22.x",
    "ruby": "ruby3.3",
    "provided": "provided.al2023",
}
# Names are shortened so that `<app>-<env>-<function>` fits Lambda's limit for an environment
# name this long (`staging`); a longer environment name may need a shorter function name.
ENV_ALLOWANCE = len("staging")
# Preferred file names first, so a folder with app.py and helpers.py picks app.py.
PREFERRED = ("app", "handler", "lambda_function", "main", "index", "function")
_PATTERNS = {
    "python": (
        (".py",),
        re.compile(r"^def (handler|lambda_handler)\(", re.MULTILINE),
    ),
    "nodejs": (
        (".js", ".mjs", ".cjs"),
        re.compile(
            r"(?:exports\.(handler)\s*=|export\s+(?:const|let|async\s+function|function)\s+(handler)\b)"
        ),
    ),
    "ruby": ((".rb",), re.compile(r"^\s*def (?:self\.)?(handler)\b", re.MULTILINE)),
}


@dataclass(frozen=True)
class FoundFunction:
    name: str  # the function's name in twophase.yml
    source: str  # posix path relative to the project root
    family: str
    handler: str

    @property
    def runtime(self) -> str:
        return RUNTIME[self.family]


def find_functions(root: Path) -> list[FoundFunction]:
    """The function folders under `root`, by source path."""
    found: list[tuple[str, str, str]] = []  # (source, family, handler)
    for dirpath, dirnames, filenames in os.walk(root):
        folder = Path(dirpath)
        rel = folder.relative_to(root)
        hit = _handler_in(folder, sorted(filenames))
        if hit is not None:
            found.append((rel.as_posix(), *hit))
            dirnames[:] = []
            continue
        if len(rel.parts) >= MAX_DEPTH:
            dirnames[:] = []
            continue
        dirnames[:] = sorted(d for d in dirnames if not d.startswith(".") and d not in SKIPPED)
    return _named(root, found)


def _handler_in(folder: Path, filenames: list[str]) -> tuple[str, str] | None:
    if "bootstrap" in filenames:
        return "provided", "bootstrap"
    for family, (suffixes, pattern) in _PATTERNS.items():
        candidates = [f for f in filenames if f.endswith(suffixes)]
        candidates.sort(key=lambda f: (_rank(f), f))
        for filename in candidates:
            try:
                text = (folder / filename).read_text(encoding="utf-8", errors="replace")
            except OSError:
                continue
            match = pattern.search(text)
            if match:
                function = next(g for g in match.groups() if g)
                return family, f"{filename.rsplit('.', 1)[0]}.{function}"
    return None


def _rank(filename: str) -> int:
    stem = filename.rsplit(".", 1)[0]
    return PREFERRED.index(stem) if stem in PREFERRED else len(PREFERRED)


def _named(root: Path, found: list[tuple[str, str, str]]) -> list[FoundFunction]:
    taken: set[str] = set()
    named = []
    for source, family, handler in found:
        base = as_name(Path(source).name if source != "." else root.resolve().name) or "function"
        name, n = base, 2
        while name in taken:
            name, n = f"{base}-{n}", n + 1
        taken.add(name)
        named.append(FoundFunction(name, source, family, handler))
    return named


def as_name(text: str) -> str:
    """`My_Service` -> `my-service`: a valid twophase name, or "" when nothing is left."""
    name = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    name = re.sub(r"^[0-9-]+", "", name)
    return name if re.fullmatch(rules.NAME_PATTERN, name) else ""


def render_config(app: str, functions: list[FoundFunction]) -> str:
    """The text of a commented twophase.yml for `functions` (valid as written)."""
    families = Counter(f.family for f in functions)
    default_runtime = RUNTIME[families.most_common(1)[0][0]]
    lines = [
        "# twophase.yml, written by `twophase init`. Edit it freely: `twophase schema` prints",
        "# a JSON schema for your editor, and twophase.yml.example shows every setting.",
        "# Phase one, `twophase -e local infra up`, deploys the stack with a dummy body per",
        "# function; phase two, `twophase -e local push FUNCTION`, ships the code.",
        "",
        "# The stack of environment ENV is <app>-ENV; each function is named <app>-ENV-FUNCTION.",
        f"app: {app}",
        "",
        "# Your shared infrastructure (queues, tables, ...) in plain CloudFormation, if any:",
        "# template: infra/cloudformation/shared.yaml",
        "",
        "environments:",
        "  local:",
        "    endpoint: local      # the embedded local AWS: no account, no credentials",
        "  # dev:",
        "  #   region: eu-west-1",
        "  #   profile: my-dev-profile",
        "",
        "defaults:",
        f"  runtime: {default_runtime}",
        "  architecture: arm64    # or x86_64",
        "  memory: 256            # MB",
        "  timeout: 10            # seconds",
        "",
        "# push moves the first alias; alias promote moves the next; triggers call the last one.",
        "aliases: [next, live]",
        "",
        "functions:",
    ]
    for fn in functions:
        lines += [
            f"  {fn.name}:",
            f"    handler: {fn.handler}",
            f"    source: {_yaml_str(fn.source)}",
        ]
        if fn.runtime != default_runtime:
            lines.append(f"    runtime: {fn.runtime}")
        lines += [
            "    # trigger:             # what invokes it: http, queue or schedule",
            "    #   http:",
            '    #     routes: ["GET /"]',
        ]
    return "\n".join(lines) + "\n"


def _yaml_str(text: str) -> str:
    return text if re.fullmatch(r"[A-Za-z0-9_./-]+", text) and text != "." else json.dumps(text)


@dataclass(frozen=True)
class InitPlan:
    """What `twophase init` would write: where, for which app, with which functions, and which
    folders it passed over (each with the reason)."""

    path: Path
    app: str
    functions: tuple[FoundFunction, ...]
    text: str
    skipped: tuple[str, ...] = ()


def plan_init(path: Path, app: str | None = None) -> InitPlan:
    """Find the functions next to `path` and render a config that validates; raises UsageError
    (nothing written) when `path` exists, the app name is invalid or no function is found."""
    from twophase.config.load import load_config
    from twophase.errors import TwophaseError, UsageError

    if path.exists():
        raise UsageError(
            f"{path} already exists; twophase init never overwrites it",
            hint="edit it, or move it away to start over",
        )
    root = path.absolute().parent
    name = as_name(root.name) if app is None else app
    try:
        rules.check_name(name)
    except ValueError as exc:
        raise UsageError(
            f"app name {name!r}: {exc}", hint="pass --app NAME (lowercase letters, digits, -)"
        ) from None
    functions, skipped = _usable(find_functions(root), name)
    if not functions:
        raise UsageError(
            f"no function folders found under {root}",
            hint="a function folder holds a handler (app.py with `def handler(`, index.js "
            "exporting `handler`, a Ruby `def handler`, or a `bootstrap`); add one, or start "
            "from twophase.yml.example",
        )
    text = render_config(name, functions)
    try:
        load_config(path, text.encode())  # validated as twophase will read it, before any write
    except TwophaseError as exc:
        raise TwophaseError(f"twophase init made a config that does not validate: {exc}") from None
    return InitPlan(path, name, tuple(functions), text, tuple(skipped))


def _usable(found: list[FoundFunction], app: str) -> tuple[list[FoundFunction], list[str]]:
    """The functions Lambda can take, names shortened to fit; and the folders passed over."""
    room = rules.MAX_FUNCTION_NAME - len(rules.function_name(app, "x" * ENV_ALLOWANCE, ""))
    usable: list[FoundFunction] = []
    skipped: list[str] = []
    taken: set[str] = set()
    for fn in found:
        try:
            rules.check_handler(fn.handler, fn.runtime)
        except ValueError as exc:
            skipped.append(f"{fn.source}: {exc}")
            continue
        name = fn.name[:room].rstrip("-")
        if not name:
            skipped.append(f"{fn.source}: the app name {app!r} leaves no room for a function name")
            continue
        unique, n = name, 2
        while unique in taken:
            suffix = f"-{n}"
            unique, n = name[: room - len(suffix)].rstrip("-") + suffix, n + 1
        taken.add(unique)
        usable.append(FoundFunction(unique, fn.source, fn.family, fn.handler))
    return usable, skipped


def write_init(plan: InitPlan) -> None:
    """Create the file whole, and only if it still does not exist."""
    from twophase.errors import TwophaseError, UsageError

    partial = plan.path.with_name(f".{plan.path.name}.{os.getpid()}.init")
    try:
        partial.write_text(plan.text, encoding="utf-8")
        os.link(partial, plan.path)  # fails if the file appeared meanwhile: never overwritten
    except FileExistsError:
        raise UsageError(
            f"{plan.path} appeared while twophase init ran; it was left as it is",
            hint="edit it, or move it away to start over",
        ) from None
    except OSError as exc:
        raise TwophaseError(f"cannot write {plan.path}: {exc.strerror or exc}") from None
    finally:
        partial.unlink(missing_ok=True)
