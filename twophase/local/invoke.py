"""Run a Lambda handler locally, in a subprocess, with the interpreter on this machine.

The embedded AWS uses this for Invoke (see `extensions/lambda_invoke.py`): the deployed zip is
extracted once per CodeSha256 into the server's own code folder (0700, made by mkdtemp when the
server starts; never a predictable or shared path, where code another user planted would run as
this user), and the handler runs there with `sys.executable` (python* runtimes) or `node`
(nodejs* runtimes), the event on stdin, and a small bootstrap that builds Lambda's context object
and writes the handler's result or error to a file. No container is involved: the interpreter's
version is the machine's, not the runtime's.
"""

from __future__ import annotations

import atexit
import base64
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from twophase.local.private import NotPrivate, check_folder

LOG_TAIL_BYTES = 4096

# Runs in the child: `python -c`. The event arrives on stdin; the outcome goes to a file so that
# whatever the handler prints stays in the log.
PYTHON_BOOTSTRAP = r"""
import importlib, json, os, sys, time, traceback

class LambdaContext:
    def __init__(self, info):
        self._deadline_ms = info.pop("deadline_ms")
        self.__dict__.update(info)
        self.log_stream_name = "local"
    def get_remaining_time_in_millis(self):
        return max(0, int(self._deadline_ms - time.time() * 1000))

def error(kind, message, trace=()):
    return {"errorMessage": message, "errorType": kind, "stackTrace": list(trace)}

def main():
    task_root = os.environ["LAMBDA_TASK_ROOT"]
    sys.path.insert(0, task_root)
    module_name, _, function_name = os.environ["_HANDLER"].rpartition(".")
    module_name = module_name.replace("/", ".")
    try:
        handler = getattr(importlib.import_module(module_name), function_name, None)
    except Exception as exc:
        return {"ok": False, "error": error(
            "Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}")}
    if handler is None:
        return {"ok": False, "error": error(
            "Runtime.HandlerNotFound",
            f"Handler '{function_name}' missing on module '{module_name}'")}
    event = json.loads(sys.stdin.buffer.read() or b"{}")
    context = LambdaContext(json.loads(os.environ["_TWOPHASE_CONTEXT"]))
    try:
        result = handler(event, context)
    except Exception as exc:
        frames = traceback.format_list(traceback.extract_tb(exc.__traceback__)[1:])
        traceback.print_exc()
        return {"ok": False, "error": error(type(exc).__name__, str(exc), frames)}
    try:
        return {"ok": True, "payload": json.dumps(result)}
    except (TypeError, ValueError) as exc:
        return {"ok": False, "error": error(
            "Runtime.MarshalError", f"Unable to marshal response: {exc}")}

outcome = main()
sys.stdout.flush()
sys.stderr.flush()
with open(os.environ["_TWOPHASE_RESULT"], "w", encoding="utf-8") as out:
    json.dump(outcome, out)
"""

# Runs in the child: `node --input-type=module -e`. Handlers may be async or take a callback.
NODE_BOOTSTRAP = r"""
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { pathToFileURL } from "node:url";

const info = JSON.parse(process.env._TWOPHASE_CONTEXT);
const context = {
  functionName: info.function_name, functionVersion: info.function_version,
  invokedFunctionArn: info.invoked_function_arn, memoryLimitInMB: String(info.memory_limit_in_mb),
  awsRequestId: info.aws_request_id, logGroupName: info.log_group_name, logStreamName: "local",
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => Math.max(0, info.deadline_ms - Date.now()),
};
const fail = (errorType, errorMessage, trace = []) => ({
  ok: false, error: { errorType, errorMessage, trace },
});
const finish = (outcome) => {
  writeFileSync(process.env._TWOPHASE_RESULT, JSON.stringify(outcome));
  process.exit(0);
};
const handlerName = process.env._HANDLER;
const dot = handlerName.lastIndexOf(".");
const [moduleName, functionName] = [handlerName.slice(0, dot), handlerName.slice(dot + 1)];
const root = process.env.LAMBDA_TASK_ROOT;
const file = [".js", ".mjs", ".cjs"].map((ext) => join(root, moduleName + ext)).find(existsSync);
if (!file) finish(fail("Runtime.ImportModuleError", `Error: Cannot find module '${moduleName}'`));
let mod;
try { mod = await import(pathToFileURL(file).href); } catch (err) {
  finish(fail("Runtime.ImportModuleError", String(err), String(err.stack || "").split("\n")));
}
const handler = mod[functionName] ?? mod.default?.[functionName];
if (typeof handler !== "function") {
  finish(fail("Runtime.HandlerNotFound", `${handlerName} is undefined or not exported`));
}
const raw = readFileSync(0, "utf8");
const event = JSON.parse(raw || "{}");
try {
  const result = await new Promise((resolve, reject) => {
    const maybe = handler(event, context, (err, value) => (err ? reject(err) : resolve(value)));
    if (maybe && typeof maybe.then === "function") maybe.then(resolve, reject);
    else if (handler.length < 3) resolve(maybe);
  });
  finish({ ok: true, payload: JSON.stringify(result === undefined ? null : result) });
} catch (err) {
  const e = err instanceof Error ? err : new Error(String(err));
  console.error(e.stack);
  finish(fail(e.name || "Error", e.message, String(e.stack || "").split("\n")));
}
"""


class CannotRunLocally(Exception):
    """The function's runtime (or its interpreter) is not available on this machine."""


@dataclass(frozen=True)
class Invocation:
    """One call of one function version."""

    runtime: str
    handler: str
    code: bytes | Path  # the zip, or the store's file named by its SHA-256 (`code_store`)
    event: bytes
    function_name: str
    function_version: str
    invoked_function_arn: str
    region: str
    memory_mb: int = 128
    timeout_s: float = 3.0
    request_id: str = ""
    environment: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class InvocationResult:
    payload: bytes
    errored: bool
    logs: str
    duration_ms: float

    def log_tail(self) -> str:
        """X-Amz-Log-Result: base64 of the last 4 KB of the log."""
        return base64.b64encode(self.logs.encode()[-LOG_TAIL_BYTES:]).decode()


_code_root: Path | None = None
_code_root_lock = threading.Lock()


def use_code_root(path: Path | None) -> None:
    """Extract code under `path` from now on: a private folder this process created (the
    embedded AWS's, see `server.LocalAws`); None forgets it."""
    global _code_root
    with _code_root_lock:
        _code_root = path


def code_cache_root() -> Path:
    """This process's private folder for extracted code: the embedded AWS's, or one created now
    (mkdtemp: 0700, a fresh random name) and removed when the process exits."""
    global _code_root
    with _code_root_lock:
        if _code_root is None:
            _code_root = Path(tempfile.mkdtemp(prefix="twophase-lambda-code-"))
            atexit.register(shutil.rmtree, _code_root, True)
        return _code_root


def extract_code(code: bytes | Path, root: Path | None = None) -> Path:
    """The folder holding the zip's files; extracted once per content hash, atomically, in a
    private folder of this process (anything else is refused, never reused). A stored package
    (a Path: `code_store` names it by its SHA-256) is read from its file, never whole."""
    root = root or code_cache_root()
    check_folder(root)
    digest = code.name if isinstance(code, Path) else hashlib.sha256(code).hexdigest()
    target = root / digest
    if _extracted(target):
        return target
    staging = Path(tempfile.mkdtemp(dir=root, prefix=".extract-"))
    try:
        with zipfile.ZipFile(code if isinstance(code, Path) else io.BytesIO(code)) as archive:
            archive.extractall(staging)
        os.replace(staging, target)
    except OSError:
        if not _extracted(target):
            raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    return target


def _extracted(target: Path) -> bool:
    """Whether `target` is a folder this process extracted (in its private root: never a link)."""
    try:
        st = os.lstat(target)
    except FileNotFoundError:
        return False
    if stat.S_ISDIR(st.st_mode) and st.st_uid == os.geteuid():
        return True
    raise NotPrivate(f"{target} is not a folder this embedded AWS extracted")


def interpreter(runtime: str) -> list[str]:
    """The command that runs the runtime's bootstrap, or CannotRunLocally."""
    if runtime.startswith("python"):
        return [sys.executable, "-c", PYTHON_BOOTSTRAP]
    if runtime.startswith("nodejs"):
        node = shutil.which("node")
        if node is None:
            raise CannotRunLocally(
                f"runtime {runtime} cannot run locally: `node` is not on PATH "
                "(install Node.js to invoke this function in the embedded AWS)"
            )
        return [node, "--input-type=module", "-e", NODE_BOOTSTRAP]
    raise CannotRunLocally(
        f"runtime {runtime} cannot run locally: the embedded AWS runs only python* and nodejs* "
        "functions (invoke this one on AWS)"
    )


def _environment(inv: Invocation, code_dir: Path, result_path: Path) -> dict[str, str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "TZ": ":UTC",
        "LAMBDA_TASK_ROOT": str(code_dir),
        "_HANDLER": inv.handler,
        "AWS_EXECUTION_ENV": f"AWS_Lambda_{inv.runtime}",
        "AWS_REGION": inv.region,
        "AWS_DEFAULT_REGION": inv.region,
        "AWS_LAMBDA_FUNCTION_NAME": inv.function_name,
        "AWS_LAMBDA_FUNCTION_VERSION": inv.function_version,
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(inv.memory_mb),
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{inv.function_name}",
    }
    env.update(inv.environment)
    env["_TWOPHASE_CONTEXT"] = json.dumps(
        {
            "function_name": inv.function_name,
            "function_version": inv.function_version,
            "invoked_function_arn": inv.invoked_function_arn,
            "memory_limit_in_mb": inv.memory_mb,
            "aws_request_id": inv.request_id,
            "log_group_name": f"/aws/lambda/{inv.function_name}",
            "deadline_ms": int(time.time() * 1000 + inv.timeout_s * 1000),
        }
    )
    env["_TWOPHASE_RESULT"] = str(result_path)
    return env


def _timed_out(inv: Invocation) -> bytes:
    return json.dumps(
        {
            "errorType": "Sandbox.Timedout",
            "errorMessage": f"RequestId: {inv.request_id} Error: Task timed out after "
            f"{inv.timeout_s:.2f} seconds",
        }
    ).encode()


def _crashed(returncode: int) -> bytes:
    return json.dumps(
        {
            "errorType": "Runtime.ExitError",
            "errorMessage": f"Error: Runtime exited with error: exit status {returncode}",
        }
    ).encode()


def _log(inv: Invocation, output: str, duration_ms: float) -> str:
    rid = inv.request_id
    body = output if output.endswith("\n") or not output else output + "\n"
    return (
        f"START RequestId: {rid} Version: {inv.function_version}\n{body}END RequestId: {rid}\n"
        f"REPORT RequestId: {rid}\tDuration: {duration_ms:.2f} ms\t"
        f"Billed Duration: {int(duration_ms) + 1} ms\tMemory Size: {inv.memory_mb} MB\n"
    )


def run(inv: Invocation) -> InvocationResult:
    """Run the handler once; the payload and whether it is an error, as Lambda returns them."""
    command = interpreter(inv.runtime)
    code_dir = extract_code(inv.code)
    with tempfile.TemporaryDirectory(prefix="twophase-invoke-") as scratch:
        result_path = Path(scratch) / "result.json"
        started = time.monotonic()
        try:
            done = subprocess.run(
                command,
                input=inv.event,
                capture_output=True,
                cwd=code_dir,
                env=_environment(inv, code_dir, result_path),
                timeout=inv.timeout_s,
                check=False,
            )
            output = (done.stdout + done.stderr).decode(errors="replace")
            outcome = _read_outcome(result_path, done.returncode)
        except subprocess.TimeoutExpired as exc:
            output = ((exc.stdout or b"") + (exc.stderr or b"")).decode(errors="replace")
            outcome = (_timed_out(inv), True)
        duration_ms = (time.monotonic() - started) * 1000
    payload, errored = outcome
    return InvocationResult(payload, errored, _log(inv, output, duration_ms), duration_ms)


def _read_outcome(result_path: Path, returncode: int) -> tuple[bytes, bool]:
    try:
        outcome = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return _crashed(returncode), True
    if outcome.get("ok"):
        return str(outcome["payload"]).encode(), False
    return json.dumps(outcome["error"]).encode(), True
