"""Benchmark: `twophase push --all` on 40 functions, in parallel and one at a time.

Deploys an app of 40 small Python functions to the embedded AWS started by the benchmark, then
changes every function's code and pushes them all with `-j 8` (the default) and with `-j 1`,
alternating, and pushes once more unchanged. Prints the medians, the speed-up of running in
parallel, and the API calls per function from the push's own JSON report.

    .venv/bin/python bench/push_all.py [--functions 40] [--runs 3]

One stack holds at most 49 such functions (4 outputs each, 200 per template) until the app is
split into nested stacks; the limits preflight refuses more before anything is deployed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TWOPHASE = str(Path(sys.executable).parent / "twophase")


def write_app(work: Path, count: int) -> list[str]:
    names = [f"fn{n:02d}" for n in range(count)]
    lines = [
        "app: bench",
        "environments:",
        "  local: {endpoint: local}",
        "defaults: {runtime: python3.12}",
        "functions:",
    ]
    for name in names:
        lines += [f"  {name}:", "    handler: app.handler", f"    source: src/{name}"]
    (work / "twophase.yml").write_text("\n".join(lines) + "\n")
    return names


def change_code(work: Path, names: list[str], stamp: str) -> None:
    for name in names:
        folder = work / "src" / name
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "app.py").write_text(
            f"# {stamp}\ndef handler(event, context):\n    return {name!r}\n"
        )


def push_all(work: Path, env: dict[str, str], jobs: int) -> tuple[float, list[int]]:
    start = time.perf_counter()
    done = subprocess.run(
        [TWOPHASE, "--output", "json", "push", "--all", "-j", str(jobs)],
        cwd=work,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    calls = [o["result"]["api_calls"] for o in json.loads(done.stdout)["data"]]
    return seconds, calls


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--functions", type=int, default=40)
    parser.add_argument("--runs", type=int, default=3)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="twophase-bench-all-"))
    env = {**os.environ, "TWOPHASE_HOME": str(work / "home"), "TWOPHASE_ENV": "local"}
    env.pop("TWOPHASE_LOCAL_ENDPOINT", None)
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "twophase")], check=True)
    names = write_app(work, args.functions)
    change_code(work, names, "dummy")
    try:
        subprocess.run([TWOPHASE, "local", "start"], env=env, cwd=work, check=True)
        started = time.perf_counter()
        subprocess.run(
            [TWOPHASE, "infra", "up", "--yes"], env=env, cwd=work, check=True, capture_output=True
        )
        up = time.perf_counter() - started
        parallel, serial, changed_calls = [], [], []
        for run in range(args.runs):
            change_code(work, names, f"parallel {run}")
            seconds, calls = push_all(work, env, 8)
            parallel.append(seconds)
            changed_calls += calls
            change_code(work, names, f"serial {run}")
            serial.append(push_all(work, env, 1)[0])
        same_seconds, same_calls = push_all(work, env, 8)
    finally:
        subprocess.run([TWOPHASE, "local", "stop"], env=env, cwd=work, check=False)
        shutil.rmtree(work, ignore_errors=True)
    p, s = statistics.median(parallel), statistics.median(serial)
    print(f"functions: {args.functions}, runs: {args.runs} (medians); infra up took {up:.1f} s")
    print(f"push --all -j 8 (changed code)   {p:.2f} s   ({p / args.functions * 1000:.0f} ms each)")
    print(f"push --all -j 1 (changed code)   {s:.2f} s   speed-up of -j 8: {s / p:.1f}x")
    print(f"push --all, unchanged            {same_seconds:.2f} s")
    print(
        f"API calls per changed function: {statistics.mean(changed_calls):.1f} "
        f"(max {max(changed_calls)}); per unchanged function: {statistics.mean(same_calls):.1f}"
    )


if __name__ == "__main__":
    main()
