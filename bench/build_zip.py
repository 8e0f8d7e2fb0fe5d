"""Benchmark: twophase's deterministic folder zip against `zip -qr -6 -X`, and a cached rebuild.

Generates a 50 MB, 5,000-file tree of semi-compressible data in a temporary folder, then times, in
the same run and on the same tree (median of N runs each):

- `zip -qr -6 -X` (Info-ZIP, compression level 6, no extra fields);
- twophase's build of the folder with an empty cache (walk, ignore rules, zip, hash, write),
  alternating with `zip` run by run;
- twophase's rebuild with the sources unchanged (the manifest cache: no zipping).

Run: .venv/bin/python bench/build_zip.py [--runs 5] [--files 5000] [--megabytes 50]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from twophase.build import build_artifact
from twophase.config.model import Function
from twophase.reporter import NullReporter

WORDS = [
    "lambda",
    "function",
    "handler",
    "event",
    "context",
    "request",
    "response",
    "table",
    "queue",
    "alias",
    "version",
    "deploy",
    "publish",
    "import",
    "return",
    "value",
    "error",
    "retry",
    "batch",
    "record",
    "json",
    "string",
    "number",
]


def make_pool(rng: random.Random, size: int) -> bytes:
    """Text-like data with incompressible stretches: compresses to roughly 40-50 %."""
    parts: list[bytes] = []
    total = 0
    while total < size:
        if rng.random() < 0.3:
            chunk = rng.randbytes(rng.randint(256, 2048))
        else:
            chunk = (" ".join(rng.choices(WORDS, k=rng.randint(50, 400))) + "\n").encode()
        parts.append(chunk)
        total += len(chunk)
    return b"".join(parts)[:size]


def make_tree(root: Path, files: int, megabytes: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    pool = make_pool(rng, 4 * 1024 * 1024)
    weights = [rng.lognormvariate(0, 1) for _ in range(files)]
    scale = megabytes * 1024 * 1024 / sum(weights)
    for i, weight in enumerate(weights):
        size = max(1, int(weight * scale))
        path = root / f"pkg{i % 40:02}" / f"mod{i // 40 % 10}" / f"file{i:05}.py"
        path.parent.mkdir(parents=True, exist_ok=True)
        start = rng.randrange(0, len(pool) - 1)
        data = (
            (pool[start:] + pool)[:size] if size > len(pool) - start else pool[start : start + size]
        )
        path.write_bytes(data)
    (root / "app.py").write_text("def handler(event, context):\n    return None\n")
    old = time.time() - 3600  # settled sources, as in a checkout
    for path in root.rglob("*"):
        os.utime(path, (old, old))


def function(source: Path) -> Function:
    return Function(
        name="bench",
        handler="app.handler",
        runtime="python3.12",
        source=source,
        image=None,
        architecture="arm64",
        memory=256,
        timeout=10,
        description=None,
        environment={},
        policies=(),
        owners=(),
        trigger=None,
        log_retention_days=14,
    )


def median_time(runs: int, action: Callable[[int], None]) -> float:
    times = []
    for i in range(runs):
        start = time.perf_counter()
        action(i)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--megabytes", type=int, default=50)
    args = parser.parse_args()
    if shutil.which("zip") is None:
        sys.exit("zip is not installed")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        tree = work / "tree"
        make_tree(tree, args.files, args.megabytes)
        fn = function(tree)

        def info_zip(i: int) -> None:
            out = work / f"info-{i}.zip"
            subprocess.run(["zip", "-qr", "-6", "-X", str(out), "."], cwd=tree, check=True)

        def twophase_cold(i: int) -> None:
            build_artifact(fn, cache_dir=work / f"cache-{i}", reporter=NullReporter())

        def twophase_cached(_: int) -> None:
            build_artifact(fn, cache_dir=work / "cache-0", reporter=NullReporter())

        # Warm the page cache once so neither side pays for the first read; then alternate the
        # two sides run by run, so a busy moment on the machine does not favour either.
        info_zip(99)
        zip_times, cold_times = [], []
        for i in range(args.runs):
            zip_times.append(median_time(1, lambda _, i=i: info_zip(i)))
            cold_times.append(median_time(1, lambda _, i=i: twophase_cold(i)))
        zip_s, cold_s = statistics.median(zip_times), statistics.median(cold_times)
        cached_s = median_time(args.runs, twophase_cached)
        artifact = build_artifact(fn, cache_dir=work / "cache-0", reporter=NullReporter())
        info_size = (work / "info-0.zip").stat().st_size
    print(
        f"tree: {args.files} files, {artifact.unzipped_size / 2**20:.1f} MB, cpus={os.cpu_count()}"
    )
    print(f"zip -qr -6 -X           {zip_s:7.3f} s   ({info_size / 2**20:.1f} MB)")
    print(f"twophase build (cold)   {cold_s:7.3f} s   ({artifact.size / 2**20:.1f} MB)")
    print(f"ratio twophase / zip    {cold_s / zip_s:7.2f}x  (target <= 1.10x)")
    print(f"twophase build (cached) {cached_s:7.3f} s")


if __name__ == "__main__":
    main()
