"""Extensions to moto, each reproducing one AWS behaviour twophase depends on.

Every module in this package exposes `install() -> None`, which patches moto idempotently. They are
discovered by name and installed in sorted order by `install_all()`, the single entry point used by
both the server twophase starts and the test fixture.
"""

from __future__ import annotations

import importlib
import pkgutil

_installed = False


def extension_names() -> list[str]:
    return sorted(m.name for m in pkgutil.iter_modules(__path__) if not m.name.startswith("_"))


def install_all() -> None:
    global _installed
    if _installed:
        return
    for name in extension_names():
        module = importlib.import_module(f"{__name__}.{name}")
        module.install()
    _installed = True
