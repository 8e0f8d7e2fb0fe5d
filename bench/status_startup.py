"""Benchmark: `twophase status` against `twophase --help`, side by side in one run.

`--help` is the floor of a twophase process: the interpreter, click and the CLI's own modules.
`status` adds reading the cached config model, creating one Lambda client and its reads of each
function of the example app, deployed on the embedded AWS the benchmark starts. Runs alternate;
medians and the ratio are printed, with what `status` imports that `--help` does not (from
`python -X importtime`, the modules of twophase and the heaviest others).

    .venv/bin/python bench/status_startup.py [--runs 9]
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
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TWOPHASE = [sys.executable, "-m", "twophase"]


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def imported(command: list[str], env: dict[str, str], cwd: Path) -> dict[str, int]:
    """Module -> cumulative import time in microseconds, from `-X importtime`."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", *command[1:]],
        env=env,
        cwd=cwd,
        capture_output=True,
        text=True,
        check=True,
    )
    out: dict[str, int] = {}
    for line in done.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = (part.strip() for part in line.split("|"))
            if cumulative.isdigit():
                out[name] = int(cumulative)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="twophase-status-"))
    env = {**os.environ, "TWOPHASE_HOME": str(work / "home"), "TWOPHASE_ENV": "local"}
    env.pop("TWOPHASE_LOCAL_ENDPOINT", None)
    shutil.copy(ROOT / "twophase.yml.example", work / "twophase.yml")
    shutil.copytree(ROOT / "infra", work / "infra")
    shutil.copytree(ROOT / "examples", work / "examples")
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "twophase")], check=True)
    help_t: list[float] = []
    status_t: list[float] = []
    try:
        for command in (["local", "start"], ["infra", "up", "--yes"], ["status"]):
            timed([*TWOPHASE, *command], env, work)
        for i in range(args.runs):
            pair = [(help_t, [*TWOPHASE, "--help"]), (status_t, [*TWOPHASE, "status"])]
            for times, command in pair if i % 2 else reversed(pair):
                times.append(timed(command, env, work))
        at_help = imported([*TWOPHASE, "--help"], env, work)
        at_status = imported([*TWOPHASE, "status"], env, work)
    finally:
        subprocess.run([*TWOPHASE, "local", "stop"], env=env, cwd=work, check=False)
        shutil.rmtree(work, ignore_errors=True)
    h, s = statistics.median(help_t), statistics.median(status_t)
    print(f"runs: {args.runs} (medians)")
    print(f"twophase --help   {h * 1000:.0f} ms")
    print(f"twophase status   {s * 1000:.0f} ms   ratio {s / h:.2f}")
    extra = {m: t for m, t in at_status.items() if m not in at_help}
    ours = sorted(m for m in extra if m.startswith("twophase"))
    print(f"status imports {len(extra)} modules more; of twophase: {', '.join(ours)}")
    heavy = [m for m in ("pydantic", "yaml") if m in at_status]
    print(f"pydantic or yaml imported by status: {', '.join(heavy) or 'neither'}")
    heaviest = sorted(extra.items(), key=lambda kv: -kv[1])[:5]
    print("heaviest: " + ", ".join(f"{m} {t / 1000:.0f} ms" for m, t in heaviest))


if __name__ == "__main__":
    main()
