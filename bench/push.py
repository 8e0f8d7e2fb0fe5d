"""Benchmark: `twophase push` against the floor, side by side in one run.

The floor is a fresh Python process that imports boto3 and makes the same four calls on a prebuilt
zip (GetFunction, UpdateFunctionCode, PublishVersion, UpdateAlias). twophase pushes a 1 MB source
folder: it builds the zip, publishes a version and moves `next`. Both talk to the same embedded AWS.
Runs alternate; medians and ratios are printed, with the API calls per push.

    .venv/bin/python bench/push.py [--runs 7]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
FLOOR = """
import sys, boto3
url, name, path = sys.argv[1:4]
lam = boto3.client("lambda", endpoint_url=url, region_name="us-east-1",
                   aws_access_key_id="twophase-local",
                   aws_secret_access_key="twophase-local-secret")
alias = lam.get_alias(FunctionName=name, Name="next")
fn = lam.update_function_code(FunctionName=name, ZipFile=open(path, "rb").read())
v = lam.publish_version(FunctionName=name, CodeSha256=fn["CodeSha256"])
lam.update_alias(FunctionName=name, Name="next", FunctionVersion=v["Version"])
"""
# The same floor, exiting as twophase does: without the interpreter's final garbage collection.
FLOOR_FROZEN = FLOOR + "import gc; gc.freeze()\n"


def timed(cmd: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


def make_source(folder: Path, seed: int) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    (folder / "app.py").write_text(f"# build {seed}\ndef handler(event, context):\n    return 1\n")
    blob = bytes(rng.getrandbits(8) for _ in range(512 * 1024))
    (folder / "data.bin").write_bytes(blob + b"a" * 512 * 1024)


def zip_of(folder: Path) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.iterdir()):
            zf.write(p, p.name)
    return buf.getvalue()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="twophase-bench-"))
    env = {**os.environ, "TWOPHASE_HOME": str(work / "home"), "TWOPHASE_ENV": "local"}
    env.pop("TWOPHASE_LOCAL_ENDPOINT", None)
    shutil.copy(ROOT / "twophase.yml.example", work / "twophase.yml")
    shutil.copytree(ROOT / "infra", work / "infra")
    shutil.copytree(ROOT / "examples", work / "examples")
    src = work / "examples/shop/services/api"
    twophase = [str(BIN / "twophase")]
    # Byte-compile twophase as an installed package is (and as a first run leaves it) even when
    # PYTHONDONTWRITEBYTECODE is set: otherwise every run would compile its modules from source,
    # a cost the floor, whose boto3 is byte-compiled, does not pay.
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "twophase")], check=True)
    try:
        subprocess.run([*twophase, "local", "start"], env=env, cwd=work, check=True)
        url = json_of([*twophase, "local", "status"], env, work)["endpoint"]
        subprocess.run([*twophase, "infra", "up", "--yes"], env=env, cwd=work, check=True)
        push_t, floor_t, frozen_t, same_t, calls = [], [], [], [], []
        for i in range(args.runs):
            make_source(src, 1000 + i)
            push_t.append(timed([*twophase, "push", "api"], env, work))
            same_t.append(timed([*twophase, "push", "api"], env, work))
            calls.append(json_of([*twophase, "push", "api"], env, work)[0]["result"]["api_calls"])
            make_source(work / "floor-src", 2000 + i)
            zpath = work / "floor.zip"
            zpath.write_bytes(zip_of(work / "floor-src"))
            floor_cmd = [sys.executable, "-c", FLOOR, url, "shop-local-api", str(zpath)]
            floor_t.append(timed(floor_cmd, env, work))
            frozen_cmd = [sys.executable, "-c", FLOOR_FROZEN, url, "shop-local-api", str(zpath)]
            frozen_t.append(timed(frozen_cmd, env, work))
        help_t = [timed([*twophase, "--help"], env, work) for _ in range(args.runs)]
        py_t = [timed([sys.executable, "-c", "pass"], env, work) for _ in range(args.runs)]
        changed_push = _pushed_calls(twophase, env, work, src)
    finally:
        subprocess.run([*twophase, "local", "stop"], env=env, cwd=work, check=False)
        shutil.rmtree(work, ignore_errors=True)
    floor, frozen, push, same = (statistics.median(x) for x in (floor_t, frozen_t, push_t, same_t))
    print(
        f"runs: {args.runs} (medians; ratios to the floor, then to the floor exiting as twophase)"
    )
    print(f"floor: python + boto3, 4 calls, prebuilt zip   {floor:.3f} s")
    print(f"floor, exiting without the final collection    {frozen:.3f} s")
    print(
        f"twophase push, 1 MB folder, version + alias    {push:.3f} s   "
        f"ratio {push / floor:.2f} / {push / frozen:.2f}"
    )
    print(
        f"twophase push, unchanged code                  {same:.3f} s   "
        f"ratio {same / floor:.2f} / {same / frozen:.2f}"
    )
    print(f"API calls: changed push {changed_push}, unchanged push {statistics.median(calls):.0f}")
    print(
        f"twophase --help                                {statistics.median(help_t) * 1000:.0f} ms"
        f"   (python -c pass: {statistics.median(py_t) * 1000:.0f} ms)"
    )


def _pushed_calls(twophase: list[str], env: dict[str, str], work: Path, src: Path) -> int:
    make_source(src, 99999)
    return int(json_of([*twophase, "push", "api"], env, work)[0]["result"]["api_calls"])


def json_of(command: list[str], env: dict[str, str], cwd: Path) -> Any:
    """The `data` of a twophase command's JSON envelope."""
    twophase, *rest = command
    done = subprocess.run(
        [twophase, "--output", "json", *rest],
        env=env,
        cwd=cwd,
        check=True,
        capture_output=True,
        text=True,
    )
    return json.loads(done.stdout)["data"]


if __name__ == "__main__":
    main()
