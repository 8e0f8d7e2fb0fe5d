"""Global options and what they resolve to: the config, the environment, the AWS clients."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from twophase.cli.terminal import Terminal
from twophase.errors import UsageError

if TYPE_CHECKING:
    from twophase.aws.session import Clients
    from twophase.config.compiled import CompiledConfig, CompiledEnvironment
    from twophase.config.model import Config

DEFAULT_CONFIG = "twophase.yml"


@dataclass
class GlobalOptions:
    env: str | None = None
    profile: str | None = None
    region: str | None = None
    endpoint_url: str | None = None
    config_path: str | None = None
    output: str = "human"
    yes: bool = False
    verbose: bool = False
    debug: bool = False
    color: bool = True


@dataclass
class AppContext:
    """What every command gets: options, the terminal, and lazily the config and clients."""

    options: GlobalOptions
    terminal: Terminal = field(init=False)

    def __post_init__(self) -> None:
        self.terminal = Terminal(
            output=self.options.output, color=self.options.color, verbose=self.options.verbose
        )

    @property
    def config_path(self) -> Path:
        return Path(self.options.config_path or os.environ.get("TWOPHASE_CONFIG") or DEFAULT_CONFIG)

    @cached_property
    def settings(self) -> CompiledConfig:
        """The validated config as phase two reads it (cached between runs; see `compiled`)."""
        from twophase.config.compiled import load_compiled

        return load_compiled(self.config_path)

    @property
    def config(self) -> Config:
        """The full validated model (phase one, policies)."""
        return self.settings.model()

    @property
    def env_name(self) -> str:
        name = self.options.env or os.environ.get("TWOPHASE_ENV")
        envs = self.settings.environments
        if name is None:
            if len(envs) == 1:
                return next(iter(envs))
            raise UsageError(
                "no environment given",
                hint=f"pass --env/-e (one of: {', '.join(sorted(envs))}) or set TWOPHASE_ENV",
            )
        if name not in envs:
            raise UsageError(
                f"unknown environment {name!r}",
                hint=f"use one of: {', '.join(sorted(envs))} (declared under `environments:`)",
            )
        return name

    @property
    def environment(self) -> CompiledEnvironment:
        return self.settings.environments[self.env_name]

    @cached_property
    def clients(self) -> Clients:
        from twophase.aws.session import Clients, resolve_target

        env = self.environment
        endpoint = self.options.endpoint_url or env.endpoint
        target = resolve_target(
            region=self.options.region or env.region,
            profile=self.options.profile or env.profile,
            endpoint=endpoint,
        )
        return Clients(target)
