"""Benchmark: `twophase push` of this tree against the same push of an earlier commit, in one run.

Both trees run from source (PYTHONPATH) with the same interpreter and libraries, each against its
own embedded AWS with the example app deployed. Rounds alternate which side goes first; each round
times a changed push (new 512 KB of random data in `api`) and an unchanged one. Prints medians and
the median of the per-round ratios (this tree / the earlier one).

    .venv/bin/python bench/push_ab.py --ref a695e6b [--rounds 12]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PY = sys.executable


def checkout(ref: str, where: Path) -> Path:
    """`ref`'s tree at `where`, with the folders its pyproject maps into the package linked in."""
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "-q", str(where), ref], check=True)
    setuptools = tomllib.loads((where / "pyproject.toml").read_text())["tool"]["setuptools"]
    for package, folder in setuptools.get("package-dir", {}).items():
        link = where.joinpath(*package.split("."))
        if not link.exists():
            link.symlink_to(where / folder)
    return where


def deploy(label: str, source: Path, work: Path) -> tuple[Path, dict[str, str]]:
    app = work / label
    app.mkdir()
    env = {**os.environ, "TWOPHASE_HOME": str(app / "home"), "TWOPHASE_ENV": "local"}
    env["PYTHONPATH"] = str(source)
    env.pop("TWOPHASE_LOCAL_ENDPOINT", None)
    shutil.copy(ROOT / "twophase.yml.example", app / "twophase.yml")
    shutil.copytree(ROOT / "infra", app / "infra")
    shutil.copytree(ROOT / "examples", app / "examples")
    # Byte-compiled as an installed package is, even under PYTHONDONTWRITEBYTECODE.
    subprocess.run([PY, "-m", "compileall", "-q", str(source / "twophase")], check=True)
    for command in (["local", "start"], ["infra", "up", "--yes"], ["push", "api"]):
        run(app, env, command)
    return app, env


def run(app: Path, env: dict[str, str], command: list[str]) -> float:
    start = time.perf_counter()
    twophase = [PY, "-m", "twophase", *command]
    subprocess.run(twophase, env=env, cwd=app, check=True, capture_output=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--ref", required=True, help="the earlier commit to compare with")
    parser.add_argument("--rounds", type=int, default=12)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="twophase-ab-"))
    earlier = checkout(args.ref, work / "tree")
    sides = {"earlier": deploy("earlier", earlier, work), "this": deploy("this", ROOT, work)}
    times: dict[tuple[str, bool], list[float]] = {(s, c): [] for s in sides for c in (True, False)}
    try:
        for i in range(args.rounds):
            order = list(sides.items())
            for side, (app, env) in order if i % 2 else reversed(order):
                data = app / "examples/shop/services/api/data.bin"
                data.write_bytes(os.urandom(512 * 1024))
                times[(side, True)].append(run(app, env, ["push", "api"]))
                times[(side, False)].append(run(app, env, ["push", "api"]))
    finally:
        for app, env in sides.values():
            subprocess.run([PY, "-m", "twophase", "local", "stop"], env=env, cwd=app, check=False)
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(earlier)])
        shutil.rmtree(work, ignore_errors=True)
    print(f"rounds: {args.rounds} (medians; ratio = median over rounds of this / {args.ref})")
    for changed in (True, False):
        before, after = times[("earlier", changed)], times[("this", changed)]
        ratio = statistics.median(b / a for a, b in zip(before, after, strict=True))
        what = "changed push  " if changed else "unchanged push"
        print(
            f"{what}  {args.ref}: {statistics.median(before):.3f} s   this tree: "
            f"{statistics.median(after):.3f} s   ratio {ratio:.2f}"
        )


if __name__ == "__main__":
    main()
