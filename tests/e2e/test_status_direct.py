"""`status` and `releases` read without botocore where the target allows (twophase/aws/direct.py):
run as a user runs them, in a process of their own, they never import it, nor the standard
library's heavy HTTP and XML modules (`http.client` and its `email` parser, ElementTree) that
the direct reads do without, and `TWOPHASE_DIRECT_READS=off` sends them back to botocore with
the same answer."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

HEAVY = ("botocore", "http.client", "email.parser", "xml.etree.ElementTree")
# Run the CLI in this process's interpreter, then say which of the HEAVY modules it loaded.
PROBE = f"""
import sys
from twophase.cli.main import run
code = run(sys.argv[1:])
print("\\n" + str(code) + " " + ",".join(m for m in {HEAVY!r} if m in sys.modules) + ",")
"""


def cli(*args: str, **env: str) -> tuple[str, int, set[str]]:
    """(stdout before the probe's line, exit status, which of HEAVY it imported)."""
    done = subprocess.run(
        [sys.executable, "-c", PROBE, *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )
    out, _, probe = done.stdout.rstrip("\n").rpartition("\n")
    code, loaded = probe.split()
    return out, int(code), set(loaded.split(",")) - {""}


def test_reads_go_direct_and_agree_with_botocore(app: Path) -> None:
    assert cli("infra", "up", "--yes")[1] == 0

    for command in (("status",), ("releases", "api")):
        direct, direct_code, direct_loaded = cli(*command, "--output", "json")
        off = {"TWOPHASE_DIRECT_READS": "off"}
        boto, boto_code, boto_loaded = cli(*command, "--output", "json", **off)

        assert (direct_code, boto_code) == (0, 0), command
        assert "botocore" not in direct_loaded and "botocore" in boto_loaded, command
        assert direct_loaded == set(), command
        assert json.loads(direct) == json.loads(boto), command
