"""Checks before any upload: Lambda's size limits, and that the handler exists."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Mapping
from pathlib import PurePosixPath

from twophase.build.model import BuildTarget, Limits
from twophase.errors import BuildError
from twophase.files import human_size

_NODE_SUFFIXES = (".js", ".mjs", ".cjs")


def largest(sizes: Mapping[str, int], count: int = 5) -> list[tuple[str, int]]:
    """The `count` largest top-level files and folders (a folder's size is its files' total)."""
    totals: dict[str, int] = {}
    for name, size in sizes.items():
        top, sep, _ = name.partition("/")
        key = top + sep
        totals[key] = totals.get(key, 0) + size
    return sorted(totals.items(), key=lambda kv: (-kv[1], kv[0]))[:count]


def check_unzipped(fn: BuildTarget, sizes: Mapping[str, int], limits: Limits) -> int:
    total = sum(sizes.values())
    if total > limits.unzipped:
        biggest = ", ".join(f"{name} {human_size(size)}" for name, size in largest(sizes))
        raise BuildError(
            f"{fn.name}: unzipped artifact is {human_size(total)}, over Lambda's "
            f"{human_size(limits.unzipped)} limit; largest: {biggest}",
            hint="drop unused dependencies or files (.twophaseignore), or use a container image",
        )
    return total


def handler_candidates(fn: BuildTarget) -> list[str]:
    """Archive names of which at least one must exist for the handler to load; [] if unchecked."""
    family, handler = fn.runtime_family, fn.handler
    if family == "provided":
        return ["bootstrap"]
    if family == "python":
        module = handler.rpartition(".")[0].replace(".", "/") if "." in handler else handler
        return [f"{module}.py", f"{module}/__init__.py"]
    if family in ("nodejs", "ruby"):
        path = PurePosixPath(handler)
        stem = path.name.partition(".")[0]
        base = (path.parent / stem).as_posix()
        return [base + s for s in _NODE_SUFFIXES] if family == "nodejs" else [base + ".rb"]
    if family == "java":
        cls = handler.partition("::")[0]
        return [cls.replace(".", "/") + ".class"]
    if family == "dotnet":
        return [handler.partition("::")[0] + ".dll"]
    return []


def check_handler(fn: BuildTarget, names: Mapping[str, bool], archive: bytes | None = None) -> None:
    """`names` maps every archive name to whether it is executable.

    For Java, the class may also sit in a jar under `lib/` (`archive` holds the artifact's bytes).
    """
    candidates = handler_candidates(fn)
    if not candidates:
        return
    if fn.runtime_family == "provided":
        if names.get("bootstrap"):
            return
        state = "is not executable" if "bootstrap" in names else "is missing"
        raise BuildError(
            f"{fn.name}: `bootstrap` {state} at the artifact's root ({fn.runtime} runs it)",
            hint="build the binary as `bootstrap` and keep its executable bit (chmod 755)",
        )
    if any(c in names for c in candidates):
        return
    if fn.runtime_family == "java" and archive is not None and _in_nested_jar(archive, candidates):
        return
    raise BuildError(
        f"{fn.name}: handler {fn.handler!r} not found: "
        f"the artifact has no {' or '.join(candidates)}",
        hint="fix `handler` in twophase.yml or the function's `source`",
    )


def _in_nested_jar(archive: bytes, candidates: list[str]) -> bool:
    with zipfile.ZipFile(io.BytesIO(archive)) as outer:
        for info in outer.infolist():
            if info.filename.startswith("lib/") and info.filename.endswith(".jar"):
                with zipfile.ZipFile(io.BytesIO(outer.read(info))) as inner:
                    if any(c in inner.namelist() for c in candidates):
                        return True
    return False
