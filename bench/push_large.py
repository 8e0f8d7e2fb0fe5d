"""Benchmark: pushes of large artifacts against their floors, side by side in one run.

- 20 MB of incompressible data, changed: `twophase push api` (build, update code, publish, move
  `next`) against the floor of `bench/push.py` (a fresh Python process importing boto3 that makes
  the four calls on a prebuilt zip);
- 60 MB of incompressible data, through the artifact bucket: `twophase push api` against a floor
  that uploads a prebuilt zip with PutObject and calls UpdateFunctionCode with its S3 key;
- the peak memory (max RSS) of `twophase push api` for a 200 MB file.

Both sides talk to the same embedded AWS, started by the benchmark. Rounds alternate; medians and
per-round ratios are printed, with the API calls of a push through the bucket.

    .venv/bin/python bench/push_large.py [--runs 5]
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
import zipfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from push import BIN, FLOOR, ROOT, json_of, timed

MB = 1024 * 1024
CREDENTIALS = 'aws_access_key_id="twophase-local", aws_secret_access_key="twophase-local-secret"'
FLOOR_S3 = f"""
import sys, boto3
url, name, path, bucket, key = sys.argv[1:6]
kw = dict(endpoint_url=url, region_name="us-east-1", {CREDENTIALS})
s3 = boto3.client("s3", **kw)
lam = boto3.client("lambda", **kw)
with open(path, "rb") as body:
    s3.put_object(Bucket=bucket, Key=key, Body=body)
lam.update_function_code(FunctionName=name, S3Bucket=bucket, S3Key=key)
"""
PEAK = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def make_source(folder: Path, megabytes: int) -> None:
    """A handler and `megabytes` of fresh random bytes (a random MB, repeated: deflate's window
    is 32 KB, so the repeats do not compress)."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "app.py").write_text(
        f"# {time.time_ns()}\ndef handler(event, context):\n    return 1\n"
    )
    chunk = os.urandom(MB)
    with (folder / "data.bin").open("wb") as out:
        for _ in range(megabytes):
            out.write(chunk)


def floor_zip(folder: Path, path: Path) -> None:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, p.name)


def timed_json(command: list[str], env: dict[str, str], cwd: Path) -> tuple[float, Any]:
    start = time.perf_counter()
    data = json_of(command, env, cwd)
    return time.perf_counter() - start, data


def artifact_bucket(url: str) -> str:
    import boto3

    s3 = boto3.client(
        "s3",
        endpoint_url=url,
        region_name="us-east-1",
        aws_access_key_id="twophase-local",
        aws_secret_access_key="twophase-local-secret",
    )
    names = [b["Name"] for b in s3.list_buckets()["Buckets"]]
    return next(n for n in names if n.startswith("shop-local-artifacts"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="twophase-bench-"))
    env = {**os.environ, "TWOPHASE_HOME": str(work / "home"), "TWOPHASE_ENV": "local"}
    env.pop("TWOPHASE_LOCAL_ENDPOINT", None)
    shutil.copy(ROOT / "twophase.yml.example", work / "twophase.yml")
    shutil.copytree(ROOT / "infra", work / "infra")
    shutil.copytree(ROOT / "examples", work / "examples")
    src, floor_src, zpath = work / "examples/shop/services/api", work / "floor-src", work / "f.zip"
    twophase = [str(BIN / "twophase")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "twophase")], check=True)
    small, small_floor, large, large_floor, calls = [], [], [], [], []
    try:
        subprocess.run([*twophase, "local", "start"], env=env, cwd=work, check=True)
        url = json_of([*twophase, "local", "status"], env, work)["endpoint"]
        subprocess.run([*twophase, "infra", "up", "--yes"], env=env, cwd=work, check=True)
        bucket = artifact_bucket(url)
        for i in range(args.runs):
            make_source(src, 20)
            small.append(timed([*twophase, "push", "api"], env, work))
            make_source(floor_src, 20)
            floor_zip(floor_src, zpath)
            small_floor.append(
                timed([sys.executable, "-c", FLOOR, url, "shop-local-api", str(zpath)], env, work)
            )
            make_source(src, 60)
            seconds, data = timed_json([*twophase, "push", "api"], env, work)
            large.append(seconds)
            calls.append(data[0]["result"]["api_calls"])
            make_source(floor_src, 60)
            floor_zip(floor_src, zpath)
            key = f"shop/local/api/floor-{i}.zip"
            cmd = [sys.executable, "-c", FLOOR_S3, url, "shop-local-api", str(zpath), bucket, key]
            large_floor.append(timed(cmd, env, work))
        make_source(src, 200)
        start = time.perf_counter()
        peak = subprocess.run(
            [sys.executable, "-c", PEAK, *twophase, "push", "api"],
            env=env,
            cwd=work,
            check=True,
            capture_output=True,
            text=True,
        )
        peak_seconds = time.perf_counter() - start
    finally:
        subprocess.run([*twophase, "local", "stop"], env=env, cwd=work, check=False)
        shutil.rmtree(work, ignore_errors=True)
    report(small, small_floor, large, large_floor, calls)
    peak_mb = int(peak.stdout) / 1024
    print(f"peak memory of push, 200 MB file (target <= 150 MB)     {peak_mb:.0f} MB")
    print(f"  (that push took {peak_seconds:.1f} s)")


def report(
    small: list[float],
    small_floor: list[float],
    large: list[float],
    large_floor: list[float],
    calls: list[int],
) -> None:
    def ratio(ours: list[float], floor: list[float]) -> str:
        per_round = [a / b for a, b in zip(ours, floor, strict=True)]
        low, high = min(per_round), max(per_round)
        return f"median {statistics.median(per_round):.2f}x (rounds {low:.2f}-{high:.2f})"

    med = statistics.median
    print(f"runs: {len(small)} (medians; ratios taken round by round)")
    print(f"floor, 4 calls, prebuilt 20 MB zip                 {med(small_floor):.3f} s")
    print(f"twophase push, 20 MB incompressible, changed        {med(small):.3f} s")
    print(f"  ratio (target <= 1.0)                             {ratio(small, small_floor)}")
    print(f"floor, PutObject + UpdateFunctionCode, 60 MB        {med(large_floor):.3f} s")
    print(f"twophase push, 60 MB through S3                     {med(large):.3f} s")
    print(f"  ratio (target <= 1.3)                             {ratio(large, large_floor)}")
    print(f"  API calls of that push                            {med(calls):.0f}")


if __name__ == "__main__":
    main()
