"""Global options and what they resolve to: the config, the environment, the AWS clients."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

from twophase.cli.terminal import Terminal
from twophase.errors import UsageError

if TYPE_CHECKING:
    from twophase.aws.session import Clients, Target
    from twophase.config.model import Config, Environment

DEFAULT_CONFIG = "twophase.yml"
CONFIG_NAMES = (DEFAULT_CONFIG, "twophase.yaml")


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
    command: str = ""  # the command running, as typed after `twophase` ("infra up")

    def __post_init__(self) -> None:
        self.terminal = Terminal(
            output=self.options.output, color=self.options.color, verbose=self.options.verbose
        )

    def override(self, given: dict[str, Any]) -> None:
        """Apply global options given after the command (they win over those given before)."""
        if not given:
            return
        for name, value in given.items():
            if name == "no_color":
                self.options.color = not value
            else:
                setattr(self.options, name, value)
        self.__post_init__()

    @property
    def given_config(self) -> Path | None:
        """The config named by -c/--config or TWOPHASE_CONFIG, if any."""
        given = self.options.config_path or os.environ.get("TWOPHASE_CONFIG")
        return Path(given) if given else None

    @property
    def config_path(self) -> Path:
        """-c/TWOPHASE_CONFIG, or the nearest twophase.yml (or .yaml) here or above, like git."""
        return self.given_config or find_config(Path.cwd()) or Path(DEFAULT_CONFIG)

    @cached_property
    def settings(self) -> Config:
        """The validated config as phase two reads it (cached between runs; see `cache`)."""
        from twophase.config.cache import load_cached

        path = self.config_path
        if self.given_config is None and not path.exists():
            from twophase.errors import ConfigError

            raise ConfigError(
                f"no {DEFAULT_CONFIG} (or twophase.yaml) in {Path.cwd()} or any folder above it",
                hint="run `twophase init` to write one, or pass --config PATH",
            )
        config = load_cached(path)
        for line in config.runtime_warnings():  # deprecated by AWS: it loads, with a warning
            self.terminal.warn(line)
        return config

    @cached_property
    def config(self) -> Config:
        """The config validated in this run, files on disk included (phase one, policies): the
        cached one again when it came from the cache."""
        settings = self.settings
        if not settings.cached:
            return settings
        from twophase.config.load import load_config

        return load_config(settings.path)

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
        self.settings.environment(name)  # refuses one twophase.yml does not declare
        return name

    @property
    def environment(self) -> Environment:
        return self.settings.environment(self.env_name)

    @cached_property
    def clients(self) -> Clients:
        return self.clients_for(self.env_name)

    def clients_for(self, name: str) -> Clients:
        """The clients of environment `name` (the global options win over its settings)."""
        from twophase.aws.session import Clients, resolve_target

        env = self.settings.environment(name)
        endpoint = self.options.endpoint_url or env.endpoint
        region, profile = self.options.region or env.region, self.options.profile or env.profile
        if endpoint != "local":
            return Clients(resolve_target(region=region, profile=profile, endpoint=endpoint))
        from twophase.cli.local import say_if_started, translated

        with translated():  # the embedded AWS's errors, as twophase's
            before = _local_server_record()
            target = connect_local(region)
            after = _local_server_record()
        say_if_started(self.terminal, before, after, env=name)
        return Clients(target)


def connect_local(region: str | None) -> Target:
    """The embedded AWS as a target: the running server (started if none runs), signed with the
    user's own keys for it or the root keys of the server twophase started. Only the CLI reaches
    the embedded AWS; the AWS layer gets its endpoint and keys."""
    from twophase.aws.session import local_target
    from twophase.local.lifecycle import connect

    local = connect()
    keys = local.credentials
    root = (keys.access_key_id, keys.secret_access_key) if keys is not None else None
    return local_target(region, local.endpoint, root)


def _local_server_record() -> dict[str, Any] | None:
    """What the embedded AWS's state file records (None when a test or the user names the
    endpoint: then twophase starts nothing)."""
    from twophase.local.lifecycle import ENDPOINT_ENV, recorded

    return None if os.environ.get(ENDPOINT_ENV) else recorded()


def find_config(start: Path) -> Path | None:
    """The config in `start` (as a name) or in its nearest parent folder (its absolute path);
    None when there is none. Both names in one folder is a mistake, refused."""
    for folder in (start, *start.parents):
        found = [folder / name for name in CONFIG_NAMES if (folder / name).is_file()]
        if len(found) > 1:
            raise UsageError(
                f"both {found[0]} and {found[1].name} exist",
                hint="keep one of them, or pass --config PATH",
            )
        if found:
            return Path(found[0].name) if folder == start else found[0]
    return None
