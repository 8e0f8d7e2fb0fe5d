"""From a function's `source` to the artifact `push` uploads.

A folder becomes a deterministic zip (its files, plus dependencies installed for Lambda's platform);
a built `.zip` or `.jar` is used as is; an image URI is passed through. Every artifact is checked
against Lambda's limits and for its handler before anything is uploaded. Zips are written into the
cache content-addressed (`artifacts/<sha256>.zip`); an unchanged tree is not zipped again.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path

from twophase.build import checks, ignore, node_deps, python_deps, sources, zipcheck
from twophase.build.fastzip import ZipResult, write_zip
from twophase.build.model import Artifact, BuildOptions, BuildTarget
from twophase.build.sources import Collected, SourceFile
from twophase.errors import BuildError
from twophase.files import human_size, read_at_most, write_atomically
from twophase.reporter import Reporter

ARTIFACT_SUFFIXES = (".zip", ".jar")
MANIFEST_VERSION = "1"
_RACY_SECONDS = 2  # files changed this recently may change again within the same mtime tick


def build_artifact(
    fn: BuildTarget,
    *,
    cache_dir: Path,
    reporter: Reporter,
    options: BuildOptions | None = None,
) -> Artifact:
    """Build (or find in the cache) the artifact for `fn`; raises BuildError before any upload."""
    options = options or BuildOptions()
    uri = image_uri(fn)
    if uri is not None:
        return image_artifact(uri)
    if fn.source is None:
        raise BuildError(
            f"{fn.name}: no `source` to build", hint="set functions.<name>.source in twophase.yml"
        )
    source = fn.source
    if source.is_file():
        if source.suffix.lower() not in ARTIFACT_SUFFIXES:
            raise BuildError(
                f"{fn.name}: source {source} is neither a folder nor a .zip or .jar",
                hint="point `source` at the function's folder or its built artifact",
            )
        return read_artifact(source, fn, options=options)
    if not source.is_dir():
        raise BuildError(
            f"{fn.name}: source {source} does not exist",
            hint="check `source` in twophase.yml (paths are relative to it)",
        )
    collected = collect_files(fn, source, cache_dir=cache_dir, reporter=reporter, options=options)
    artifact = _zip_folder(fn, collected.files, cache_dir=cache_dir, options=options)
    return dataclasses.replace(artifact, excluded=tuple(collected.excluded))


def image_uri(fn: BuildTarget) -> str | None:
    """The container image of `fn`: `image:` in the config, or a `source` of `image:<uri>`."""
    if fn.image:
        return fn.image.removeprefix("image:")
    if fn.source is not None:
        text = fn.source.as_posix()
        if "image:" in text:
            return text.split("image:", 1)[1]
    return None


def image_artifact(uri: str) -> Artifact:
    """Lambda reports an image function's CodeSha256 as the image digest, when the URI pins one."""
    digest = uri.rpartition("@sha256:")[2] if "@sha256:" in uri else ""
    return Artifact(
        path=None,
        size=0,
        code_sha256=digest,
        hexdigest=digest,
        kind="image",
        image_uri=uri,
        unzipped_size=0,
        needs_s3=False,
    )


def collect_files(
    fn: BuildTarget,
    folder: Path,
    *,
    cache_dir: Path,
    reporter: Reporter,
    options: BuildOptions,
) -> Collected:
    """The function's files, its `include:` paths and its dependencies underneath (its own files
    win a name clash with a dependency; one with an included file is an error), and what was left
    out."""
    uses_npm = fn.runtime_family == "nodejs" and node_deps.lock_file(folder) is not None
    extra = {"node_modules/": "installed afresh by npm ci"} if uses_npm else {}
    if cache_dir.resolve().is_relative_to(folder.resolve()):  # never zip the cache into itself
        extra[cache_dir.resolve().relative_to(folder.resolve()).as_posix()] = "the build cache"
    rules = ignore.ignore_spec(folder, extra)
    project = fn.project or folder
    # A source the config names outside the project (`../x`, an absolute path) is the user's
    # choice; links in it may not leave it. One named inside may not lead out (a link).
    written = os.path.normpath(folder.absolute())
    inside = Path(written).is_relative_to(os.path.normpath(project.absolute()))
    own = sources.gather(
        folder,
        rules=rules,
        boundary=project if inside else folder,
        project=project,
        shown=_shown(folder, project),
        who=fn.name,
        fence="the project" if inside else "its source folder",
    )
    included = [_include(fn, path, project, rules) for path in fn.include]
    _check_clashes(fn, folder, project, own.files, included)
    layers: list[list[SourceFile]] = []
    deps = ignore.Rules(fixed=ignore.AlwaysIgnored(secrets=False))
    if fn.runtime_family == "python":
        site = python_deps.install(
            fn, folder, cache_dir=cache_dir, reporter=reporter, options=options
        )
        if site is not None:
            layers.append(sources.collect(site, spec=deps))
    elif uses_npm:
        modules = node_deps.install(
            fn, folder, own.files, cache_dir=cache_dir, reporter=reporter, options=options
        )
        if modules is not None:
            layers.append(sources.collect(modules, spec=deps))
    files = sources.merge(*layers, *(i.files for i in included), own.files)
    if fn.runtime_family == "provided":
        files = [_executable(f) if f.name == "bootstrap" else f for f in files]
    excluded = [e for c in (own, *included) for e in c.excluded]
    return Collected(files, sorted(excluded, key=lambda e: e.name))


def _shown(path: Path, project: Path) -> str:
    """`path` as messages name it: relative to the project, `/`-separated, `/` at the end."""
    rel = os.path.relpath(path, project).replace(os.sep, "/")
    return "" if rel == "." else rel + "/"


def _include(fn: BuildTarget, path: Path, project: Path, rules: ignore.Rules) -> Collected:
    """One `include:` path, archived at its path relative to the project."""
    rel = os.path.relpath(path, project).replace(os.sep, "/")
    if rel == "." or rel == ".." or rel.startswith("../") or os.path.isabs(rel):
        raise BuildError(
            f"{fn.name}: include {rel} is not inside the project {project}",
            hint="list files or folders under the folder holding twophase.yml",
        )
    if not os.path.lexists(path):
        raise BuildError(
            f"{fn.name}: include {rel} does not exist (relative to the project)",
            hint="fix `include:` in twophase.yml",
        )
    is_dir = path.is_dir()
    name = rel + "/" if is_dir else rel
    found = sources.gather(
        path, rules=rules, boundary=project, project=project, name=name, shown=name, who=fn.name
    )
    whole = next((e for e in found.excluded if e.name == name), None)
    if whole is not None:  # what the config names explicitly is not dropped silently
        why = whole.reason
        raise BuildError(
            f"{fn.name}: include {rel} is left out of the artifact ({why})",
            hint=f"re-include it with `!{rel}` in {ignore.IGNORE_FILE} if it must ship",
        )
    return found


def _check_clashes(
    fn: BuildTarget, folder: Path, project: Path, own: list[SourceFile], included: list[Collected]
) -> None:
    """An included file may not take the name of one of the function's own files. (Two `include:`
    entries that overlap give the same file the same name: one copy.)"""
    mine = {f.name for f in own}
    for layer in included:
        for f in layer.files:
            if f.name in mine:
                raise BuildError(
                    f"{fn.name}: {f.name} is both the function's own "
                    f"{_shown(folder, project)}{f.name} and the included {f.name}; "
                    "the artifact can hold one",
                    hint="rename one of them, or drop it from `include:`",
                )


def _executable(f: SourceFile) -> SourceFile:
    return SourceFile(f.name, f.path, True, f.size, f.mtime_ns)


def _zip_folder(
    fn: BuildTarget, files: list[SourceFile], *, cache_dir: Path, options: BuildOptions
) -> Artifact:
    unzipped = checks.check_unzipped(fn, {f.name: f.size for f in files}, options.limits)
    entries = {f.name: f.executable for f in files}
    checks.check_handler(fn, entries)
    manifest = _manifest_path(cache_dir, files)
    cached = _from_manifest(manifest, cache_dir)
    if cached is None:
        cached = _write_artifact(files, cache_dir, options)
        if _settled(files):
            _record(manifest, cached)
    path = _artifact_path(cache_dir, cached.hexdigest)
    return _artifact(path, "zip", cached.size, cached.hexdigest, unzipped, options, entries)


def read_artifact(path: Path, fn: BuildTarget, *, options: BuildOptions | None = None) -> Artifact:
    """A built `.zip` or `.jar` (`source`, or `push --artifact FILE`), checked like a build and
    for hostile entries (`zipcheck`) without extracting anything."""
    options = options or BuildOptions()
    try:
        data = read_at_most(path, options.limits.unzipped)
    except OSError as exc:
        raise BuildError(f"cannot read artifact {path}: {exc.strerror or exc}") from None
    if len(data) > options.limits.unzipped:
        raise BuildError(
            f"{path} is over {human_size(options.limits.unzipped)}, Lambda's limit for "
            "a whole unzipped package",
            hint="drop unused dependencies or files, or use a container image",
        )
    infos = zipcheck.zip_entries(path, data)
    sizes = {i.filename: i.file_size for i in infos}
    unzipped = checks.check_unzipped(fn, sizes, options.limits)
    executable = {i.filename: bool((i.external_attr >> 16) & 0o111) for i in infos}
    checks.check_handler(fn, executable, archive=data)
    kind = "jar" if path.suffix.lower() == ".jar" else "zip"
    hexdigest = hashlib.sha256(data).hexdigest()
    return _artifact(path, kind, len(data), hexdigest, unzipped, options, executable)


def _artifact(
    path: Path,
    kind: str,
    size: int,
    hexdigest: str,
    unzipped: int,
    options: BuildOptions,
    entries: Mapping[str, bool],
) -> Artifact:
    return Artifact(
        path=path,
        size=size,
        code_sha256=base64.b64encode(bytes.fromhex(hexdigest)).decode("ascii"),
        hexdigest=hexdigest,
        kind="jar" if kind == "jar" else "zip",
        image_uri=None,
        unzipped_size=unzipped,
        needs_s3=size > options.limits.direct_upload,
        entries=dict(entries),
    )


def _artifact_path(cache_dir: Path, hexdigest: str) -> Path:
    return cache_dir / "artifacts" / f"{hexdigest}.zip"


def _write_artifact(files: list[SourceFile], cache_dir: Path, options: BuildOptions) -> ZipResult:
    folder = cache_dir / "artifacts"
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".building-", suffix=".zip", dir=folder)
    try:
        with os.fdopen(fd, "wb") as out:
            result = write_zip(files, out, workers=options.workers)
        os.replace(tmp, _artifact_path(cache_dir, result.hexdigest))
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return result


def _manifest_path(cache_dir: Path, files: list[SourceFile]) -> Path:
    """Where the result of zipping exactly these files (by path, size, mtime, mode) is recorded."""
    rows = [[f.name, str(f.path), f.size, f.mtime_ns, f.executable] for f in files]
    key = hashlib.sha256(json.dumps([MANIFEST_VERSION, rows]).encode()).hexdigest()
    return cache_dir / "manifests" / f"{key}.json"


def _from_manifest(manifest: Path, cache_dir: Path) -> ZipResult | None:
    try:
        record = json.loads(manifest.read_text(encoding="utf-8"))
        result = ZipResult(int(record["size"]), str(record["hexdigest"]), int(record["unzipped"]))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    artifact = _artifact_path(cache_dir, result.hexdigest)
    try:
        if artifact.stat().st_size == result.size:
            return result
    except OSError:
        pass
    return None


def _record(manifest: Path, result: ZipResult) -> None:
    record = {"size": result.size, "hexdigest": result.hexdigest, "unzipped": result.unzipped_size}
    write_atomically(manifest, json.dumps(record))


def _settled(files: list[SourceFile]) -> bool:
    """No file changed so recently that a further change could keep its size and mtime."""
    newest = max((f.mtime_ns for f in files), default=0)
    return time.time_ns() - newest > _RACY_SECONDS * 1_000_000_000
