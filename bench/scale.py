"""Benchmark: phase one and phase two on apps of hundreds of functions.

For each size (50, 200 and 500 functions by default) the benchmark writes an app whose functions
cycle through the trigger kinds (HTTP, queue, schedule, none), all owned by one team role
(`--owner`; or spread over `--teams` roles), with the example's shared template (a table and a
topic the functions refer to). It starts a fresh
embedded AWS for that size and times the CLI, each step a subprocess as a user runs it:

- `infra render` and `infra plan` before anything is deployed, `infra up` of the new stack;
- `infra render` of the deployed stack, `infra plan` and `infra up` after one function's memory
  changed;
- `status`, then `push --all` with every function's code changed, and again unchanged.

The cheap steps (render, plan, status, the unchanged push) give the median of `--runs`; the others
run once. From 50 functions of this mix on, phase one splits the app into a root and nested stacks.
A step that fails prints `--` and its one-line error, and the benchmark goes on. Render and plan
should grow linearly with the app: the time per function is printed at each size, with the ratio
of the largest size's to the smallest's and what each added function costs.

    .venv/bin/python bench/scale.py [--sizes 50,200,500] [--runs 3] [--owner ARN] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TWOPHASE = str(Path(sys.executable).parent / "twophase")
OWNER = "arn:aws:iam::123456789012:role/team"
TRIGGERS = ("http", "queue", "schedule", None)
BUMPED = "fn000"  # the function whose memory changes before the second `infra up`

# (key, label, cheap): cheap steps give the median of --runs, the others run once.
STEPS = (
    ("render_new", "infra render, nothing deployed", True),
    ("plan_new", "infra plan, nothing deployed", True),
    ("up_new", "infra up, fresh embedded AWS", False),
    ("render", "infra render, stack deployed", True),
    ("plan_memory", "infra plan, one memory change", True),
    ("up_memory", "infra up, one memory change", False),
    ("status", "status", True),
    ("push_changed", "push --all, all changed", False),
    ("push_unchanged", "push --all, all unchanged", True),
)
LINEAR = ("render_new", "plan_new", "render")


@dataclass
class Step:
    """One step's timings at one size: every run's seconds, or the error that ended it."""

    seconds: list[float] = field(default_factory=list)
    error: str | None = None
    note: str = ""

    @property
    def median(self) -> float | None:
        return statistics.median(self.seconds) if self.seconds and not self.error else None


# the app ------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class App:
    """The app of one size in its folder: functions `fn000`… with the example's shared template,
    owned by one role (or spread over `teams` roles named after it: `team0`, `team1`…)."""

    work: Path
    names: list[str]
    owner_arn: str = OWNER
    teams: int = 1

    def owner(self, index: int) -> str:
        return self.owner_arn if self.teams == 1 else f"{self.owner_arn}{index % self.teams}"

    def write(self) -> None:
        (self.work / "infra").mkdir()
        shutil.copy(ROOT / "infra" / "cloudformation" / "shared.yaml", self.work / "infra")
        self.write_config()
        self.write_sources("first")

    def write_config(self, bumped: str | None = None) -> None:
        """twophase.yml; `bumped` gets 384 MB instead of 256."""
        lines = [
            "app: bench",
            "template: infra/shared.yaml",
            "environments:",
            "  local: {endpoint: local, parameters: {Stage: local}}",
            "defaults: {runtime: python3.12, timeout: 10}",
            "aliases: [next, live]",
            "functions:",
        ]
        for index, name in enumerate(self.names):
            memory = 384 if name == bumped else 256
            lines += function_lines(index, name, memory, self.owner(index))
        (self.work / "twophase.yml").write_text("\n".join(lines) + "\n")

    def write_sources(self, stamp: str) -> None:
        for name in self.names:
            folder = self.work / "src" / name
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "app.py").write_text(
                f"# {stamp}\ndef handler(event, context):\n    return {name!r}\n"
            )


def function_lines(index: int, name: str, memory: int, owner: str) -> list[str]:
    """One function of the app: its trigger comes from its index, as do its uses of the shared
    template, so every size has the same mix."""
    kind = TRIGGERS[index % len(TRIGGERS)]
    lines = [
        f"  {name}:",
        "    handler: app.handler",
        f"    source: src/{name}",
        f"    memory: {memory}",
        '    environment: {TABLE: "${OrdersTable}"}',
        f"    owners: [{owner}]",
    ]
    if kind == "http":
        lines.append(f'    trigger: {{http: {{routes: ["GET /{name}", "POST /{name}"]}}}}')
    elif kind == "queue":
        lines.append("    trigger: {queue: {batch_size: 10, max_receive_count: 5}}")
    elif kind == "schedule":
        lines.append('    trigger: {schedule: "rate(1 day)"}')
    if index % 2:
        lines += [
            "    policies:",
            '      - {Effect: Allow, Action: dynamodb:GetItem, Resource: "${OrdersTable.Arn}"}',
        ]
    return lines


# running the CLI ----------------------------------------------------------------------------------
@dataclass
class Cli:
    """The CLI run as a subprocess in one app folder, against that size's embedded AWS."""

    work: Path
    env: dict[str, str]
    timeout: float

    def run(self, *args: str) -> tuple[float, str, str | None]:
        """Seconds, stdout and the one-line error (None when it exited 0)."""
        start = time.perf_counter()
        try:
            done = subprocess.run(
                [TWOPHASE, *args, "--output", "json"],
                cwd=self.work,
                env=self.env,
                capture_output=True,
                text=True,
                timeout=self.timeout,
            )
        except subprocess.TimeoutExpired:
            return self.timeout, "", f"no answer within {self.timeout:.0f} s"
        seconds = time.perf_counter() - start
        if done.returncode == 0:
            return seconds, done.stdout, None
        return seconds, done.stdout, f"exit {done.returncode}: {one_line(done)}"


def one_line(done: subprocess.CompletedProcess[str]) -> str:
    """The first problem the envelope names, else the last line of stderr."""
    try:
        errors = json.loads(done.stdout)["errors"]
        if errors:
            return str(errors[0]).splitlines()[0]
    except (ValueError, KeyError, TypeError, IndexError):
        pass
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


def timed(cli: Cli, args: list[str], runs: int, note: Callable[[str], str] | None = None) -> Step:
    """Run the command `runs` times; the first failure ends the step."""
    step = Step()
    last = None
    for _ in range(runs):
        seconds, out, error = cli.run(*args)
        if error:
            step.error = error
            break
        step.seconds.append(seconds)
        last = out
    if note is not None and last is not None:
        step.note = note(last)  # once: a render's note parses its whole template
    return step


def render_note(out: str) -> str:
    """The template's size and its layout: `infra render` prints the whole app as one template,
    and the metadata names the nested stack each function is placed in (none: the root)."""
    meta = json.loads(out).get("Metadata", {}).get("Twophase", {}).get("Functions", {})
    children = {f["Stack"] for f in meta.values() if f.get("Stack")}
    layout = f"root + {plural(len(children), 'nested stack')}" if children else "one stack"
    return f"{len(out) / 1024:.0f} KB, {layout}"


def plan_note(out: str) -> str:
    data = json.loads(out)["data"]
    refused = f", {len(data['refusals'])} refused" if data["refusals"] else ""
    return f"{plural(len(data['changes']), 'change')}{refused}"


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" + ("" if count == 1 else "s")


def up_note(out: str) -> str:
    data = json.loads(out)["data"]
    return f"{data['status']}, {len(data['behind'])} serving older configuration"


def push_note(out: str) -> str:
    outcomes = json.loads(out)["data"]
    results = [o["result"] for o in outcomes if "result" in o]
    same = sum(1 for r in results if r["unchanged"])
    calls = sum(r["api_calls"] for r in results)
    return (
        f"{len(results) - same} pushed, {same} unchanged, {len(outcomes) - len(results)} failed; "
        f"{calls / max(len(results), 1):.1f} calls each"
    )


def status_note(out: str) -> str:
    functions = json.loads(out)["data"]["functions"]
    dummies = sum(1 for f in functions if f["code"] == "dummy")
    failed = sum(1 for f in functions if f["error"])
    return f"{len(functions)} functions, {dummies} serving the dummy, {failed} failed"


# one size -----------------------------------------------------------------------------------------
def bench_size(count: int, owners: tuple[str, int], runs: int, timeout: float) -> dict[str, Step]:
    """Every step at one size, on its own app and its own embedded AWS."""
    work = Path(tempfile.mkdtemp(prefix=f"twophase-scale-{count}-"))
    env = {**os.environ, "TWOPHASE_HOME": str(work / "home"), "TWOPHASE_ENV": "local"}
    env.pop("TWOPHASE_LOCAL_ENDPOINT", None)
    app = App(work, [f"fn{n:03d}" for n in range(count)], *owners)
    app.write()
    cli = Cli(work, env, timeout)
    steps: dict[str, Step] = {}
    try:
        _, _, error = cli.run("local", "start")
        if error:
            return {key: Step(error=f"local start: {error}") for key, _, _ in STEPS}
        run_steps(cli, app, runs, steps)
    finally:
        stop_server(cli)
        shutil.rmtree(work, ignore_errors=True)
    return steps


def run_steps(cli: Cli, app: App, runs: int, steps: dict[str, Step]) -> None:
    """The steps in order, each printed as it ends; a failed step does not stop the next."""

    def do(key: str, args: list[str], note: Callable[[str], str] | None = None) -> None:
        cheap = next(c for k, _, c in STEPS if k == key)
        previous = next(reversed(steps.values()), Step()).error
        steps[key] = timed(cli, args, runs if cheap else 1, note)
        print_step(key, steps[key], previous)

    do("render_new", ["infra", "render"], render_note)
    do("plan_new", ["infra", "plan"], plan_note)
    do("up_new", ["infra", "up", "--yes"], up_note)
    do("render", ["infra", "render"], render_note)
    app.write_config(bumped=BUMPED)
    do("plan_memory", ["infra", "plan"], plan_note)
    do("up_memory", ["infra", "up", "--yes"], up_note)
    do("status", ["status"], status_note)
    app.write_sources("changed")
    do("push_changed", ["push", "--all"], push_note)
    do("push_unchanged", ["push", "--all"], push_note)


def stop_server(cli: Cli) -> None:
    """Stop this size's embedded AWS; kill it by its recorded pid if it outlives `local stop`."""
    state = cli.work / "home" / "local.json"
    pid = json.loads(state.read_text())["pid"] if state.exists() else None
    subprocess.run(
        [TWOPHASE, "local", "stop"], cwd=cli.work, env=cli.env, check=False, capture_output=True
    )
    if pid is None:
        return
    for _ in range(50):
        if not Path(f"/proc/{pid}").exists():
            return
        time.sleep(0.1)
    os.kill(pid, signal.SIGKILL)


# output -------------------------------------------------------------------------------------------
def label(key: str) -> str:
    return next(text for k, text, _ in STEPS if k == key)


def print_step(key: str, step: Step, previous_error: str | None) -> None:
    if step.error:
        error = "(the same error)" if step.error == previous_error else step.error
        print(f"  {label(key):32} --       {error}", flush=True)
        return
    runs = f"median of {len(step.seconds)}" if len(step.seconds) > 1 else "once"
    note = f"; {step.note}" if step.note else ""
    print(f"  {label(key):32} {step.median:7.2f} s ({runs}{note})", flush=True)


def cell(step: Step | None) -> str:
    return "--" if step is None or step.median is None else f"{step.median:.2f} s"


def per_function_ms(step: Step | None, count: int) -> float | None:
    return None if step is None or step.median is None else step.median / count * 1000


def print_table(results: dict[int, dict[str, Step]]) -> None:
    sizes = list(results)
    header = "| what | " + " | ".join(f"{n} functions" for n in sizes) + " |"
    print("\n" + header + "\n|" + " --- |" * (len(sizes) + 1))
    for key, text, _ in STEPS:
        print(f"| {text} | " + " | ".join(cell(results[n].get(key)) for n in sizes) + " |")
    for key in LINEAR:
        per = [per_function_ms(results[n].get(key), n) for n in sizes]
        shown = " | ".join("--" if p is None else f"{p:.1f} ms" for p in per)
        print(f"| {label(key)}, per function | {shown} |")
    print()
    for n in sizes:
        failed: dict[str, list[str]] = {}
        for key, step in results[n].items():
            if step.error:
                failed.setdefault(step.error, []).append(label(key))
        for error, labels in failed.items():
            print(f"-- at {n} functions, {'; '.join(labels)}:\n   {error}")
    for key in LINEAR:
        print_linearity(key, sizes, [results[n].get(key) for n in sizes])


def print_linearity(key: str, sizes: list[int], steps: list[Step | None]) -> None:
    """The ratio of the time per function at the largest size to the smallest's (it includes the
    fixed cost of a process, so it falls below 1 when that cost dominates), and the time each
    added function costs between consecutive sizes (constant when the growth is linear)."""
    medians = [s.median if s is not None else None for s in steps]
    if len(sizes) < 2 or medians[0] is None or medians[-1] is None:
        return
    ratio = (medians[-1] / sizes[-1]) / (medians[0] / sizes[0])
    slopes = [
        f"{(b - a) / (m - n) * 1000:.1f} ms ({n}→{m})"
        for n, m, a, b in zip(sizes, sizes[1:], medians, medians[1:], strict=False)
        if a is not None and b is not None
    ]
    print(
        f"{label(key)}: per function at {sizes[-1]} / at {sizes[0]} = {ratio:.2f}x; "
        f"each added function: {', '.join(slopes)}"
    )


def as_json(results: dict[int, dict[str, Step]]) -> dict[str, object]:
    return {
        str(n): {
            key: {"median": s.median, "seconds": s.seconds, "error": s.error, "note": s.note}
            for key, s in steps.items()
        }
        for n, steps in results.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="50,200,500", help="function counts, comma-separated")
    parser.add_argument("--runs", type=int, default=3, help="runs of each cheap step (median)")
    parser.add_argument("--timeout", type=float, default=1800, help="seconds allowed per command")
    parser.add_argument("--owner", default=OWNER, help="the role owning every function")
    parser.add_argument("--teams", type=int, default=1, help="roles sharing the functions")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON too")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(ROOT / "twophase")], check=True)
    results: dict[int, dict[str, Step]] = {}
    for count in sizes:
        owners = args.owner if args.teams == 1 else f"{args.teams} roles"
        print(f"{count} functions (http, queue, schedule, none; owned by {owners})", flush=True)
        started = time.perf_counter()
        results[count] = bench_size(count, (args.owner, args.teams), args.runs, args.timeout)
        print(f"  ({time.perf_counter() - started:.0f} s for this size)", flush=True)
    print_table(results)
    if args.json:
        print(json.dumps(as_json(results)))


if __name__ == "__main__":
    main()
