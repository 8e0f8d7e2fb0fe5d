"""`python -m twophase.local serve`: the body of the background embedded AWS.

Binds a loopback port, writes the state file once it accepts requests (atomically, so a reader
never sees half a file; 0600 in a 0700 folder, as it holds the root keys generated for this start
and the server's admin token), then serves until SIGTERM or SIGINT and removes the state file if
it is still ours. Without a state file it prints the endpoint on stdout and the root keys on
stderr.
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

from twophase.local.private import NotPrivate, private_folder, read_private, write_private
from twophase.local.protocol import process_start


def _parse(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m twophase.local")
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the embedded AWS in the foreground")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=0)
    serve.add_argument("--state-file", type=Path, default=None)
    serve.add_argument("--iam-enforcement", action="store_true")
    serve.add_argument(
        "--update-settle",
        type=float,
        default=None,
        metavar="SECONDS",
        help="hold each Lambda update InProgress this long, as AWS does (default: "
        "$TWOPHASE_LOCAL_UPDATE_SETTLE, else 0)",
    )
    return parser.parse_args(argv)


def write_state(path: Path, state: dict[str, object]) -> None:
    write_private(path, json.dumps(state, indent=2) + "\n")


def _remove_state_if_ours(path: Path, token: str) -> None:
    try:
        if json.loads(read_private(path)).get("token") == token:
            path.unlink()
    except (OSError, ValueError):
        pass


def serve(args: argparse.Namespace) -> int:
    from twophase.local.server import LocalAws, warm_up

    if args.host not in ("127.0.0.1", "localhost", "::1"):
        sys.stderr.write(f"refusing to bind {args.host}: the embedded AWS is loopback only\n")
        return 2
    work_dir = None
    if args.state_file is not None:
        try:
            work_dir = private_folder(args.state_file.parent)
        except NotPrivate as exc:
            sys.stderr.write(f"refusing to keep the embedded AWS's state there: {exc}\n")
            return 2
    stopped = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stopped.set())
    server = LocalAws(
        host=args.host,
        port=args.port,
        iam_enforcement=args.iam_enforcement,
        work_dir=work_dir,
        update_settle=args.update_settle,
    )
    endpoint = server.start()
    root = server.credentials
    if args.state_file is not None:
        write_state(
            args.state_file,
            {
                "pid": os.getpid(),
                "process_start": process_start(os.getpid()),
                "port": server.port,
                "endpoint": endpoint,
                "started_at": time.time(),
                "iam_enforcement": bool(args.iam_enforcement),
                "token": server.token,
                "access_key_id": root.access_key_id,
                "secret_access_key": root.secret_access_key,
            },
        )
    else:
        sys.stdout.write(f"{endpoint}\n")
        sys.stdout.flush()
        sys.stderr.write(
            f"root keys: TWOPHASE_LOCAL_ACCESS_KEY={root.access_key_id} "
            f"TWOPHASE_LOCAL_SECRET_KEY={root.secret_access_key}\n"
        )
        sys.stderr.flush()
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
