"""Building artifacts: deterministic zips, dependencies for Lambda's platform, limits, handlers.

`build_artifact(fn, cache_dir=…, reporter=…)` is what `push` and `build` call;
`read_artifact(path, fn)` checks a prebuilt artifact (`push --artifact FILE`).
"""

from twophase.build.builder import build_artifact, read_artifact
from twophase.build.model import Artifact, BuildOptions, CommandResult, Limits

__all__ = ["Artifact", "BuildOptions", "CommandResult", "Limits", "build_artifact", "read_artifact"]
