"""Benchmark: the embedded AWS's memory as pushes of 20 MB accumulate (issue: ≤ 500 MB after 50).

Starts a background embedded AWS in a scratch TWOPHASE_HOME, creates one function, then pushes
as `twophase push` does on the server's side (UpdateFunctionCode with the zip, PublishVersion,
UpdateAlias) a new 20 MB zip of incompressible data each time, and prints the server's resident
memory (VmRSS) and its peak (VmHWM) next to the count of pushes, with the disk its packages take.

    .venv/bin/python bench/local_memory.py [--pushes 50] [--megabytes 20] [--every 10]
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

TRUST = {
    "Version": "2012-10-17",
    "Statement": [
        {
            "Effect": "Allow",
            "Principal": {"Service": "lambda.amazonaws.com"},
            "Action": "sts:AssumeRole",
        }
    ],
}


def package(megabytes: int, seed: int) -> bytes:
    """A zip of one handler and `megabytes` of random data (stored: it does not compress)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_STORED) as zf:
        zf.writestr("app.py", f"# build {seed}\ndef handler(event, context):\n    return 1\n")
        zf.writestr("data.bin", os.urandom(megabytes * 1024 * 1024))
    return buf.getvalue()


def memory_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of `pid` in MB."""
    fields = dict(
        line.split(":", 1) for line in Path(f"/proc/{pid}/status").read_text().splitlines()
    )
    return tuple(int(fields[k].split()[0]) / 1024 for k in ("VmRSS", "VmHWM"))  # type: ignore[return-value]


def disk_mb(folder: Path) -> float:
    return sum(f.stat().st_size for f in folder.rglob("*") if f.is_file()) / 1e6


def clients(endpoint: str, state: dict[str, Any]) -> tuple[Any, Any]:
    import boto3

    kwargs = {
        "endpoint_url": endpoint,
        "region_name": "us-east-1",
        "aws_access_key_id": state["access_key_id"],
        "aws_secret_access_key": state["secret_access_key"],
    }
    return boto3.client("lambda", **kwargs), boto3.client("iam", **kwargs)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--pushes", type=int, default=50)
    parser.add_argument("--megabytes", type=int, default=20)
    parser.add_argument("--every", type=int, default=10)
    args = parser.parse_args()
    home = Path(tempfile.mkdtemp(prefix="twophase-bench-home-"))
    os.environ["TWOPHASE_HOME"] = str(home)
    os.environ.pop("TWOPHASE_LOCAL_ENDPOINT", None)
    from twophase.local import lifecycle

    try:
        server = lifecycle.start()
        state = json.loads((home / "local.json").read_text())
        lam, iam = clients(server.endpoint, state)
        role = iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(TRUST))
        lam.create_function(
            FunctionName="api",
            Runtime="python3.12",
            Role=role["Role"]["Arn"],
            Handler="app.handler",
            Code={"ZipFile": package(1, 0)},
        )
        first = lam.publish_version(FunctionName="api")["Version"]
        lam.create_alias(FunctionName="api", Name="next", FunctionVersion=first)
        rss, peak = memory_mb(server.pid)
        print(f"pushes of {args.megabytes} MB   server RSS   peak RSS   packages on disk")
        print(f"{0:>6}            {rss:7.0f} MB {peak:7.0f} MB   {0:7.0f} MB")
        started = time.perf_counter()
        for push in range(1, args.pushes + 1):
            fn = lam.update_function_code(FunctionName="api", ZipFile=package(args.megabytes, push))
            version = lam.publish_version(FunctionName="api", CodeSha256=fn["CodeSha256"])
            lam.update_alias(FunctionName="api", Name="next", FunctionVersion=version["Version"])
            if push % args.every == 0 or push == args.pushes:
                rss, peak = memory_mb(server.pid)
                on_disk = disk_mb(home)
                print(f"{push:>6}            {rss:7.0f} MB {peak:7.0f} MB   {on_disk:7.0f} MB")
        elapsed = time.perf_counter() - started
        versions = lam.list_versions_by_function(FunctionName="api")["Versions"]
        print(f"{len(versions) - 1} versions published in {elapsed:.1f} s")
    finally:
        lifecycle.stop()
        shutil.rmtree(home, ignore_errors=True)


if __name__ == "__main__":
    main()
