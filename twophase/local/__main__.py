"""`python -m twophase.local serve`: the body of the background embedded AWS.

Binds a loopback port, writes the state file once it accepts requests (atomically, so a reader
never sees half a file), then serves until SIGTERM or SIGINT and removes the state file if it is
still ours.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
import time
from pathlib import Path

from twophase.files import write_atomically


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m twophase.local")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the embedded AWS in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--state-file", type=Path, default=None)
    serve.add_argument("--iam-enforcement", action="store_true")
    return parser.parse_args(argv)


def write_state(path: Path, state: dict[str, object]) -> None:
    write_atomically(path, json.dumps(state, indent=2) + "\n")


def _remove_state_if_ours(path: Path, token: str) -> None:
    try:
        if json.loads(path.read_text(encoding="utf-8")).get("token") == token:
            path.unlink()
    except (OSError, ValueError):
        pass


def serve(args: argparse.Namespace) -> int:
    from twophase.local.server import LocalAws, warm_up

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.stderr.write(f"refusing to bind {args.host}: the embedded AWS is loopback only\n")
        return 2
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    server = LocalAws(host=args.host, port=args.port, iam_enforcement=args.iam_enforcement)
    endpoint = server.start()
    if args.state_file is not None:
        write_state(
            args.state_file,
            {
                "pid": os.getpid(),
                "port": server.port,
                "endpoint": endpoint,
                "started_at": time.time(),
                "iam_enforcement": bool(args.iam_enforcement),
                "token": server.token,
            },
        )
    else:
        sys.stdout.write(f"{endpoint}\n")
        sys.stdout.flush()
    threading.Thread(target=warm_up, name="warm-up", daemon=True).start()
    try:
        while not stopped.wait(0.5):
            pass
    finally:
        if args.state_file is not None:
            _remove_state_if_ours(args.state_file, server.token)
        server.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parse(sys.argv[1:] if argv is None else argv)
    return serve(args)


if __name__ == "__main__":
    sys.exit(main())
