"""Benchmark: `twophase status` against `twophase --help`, side by side in one run.

`--help` is the floor of a twophase process: the interpreter, click and the CLI's own modules.
`status` adds reading the cached config model, its clients and its reads of each function of the
example app, deployed on the embedded AWS the benchmark starts. Two figures per `status` run:
its start-up, from spawning the process to its first request reaching the endpoint (status
reaches the embedded AWS through a relay here that notes when the first bytes arrive), and its
whole run, which adds the embedded AWS's answers. Runs alternate; medians and ratios are
printed, with what `status` imports that `--help` does not (from `python -X importtime`, the
modules of twophase and the heaviest others), and what defining the dataclasses of those modules
costs: they are imported with and without `@dataclass` doing its work (a stand-in sets the
fields in `__init__` and generates nothing), alternating, and the medians compared.

    .venv/bin/python bench/status_startup.py [--runs 9]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TWOPHASE = [sys.executable, "-m", "twophase"]


def timed(command: list[str], env: dict[str, str], cwd: Path) -> float:
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    return time.perf_counter() - start


class Relay:
    """A TCP relay to `upstream` that notes when the first bytes of a request arrive."""

    def __init__(self, upstream: tuple[str, int]) -> None:
        self.upstream = upstream
        self.first: float | None = None
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.endpoint = f"http://127.0.0.1:{self.listener.getsockname()[1]}"
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            server = socket.create_connection(self.upstream)
            threading.Thread(target=self._pipe, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(server, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, request: bool) -> None:
        """Copy one direction until it ends; the other direction's thread may close first."""
        try:
            while data := source.recv(65536):
                if request and self.first is None:
                    self.first = time.perf_counter()
                sink.sendall(data)
        except OSError:
            pass
        finally:
            source.close()
            sink.close()


def started(
    command: list[str], env: dict[str, str], cwd: Path, relay: Relay
) -> tuple[float, float]:
    """(start-up, whole run): spawn to the first request at the relay, and to the exit."""
    relay.first = None
    start = time.perf_counter()
    subprocess.run(command, env=env, cwd=cwd, check=True, capture_output=True)
    end = time.perf_counter()
    assert relay.first is not None, "status made no request"
    return relay.first - start, end - start


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


# Imports `sys.argv[2:]` after the CLI `--help` loads; with "stub" first, @dataclass generates
# nothing (Python 3.11 compiles each generated method: about 1 ms per frozen class).
DATACLASS_PROBE = """
import dataclasses, sys, time
if sys.argv[1] == "stub":
    def stub(cls=None, /, **options):
        def make(cls):
            bases = reversed(cls.__mro__)
            names = list(dict.fromkeys(
                n for base in bases for n in base.__dict__.get("__annotations__", {})
            ))
            defaults = {n: cls.__dict__[n] for n in names if n in cls.__dict__}
            for n, value in defaults.items():
                if isinstance(value, dataclasses.Field):
                    delattr(cls, n)
            def __init__(self, *args, **kwargs):
                given = {**dict(zip(names, args)), **kwargs}
                for n in names:
                    value = given[n] if n in given else defaults[n]
                    if isinstance(value, dataclasses.Field):
                        factory = value.default_factory
                        value = factory() if factory is not dataclasses.MISSING else value.default
                    object.__setattr__(self, n, value)
            cls.__init__ = __init__
            return cls
        return make(cls) if cls is not None else make
    dataclasses.dataclass = stub
import twophase.cli.main
start = time.perf_counter()
for name in sys.argv[2:]:
    __import__(name)
print(time.perf_counter() - start)
"""


def dataclass_cost(modules: list[str], env: dict[str, str], cwd: Path, runs: int) -> float:
    """Seconds that defining the dataclasses of `modules` adds to importing them (medians)."""
    real: list[float] = []
    stubbed: list[float] = []
    for _ in range(runs):
        for mode, out in (("real", real), ("stub", stubbed)):
            done = subprocess.run(
                [sys.executable, "-c", DATACLASS_PROBE, mode, *modules],
                env=env,
                cwd=cwd,
                capture_output=True,
                text=True,
                check=True,
            )
            out.append(float(done.stdout))
    return statistics.median(real) - statistics.median(stubbed)


def defined_dataclasses(modules: list[str], env: dict[str, str], cwd: Path) -> int:
    """How many dataclasses importing `modules` after the CLI defines."""
    code = (
        "import dataclasses, sys\n"
        "import twophase.cli.main\n"
        "count = [0]\n"
        "real = dataclasses._process_class\n"
        "def counted(*args, **kwargs):\n"
        "    count[0] += 1\n"
        "    return real(*args, **kwargs)\n"
        "dataclasses._process_class = counted\n"
        "for name in sys.argv[1:]:\n"
        "    __import__(name)\n"
        "print(count[0])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, *modules], env=env, cwd=cwd, capture_output=True, text=True
    )
    return int(done.stdout) if done.returncode == 0 else -1


def relayed_env(env: dict[str, str]) -> tuple[Relay, dict[str, str]]:
    """A relay to the embedded AWS the benchmark started, and the environment that reaches it
    through the relay with the server's own keys."""
    state = json.loads((Path(env["TWOPHASE_HOME"]) / "local.json").read_text())
    relay = Relay(("127.0.0.1", int(state["port"])))
    return relay, {
        **env,
        "TWOPHASE_LOCAL_ENDPOINT": relay.endpoint,
        "TWOPHASE_LOCAL_ACCESS_KEY": state["access_key_id"],
        "TWOPHASE_LOCAL_SECRET_KEY": state["secret_access_key"],
    }


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
    first_t: list[float] = []
    try:
        for command in (["local", "start"], ["infra", "up", "--yes"], ["status"]):
            timed([*TWOPHASE, *command], env, work)
        relay, relayed = relayed_env(env)
        for i in range(args.runs):
            for which in ("help", "status") if i % 2 else ("status", "help"):
                if which == "help":
                    help_t.append(timed([*TWOPHASE, "--help"], env, work))
                else:
                    first, whole = started([*TWOPHASE, "status"], relayed, work, relay)
                    first_t.append(first)
                    status_t.append(whole)
        at_help = imported([*TWOPHASE, "--help"], env, work)
        at_status = imported([*TWOPHASE, "status"], env, work)
        ours = [m for m in at_status if m.startswith("twophase") and m not in at_help]
        classes = dataclass_cost(ours, env, work, args.runs)
        count = defined_dataclasses(ours, env, work)
    finally:
        subprocess.run([*TWOPHASE, "local", "stop"], env=env, cwd=work, check=False)
        shutil.rmtree(work, ignore_errors=True)
    h, s = statistics.median(help_t), statistics.median(status_t)
    f = statistics.median(first_t)
    print(f"runs: {args.runs} (medians)")
    print(f"twophase --help                      {h * 1000:.0f} ms")
    print(f"twophase status, to its first request {f * 1000:.0f} ms   ratio {f / h:.2f}")
    print(f"twophase status, whole run            {s * 1000:.0f} ms   ratio {s / h:.2f}")
    extra = {m: t for m, t in at_status.items() if m not in at_help}
    print(f"status imports {len(extra)} modules more; of twophase: {', '.join(sorted(ours))}")
    heavy = [m for m in ("pydantic", "yaml") if m in at_status]
    print(f"pydantic or yaml imported by status: {', '.join(heavy) or 'neither'}")
    heaviest = sorted(extra.items(), key=lambda kv: -kv[1])[:5]
    print("heaviest: " + ", ".join(f"{m} {t / 1000:.0f} ms" for m, t in heaviest))
    print(
        f"defining the {count} dataclasses of those modules: {classes * 1000:.0f} ms; "
        f"status to its first request without that: {(f - classes) / h:.2f}x --help"
    )


if __name__ == "__main__":
    main()
