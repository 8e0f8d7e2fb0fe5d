"""Python dependencies installed for Lambda's platform, never the build machine's.

pip runs with `--platform` (the manylinux tags Lambda's glibc supports for the function's
architecture), `--implementation cp`, `--python-version` of the runtime and
`--only-binary=:all:`, into a target folder kept under the cache, keyed by the dependency
spec and the target: an unchanged dependency set costs no install.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from twophase.build.model import BuildOptions, BuildTarget
from twophase.errors import BuildError
from twophase.reporter import Reporter

CACHE_VERSION = "1"
# Lambda's runtimes on Amazon Linux 2023 ship glibc 2.34; the older ones (Amazon Linux 2) 2.26.
_AL2023_GLIBC = 34
_AL2_GLIBC = 26
_AL2_PYTHONS = ("python3.8", "python3.9", "python3.10", "python3.11")
_NO_WHEEL = re.compile(r"No matching distribution found for ([^\s;]+)")
_NO_VERSION = re.compile(r"satisfies the requirement ([^\s;]+)")
# Installed files that vary between machines or runs, or name build paths: left out of the artifact.
_VOLATILE = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")


@dataclass(frozen=True)
class PythonTarget:
    python_version: str  # "3.12"
    architecture: str  # "x86_64" | "arm64"
    platforms: tuple[str, ...]

    def describe(self) -> str:
        machine = "aarch64" if self.architecture == "arm64" else "x86_64"
        return f"python {self.python_version} manylinux {machine}"


def python_target(fn: BuildTarget) -> PythonTarget:
    version = fn.runtime.removeprefix("python")
    if not re.fullmatch(r"3\.\d+", version):
        raise BuildError(f"{fn.name}: cannot install dependencies for runtime {fn.runtime!r}")
    machine = "aarch64" if fn.architecture == "arm64" else "x86_64"
    glibc = _AL2_GLIBC if fn.runtime in _AL2_PYTHONS else _AL2023_GLIBC
    tags = [f"manylinux_2_{minor}_{machine}" for minor in range(glibc, 16, -1)]
    tags.append(f"manylinux2014_{machine}")
    if machine == "x86_64":
        tags += [f"manylinux_2_{m}_{machine}" for m in (12, 5)]
        tags += [f"manylinux2010_{machine}", f"manylinux1_{machine}"]
    return PythonTarget(version, fn.architecture, tuple(tags))


def dependency_spec(folder: Path) -> tuple[str, list[str]] | None:
    """(what it came from, requirement lines), or None when the folder declares no dependencies."""
    requirements = folder / "requirements.txt"
    if requirements.is_file():
        lines = requirements.read_text(encoding="utf-8").splitlines()
        kept = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
        return ("requirements.txt", kept) if kept else None
    pyproject = folder / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        try:
            data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise BuildError(f"{pyproject}: invalid TOML ({exc})") from exc
        deps = data.get("project", {}).get("dependencies", [])
        return ("pyproject.toml", [str(d) for d in deps]) if deps else None
    return None


def cache_key(lines: list[str], target: PythonTarget, options: BuildOptions) -> str:
    material = {
        "v": CACHE_VERSION,
        "requirements": lines,
        "target": [target.python_version, target.architecture, *target.platforms],
        "index": options.pip_index_args(),
    }
    return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()


def install(
    fn: BuildTarget,
    folder: Path,
    *,
    cache_dir: Path,
    reporter: Reporter,
    options: BuildOptions,
) -> Path | None:
    """The folder holding the installed dependencies (cached), or None when there are none."""
    spec = dependency_spec(folder)
    if spec is None:
        return None
    origin, lines = spec
    target = python_target(fn)
    key = cache_key(_with_includes(folder, lines), target, options)
    final = cache_dir / "deps" / "python" / key
    if final.is_dir():
        reporter.info(f"{fn.name}: Python dependencies unchanged ({origin}, cached)")
        return final
    reporter.info(
        f"{fn.name}: installing Python dependencies from {origin} for {target.describe()}"
    )
    final.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix=".install-", dir=final.parent))
    try:
        _pip_install(fn, folder, lines, work, target, options)
        _normalise(work / "site")
        try:
            (work / "site").rename(final)
        except OSError:
            if not final.is_dir():  # not merely another build winning the race
                raise
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return final


def _with_includes(folder: Path, lines: list[str]) -> list[str]:
    """The lines plus the files they include (`-r`, `-c`): editing those is a new dependency set."""
    out = list(lines)
    for line in lines:
        flag, _, name = line.partition(" ")
        if (
            flag in ("-r", "-c", "--requirement", "--constraint")
            and (folder / name.strip()).is_file()
        ):
            out += (folder / name.strip()).read_text(encoding="utf-8").splitlines()
    return out


def _pip_install(
    fn: BuildTarget,
    folder: Path,
    lines: list[str],
    work: Path,
    target: PythonTarget,
    options: BuildOptions,
) -> None:
    # Run from the function's folder so includes and local paths resolve as they do for pip.
    requirements = work / "requirements.txt"
    if (folder / "requirements.txt").is_file():
        requirements = folder / "requirements.txt"
    else:
        requirements.write_text("\n".join(lines) + "\n", encoding="utf-8")
    argv = [sys.executable, "-m", "pip", "install", "--target", str(work / "site")]
    for tag in target.platforms:
        argv += ["--platform", tag]
    argv += [
        "--implementation", "cp",
        "--python-version", target.python_version,
        "--only-binary=:all:",
        "--no-compile",
        "--disable-pip-version-check",
        "--no-input",
        *options.pip_index_args(),
        "-r", str(requirements),
    ]  # fmt: skip
    env = {"PYTHONDONTWRITEBYTECODE": "1", "PIP_NO_WARN_SCRIPT_LOCATION": "1"}
    result = options.run(argv, folder, env)
    if result.returncode != 0:
        raise _pip_error(fn, target, result.stderr + result.stdout)


def _pip_error(fn: BuildTarget, target: PythonTarget, output: str) -> BuildError:
    match = _NO_WHEEL.search(output) or _NO_VERSION.search(output)
    if match:
        package = match.group(1)
        return BuildError(
            f"{fn.name}: no wheel of {package} for {target.describe()} ({fn.runtime}, "
            f"{fn.architecture})",
            hint=f"pin a version of {package} that publishes manylinux wheels for "
            f"{fn.architecture}, or vendor a wheel built for Lambda and point find-links at it",
        )
    last = next((ln for ln in reversed(output.splitlines()) if ln.strip()), "pip failed")
    return BuildError(f"{fn.name}: installing Python dependencies failed: {last.strip()}")


def _normalise(site: Path) -> None:
    """Drop what varies between machines or runs: bytecode, console scripts, install records."""
    if not site.is_dir():
        site.mkdir(parents=True)
        return
    shutil.rmtree(site / "bin", ignore_errors=True)  # console scripts embed the build interpreter
    for cache in list(site.rglob("__pycache__")):
        shutil.rmtree(cache, ignore_errors=True)
    for pyc in site.rglob("*.pyc"):
        pyc.unlink()
    for dist_info in site.glob("*.dist-info"):
        for name in _VOLATILE:
            (dist_info / name).unlink(missing_ok=True)
