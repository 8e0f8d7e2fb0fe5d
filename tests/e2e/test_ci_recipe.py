"""docs/ci.md's generic CI recipe, run line by line, in order, against the embedded AWS.

The block after `<!-- ci-recipe -->` is the recipe. Each `twophase …` line runs through the CLI
in-process and must exit 0; `> FILE` keeps its stdout, and the rest of a pipeline (the `jq -e`
gates) runs in bash on it. Other lines (`VAR=$(jq …)`, `curl …`) run in bash with the
variables set so far, when jq and curl are installed. The previews' base `dev` and `prod` point
at the embedded AWS here, and phase one of both ran first, as the platform team's would.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import ROOT, edit_config, run_cli

DOC = ROOT / "docs" / "ci.md"
MARK = "<!-- ci-recipe -->"
GIVEN = {"PR": "7"}  # what CI gives the recipe: the pull request's number
_VARIABLE = re.compile(r"\$(?:\{(\w+)\}|(\w+))")
_CAPTURE = re.compile(r"(\w+)=\$\((.*)\)")


def recipe() -> list[str]:
    """The recipe's command lines: continuations joined, comments and blank lines left out."""
    after = DOC.read_text().split(MARK, 1)[1]
    block = re.match(r"\s*```sh\n(.*?)\n```", after, re.DOTALL)
    assert block is not None, f"{DOC}: no ```sh block after {MARK}"
    text = block.group(1).replace("\\\n", " ")
    return [line.strip() for line in text.splitlines() if line.strip() and line[0] != "#"]


def split_pipeline(line: str) -> tuple[str, str]:
    """(`twophase …`, what follows its first unquoted `|` or `>`)."""
    quote = ""
    for index, char in enumerate(line):
        if quote:
            quote = "" if char == quote else quote
        elif char in "'\"":
            quote = char
        elif char in "|>":
            return line[:index].strip(), line[index:].strip()
    return line, ""


def expand(word: str, variables: dict[str, str]) -> str:
    def value(match: re.Match[str]) -> str:
        name = match.group(1) or match.group(2)
        assert name in variables, f"the recipe uses ${name}, which nothing sets"
        return variables[name]

    return _VARIABLE.sub(value, word)


def bash(command: str, variables: dict[str, str], cwd: Path, stdin: str = "") -> str:
    done = subprocess.run(
        ["bash", "-c", f"set -euo pipefail\n{command}"],
        input=stdin,
        env=os.environ | variables,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"{command}\nexit {done.returncode}: {done.stderr}{done.stdout}"
    return done.stdout


class Recipe:
    """Runs the recipe's lines in one folder, keeping the variables they set."""

    def __init__(self, folder: Path, capsys: pytest.CaptureFixture[str]) -> None:
        self.folder = folder
        self.capsys = capsys
        self.variables = dict(GIVEN)
        self.tools = all(shutil.which(tool) for tool in ("bash", "jq", "curl"))
        self.ran: list[list[str]] = []

    def run(self, line: str) -> None:
        if line.startswith("twophase "):
            self.twophase(line)
        elif line.startswith("set "):
            return  # bash() sets the same options for every line
        elif self.tools:
            captured = _CAPTURE.fullmatch(line)
            if captured:
                name, command = captured.groups()
                self.variables[name] = bash(command, self.variables, self.folder).strip()
            else:
                bash(line, self.variables, self.folder)

    def twophase(self, line: str) -> None:
        head, tail = split_pipeline(line)
        argv = [expand(word, self.variables) for word in shlex.split(head)[1:]]
        result = run_cli(self.capsys, *argv)
        assert result.exit_code == 0, f"{line}\nexit {result.exit_code}: {result.stderr}"
        self.ran.append(argv)
        if tail.startswith(">"):
            (self.folder / expand(shlex.split(tail[1:])[0], self.variables)).write_text(
                result.stdout
            )
        elif tail and self.tools:
            bash(tail.lstrip("|"), self.variables, self.folder, stdin=result.stdout)


def served_sha256(local_aws: LocalAwsHandle, function: str, alias: str) -> str:
    lam = local_aws.clients().client("lambda")
    version = lam.get_alias(FunctionName=function, Name=alias)["FunctionVersion"]
    return str(
        lam.get_function(FunctionName=function, Qualifier=version)["Configuration"]["CodeSha256"]
    )


def test_the_recipe_builds_once_and_pushes_those_bytes_everywhere() -> None:
    lines = recipe()
    twophase = [
        shlex.split(line.split("|")[0].split(">")[0])
        for line in lines
        if line.startswith("twophase ")
    ]
    builds = [words for words in twophase if "build" in words]
    pushes = [words for words in twophase if "push" in words]
    assert len(builds) == 1 and "-o" in builds[0]
    artifact = builds[0][builds[0].index("-o") + 1]
    envs = []
    for words in pushes:
        assert words[words.index("--artifact") + 1] == artifact, words
        envs.append(words[words.index("-e") + 1])
    assert envs == ["pr-$PR", "dev", "prod"]
    assert any(
        "infra" in w and "up" in w and "pr-$PR" in w for w in twophase[: twophase.index(pushes[0])]
    )
    assert [w for w in twophase if "env" in w and "prune" in w], "no scheduled prune"


def test_the_recipe_runs_in_order_against_the_embedded_aws(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_config(
        app,
        environments__dev={"endpoint": "local", "parameters": {"Stage": "dev"}},
        environments__prod={
            "endpoint": "local",
            "protected": True,
            "parameters": {"Stage": "prod"},
        },
        environments__preview={"match": "pr-*", "from": "dev", "ttl": "7d"},
    )
    for env in ("dev", "prod"):  # phase one of dev and prod: the platform team's, before CI
        assert run_cli(capsys, "-e", env, "infra", "up", "--yes").exit_code == 0

    steps = Recipe(app.parent, capsys)
    for line in recipe():
        steps.run(line)

    envs = [argv[argv.index("-e") + 1] for argv in steps.ran if "-e" in argv]
    assert envs == ["pr-7"] * 4 + ["dev"] * 2 + ["prod"] * 2
    built: dict[str, Any] = json.loads((app.parent / "build.json").read_text())["data"]
    for env in ("dev", "prod"):  # the build's bytes, serving through both aliases
        for alias in ("next", "live"):
            assert served_sha256(local_aws, f"shop-{env}-api", alias) == built["code_sha256"]
    stacks = local_aws.clients().client("cloudformation").describe_stacks()["Stacks"]
    live = {s["StackName"] for s in stacks if s["StackStatus"] != "DELETE_COMPLETE"}
    assert not [name for name in live if name.startswith("shop-pr-7")]  # closed: gone
    assert {"shop-dev", "shop-prod"} <= live
