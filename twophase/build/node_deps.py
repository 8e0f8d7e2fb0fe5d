"""Node.js production dependencies: `npm ci --omit=dev --ignore-scripts` in a copy.

Cached by the hash of package.json and the lock file.

Native modules (a `binding.gyp`, or compiled `*.node` files) are built for the machine that compiles
them, not for Lambda: they fail the build with a clear line instead of crashing at invoke time.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from pathlib import Path

from twophase.build.model import BuildOptions, BuildTarget
from twophase.build.sources import SourceFile
from twophase.errors import BuildError
from twophase.reporter import Reporter

CACHE_VERSION = "1"
LOCK_FILES = ("package-lock.json", "npm-shrinkwrap.json")


def lock_file(folder: Path) -> Path | None:
    if not (folder / "package.json").is_file():
        return None
    return next((folder / n for n in LOCK_FILES if (folder / n).is_file()), None)


def cache_key(folder: Path, lock: Path, fn: BuildTarget) -> str:
    digest = hashlib.sha256(f"v{CACHE_VERSION}\0{fn.runtime}\0{fn.architecture}\0".encode())
    for path in (folder / "package.json", lock):
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def install(
    fn: BuildTarget,
    folder: Path,
    sources: list[SourceFile],
    *,
    cache_dir: Path,
    reporter: Reporter,
    options: BuildOptions,
) -> Path | None:
    """A folder holding `node_modules` for the function (cached), or None without a lock file.

    `sources` (the function's files, already filtered) are copied so `file:` dependencies resolve.
    """
    lock = lock_file(folder)
    if lock is None:
        return None
    final = cache_dir / "deps" / "node" / cache_key(folder, lock, fn)
    if final.is_dir():
        reporter.info(f"{fn.name}: Node.js dependencies unchanged ({lock.name}, cached)")
        return final
    reporter.info(f"{fn.name}: installing Node.js production dependencies from {lock.name}")
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".install-", dir=final.parent))
    try:
        for f in sources:
            dest = work / "app" / f.name
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f.path, dest)
        _npm_ci(fn, work / "app", options)
        result = work / "result"
        result.mkdir()
        modules = work / "app" / "node_modules"
        if modules.is_dir():
            shutil.copytree(modules, result / "node_modules", symlinks=False)
            # npm's own record of the install: a cache for npm, not needed to run.
            (result / "node_modules" / ".package-lock.json").unlink(missing_ok=True)
        _refuse_native(fn, result)
        try:
            result.rename(final)
        except OSError:
            if not final.is_dir():
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _npm_ci(fn: BuildTarget, app: Path, options: BuildOptions) -> None:
    argv = ["npm", "ci", "--omit=dev", "--ignore-scripts", "--no-audit", "--no-fund"]
    env = {"npm_config_update_notifier": "false", "npm_config_loglevel": "error"}
    result = options.run(argv, app, env)
    if result.returncode == 127:
        raise BuildError(
            f"{fn.name}: npm is not installed; it is needed for package-lock.json",
            hint="install Node.js and npm, or vendor node_modules and remove the lock file",
        )
    if result.returncode != 0:
        output = result.stderr + result.stdout
        last = next((ln for ln in output.splitlines() if "ERR!" in ln), None)
        last = last or next((ln for ln in reversed(output.splitlines()) if ln.strip()), "")
        raise BuildError(
            f"{fn.name}: npm ci failed: {last.strip()}",
            hint="run `npm install` to bring package-lock.json in line with package.json",
        )


def _refuse_native(fn: BuildTarget, result: Path) -> None:
    native = sorted(
        p.relative_to(result).as_posix()
        for pattern in ("binding.gyp", "*.node")
        for p in result.rglob(pattern)
        if p.is_file()
    )
    if native:
        package = _package_of(native[0])
        raise BuildError(
            f"{fn.name}: {package} is a native Node.js module ({native[0]}) and cannot be built "
            f"for Lambda {fn.architecture} here",
            hint="use a pure-JavaScript alternative, or build in a Lambda-like container and "
            "push the zip with --artifact",
        )


def _package_of(path: str) -> str:
    parts = path.split("/")
    # node_modules/<name>/... or node_modules/@scope/<name>/...; the deepest node_modules wins.
    idx = max(i for i, p in enumerate(parts) if p == "node_modules")
    rest = parts[idx + 1 :]
    return "/".join(rest[:2]) if rest and rest[0].startswith("@") else (rest[0] if rest else path)
