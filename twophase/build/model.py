"""What a build produces (`Artifact`) and what it can be told (`BuildOptions`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, TypeAlias

from twophase.config.model import Function

ArtifactKind = Literal["zip", "jar", "image"]

MB = 1024 * 1024
# Lambda's quotas: a zip uploaded in the request body, and the unzipped deployment package.
DIRECT_UPLOAD_LIMIT = 50 * MB
UNZIPPED_LIMIT = 250 * MB


# What a build works from: a function of twophase.yml with the defaults applied. Its `project`
# is the folder holding twophase.yml: links may point anywhere inside it, never out (None: the
# source folder itself); `include` lists files and folders of the project copied into the
# artifact at their path relative to it.
BuildTarget: TypeAlias = Function


@dataclass(frozen=True)
class Excluded:
    """A file or folder left out of an artifact, and why (`build -v` and `push -v` list them)."""

    name: str  # its path in the archive; a folder's ends with `/`
    reason: str


@dataclass(frozen=True)
class Artifact:
    """The bytes `push` uploads (or the image it points at), with Lambda's view of them."""

    path: Path | None
    size: int
    code_sha256: str  # base64 of the SHA-256 digest, as Lambda reports CodeSha256
    hexdigest: str
    kind: ArtifactKind
    image_uri: str | None
    unzipped_size: int
    needs_s3: bool  # over the direct-upload limit: goes through the artifact bucket
    # Every file in the archive → whether it is executable: to check it against a handler.
    entries: Mapping[str, bool] = field(default_factory=dict, compare=False, repr=False)
    # What the build left out of a folder (secrets, ignored files), for `-v`.
    excluded: tuple[Excluded, ...] = field(default=(), compare=False, repr=False)


@dataclass(frozen=True)
class Limits:
    direct_upload: int = DIRECT_UPLOAD_LIMIT
    unzipped: int = UNZIPPED_LIMIT


@dataclass(frozen=True)
class CommandResult:
    returncode: int
    stdout: str
    stderr: str


# Runs an external command (argv, working directory, extra environment). Injectable so tests can
# count or fake pip and npm runs; the default runs a subprocess.
CommandRunner = Callable[[Sequence[str], Path, Mapping[str, str]], CommandResult]


def run_subprocess(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> CommandResult:
    import os
    import subprocess

    try:
        done = subprocess.run(
            list(argv),
            cwd=cwd,
            env={**os.environ, **env},
            capture_output=True,
            text=True,
            check=False,
        )
    except FileNotFoundError as exc:
        return CommandResult(127, "", f"{argv[0]}: not found ({exc})")
    return CommandResult(done.returncode, done.stdout, done.stderr)


@dataclass(frozen=True)
class BuildOptions:
    """Dependency-install settings and limits; every field has the production default."""

    index_url: str | None = None
    extra_index_urls: tuple[str, ...] = ()
    find_links: tuple[str, ...] = ()
    no_index: bool = False
    limits: Limits = field(default_factory=Limits)
    workers: int | None = None  # compression threads; None: one per CPU
    run: CommandRunner = run_subprocess

    def pip_index_args(self) -> list[str]:
        args: list[str] = []
        if self.no_index:
            args.append("--no-index")
        if self.index_url:
            args += ["--index-url", self.index_url]
        for url in self.extra_index_urls:
            args += ["--extra-index-url", url]
        for link in self.find_links:
            args += ["--find-links", link]
        return args
