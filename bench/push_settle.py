"""Benchmark: `twophase push` while Lambda holds the update `InProgress`, side by side with none.

Two embedded AWS servers run side by side: one whose updates finish at once, one that holds each
update `InProgress` for `--settle` seconds, as AWS does (`python -m twophase.local serve
--update-settle S`, see `twophase/local/extensions/lambda_update_settle.py`). The same app is
deployed on both, then `twophase push api` of a new 1 MB source alternates between them. The
target (issue: the settle wait): a push with a 1.5 s settle finishes within 0.3 s of the settle
plus the push without one, i.e. the wait overshoots the settle by at most 0.3 s.

    .venv/bin/python bench/push_settle.py [--runs 7] [--settle 1.5]
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

sys.path.insert(0, str(Path(__file__).resolve().parent))

from push import ROOT, make_source, timed  # bench/push.py: the same sources

BIN = Path(sys.executable).parent
KEYS = "root keys: "


def serve(settle: float, log: Path) -> tuple[subprocess.Popen[str], dict[str, str]]:
    """A foreground server on a free port; the environment that points twophase at it."""
    command = [sys.executable, "-m", "twophase.local", "serve", "--update-settle", str(settle)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    with log.open("w") as err:
        proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=err, text=True, env=env)
    assert proc.stdout is not None
    endpoint = proc.stdout.readline().strip()
    deadline = time.monotonic() + 30
    while KEYS not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.05)
    line = next(ln for ln in log.read_text().splitlines() if ln.startswith(KEYS))
    keys = dict(part.split("=", 1) for part in line[len(KEYS) :].split())
    return proc, {"TWOPHASE_LOCAL_ENDPOINT": endpoint, **keys}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--settle", type=float, default=1.5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="twophase-bench-settle-"))
    base = {**os.environ, "TWOPHASE_HOME": str(work / "home"), "TWOPHASE_ENV": "local"}
    shutil.copy(ROOT / "twophase.yml.example", work / "twophase.yml")
    shutil.copytree(ROOT / "infra", work / "infra")
    shutil.copytree(ROOT / "examples", work / "examples")
    src = work / "examples/shop/services/api"
    twophase = [str(BIN / "twophase")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "twophase")], check=True)
    servers = []
    try:
        settles = (0.0, args.settle)
        envs = []
        for settle in settles:
            proc, env = serve(settle, work / f"server-{settle}.log")
            servers.append(proc)
            envs.append({**base, **env})
        for env in envs:
            subprocess.run([*twophase, "infra", "up", "--yes"], env=env, cwd=work, check=True)
        times: dict[float, list[float]] = {s: [] for s in settles}
        for i in range(args.runs):
            for settle, env in zip(settles, envs, strict=True):
                make_source(src, 1000 + 2 * i + (settle > 0))
                times[settle].append(timed([*twophase, "push", "api"], env, work))
    finally:
        for proc in servers:
            proc.terminate()
            proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
    none, held = (statistics.median(times[s]) for s in settles)
    overshoot = held - none - args.settle
    print(f"runs: {args.runs} (medians; the two servers alternate)")
    print(f"twophase push, update settles at once        {none:.3f} s")
    print(f"twophase push, update InProgress {args.settle:g} s        {held:.3f} s")
    print(f"difference                                   {held - none:.3f} s")
    print(f"beyond the settle (target <= 0.300 s)        {overshoot:.3f} s")


if __name__ == "__main__":
    main()
