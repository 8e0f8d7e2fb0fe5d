"""Bounds on what twophase reads as configuration, so that no file can make it hang.

- `twophase.yml` and the shared template: at most 1 MB each. CloudFormation takes no template over
  1 MB (from S3; 51,200 bytes inline), and a config for hundreds of functions is a few hundred KB.
  Only `limit + 1` bytes are ever read, so a link to `/dev/zero` ends too.
- YAML nesting: at most 64 levels. Real configs and templates stay under 20; deeper nesting is a
  mistake or an attack (and recursion would end in a traceback).
- YAML aliases: at most 100,000 values reached through aliases in one file. Anchors that share a
  policy or an environment across hundreds of functions stay far below; the 643-byte "billion
  laughs" file of nested aliases would expand to billions and is refused in well under a second.

This module imports neither YAML nor pydantic: the fast start path (`cache.py`) uses it.
"""

from __future__ import annotations

from pathlib import Path

from twophase.errors import ConfigError
from twophase.files import read_at_most

MB = 1024 * 1024
MAX_CONFIG_BYTES = 1 * MB
MAX_TEMPLATE_BYTES = 1 * MB
MAX_DEPTH = 64
MAX_ALIAS_VALUES = 100_000


def read_limited(path: Path, limit: int, what: str) -> bytes:
    """The bytes of `path`, refused in one line when over `limit`; OSError as any read."""
    data = read_at_most(path, limit)
    if len(data) > limit:
        raise too_large(str(path), limit, what)
    return data


def too_large(where: str, limit: int, what: str) -> ConfigError:
    return ConfigError(
        f"{where}: over {limit // MB} MB, the limit for {what}",
        hint="is it the right file? twophase reads no more than that",
    )
