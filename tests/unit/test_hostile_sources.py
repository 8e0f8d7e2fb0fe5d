"""Hostile source folders: links, secrets, `include:`, odd names (README, "What is packaged").

Nothing outside the project and no secret file is ever packaged: a link that leaves the project is
refused in one line naming it (exit 2), a secret is left out unless `.twophaseignore` re-includes
it, and `build -v` says what was left out and why. For a push, nothing reaches AWS.
"""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import pathspec
import pytest

from twophase.build import Artifact, build_artifact
from twophase.build.ignore import ALWAYS_IGNORED, SECRETS, AlwaysIgnored
from twophase.cli.main import run
from twophase.config.cache import from_json, load_cached, to_json
from twophase.config.load import load_config
from twophase.config.model import Function
from twophase.errors import BuildError, ConfigError, ExitStatus
from twophase.release.push import PushOptions, push
from twophase.reporter import NullReporter

from .test_push_plan import FakeStore, fresh_lambda, make_ctx

APP = "def handler(event, context):\n    return 1\n"


def function(
    project: Path, *, source: str = "services/api", include: tuple[str, ...] = ()
) -> Function:
    return Function(
        name="api",
        handler="app.handler",
        runtime="python3.12",
        source=project / source,
        image=None,
        architecture="arm64",
        memory=256,
        timeout=10,
        description=None,
        environment={},
        policies=(),
        owners=(),
        trigger=None,
        log_retention_days=14,
        include=tuple(project / i for i in include),
        project=project,
    )


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)


@pytest.fixture
def project(tmp_path: Path) -> Path:
    """A project (twophase.yml's folder) with one function, shared code, and a folder outside."""
    root = tmp_path / "project"
    write(root, {"services/api/app.py": APP, "shared/util.py": "U = 1\n", ".env": "KEY=1\n"})
    write(tmp_path, {"outside/secret.txt": "top secret\n"})
    return root


def build(project: Path, **kw: object) -> Artifact:
    return build_artifact(
        function(project, **kw),  # type: ignore[arg-type]
        cache_dir=project / ".twophase" / "cache",
        reporter=NullReporter(),
    )


def names(artifact: Artifact) -> list[str]:
    assert artifact.path is not None
    with zipfile.ZipFile(artifact.path) as archive:
        return archive.namelist()


def refused(project: Path, **kw: object) -> BuildError:
    with pytest.raises(BuildError) as caught:
        build(project, **kw)
    error = caught.value
    assert error.exit_status == ExitStatus.USAGE
    assert "\n" not in str(error)
    return error


# Links ------------------------------------------------------------------------------------------

INSIDE = [
    ("file, relative", "util.py", "../../shared/util.py", ["app.py", "util.py"]),
    ("folder, relative", "lib", "../../shared", ["app.py", "lib/util.py"]),
    ("file, absolute", "util.py", "{project}/shared/util.py", ["app.py", "util.py"]),
    ("folder, absolute", "lib", "{project}/shared", ["app.py", "lib/util.py"]),
]


@pytest.mark.parametrize(
    ("link", "target", "expected"), [c[1:] for c in INSIDE], ids=[c[0] for c in INSIDE]
)
def test_links_inside_the_project_are_followed(
    project: Path, link: str, target: str, expected: list[str]
) -> None:
    (project / "services/api" / link).symlink_to(target.format(project=project))

    artifact = build(project)

    assert names(artifact) == expected
    assert artifact.path is not None
    with zipfile.ZipFile(artifact.path) as archive:
        assert archive.read(expected[-1]) == b"U = 1\n"


OUTSIDE = [
    ("file, relative", "leak.txt", "../../../outside/secret.txt", "points outside the project"),
    ("file, absolute", "passwd", "/etc/passwd", "points outside the project, to /etc/passwd"),
    ("folder, relative", "ext", "../../../outside", "points outside the project"),
    ("folder, absolute", "ext", "{outside}", "points outside the project"),
    ("root folder", "root", "/", "points outside the project, to /"),
    ("dangling", "gone", "missing.py", "points to missing.py, which does not exist"),
    ("loop to itself", "self", ".", "a folder that contains it (a loop)"),
    ("loop to the project", "up", "../..", "a folder that contains it (a loop)"),
]


@pytest.mark.parametrize(
    ("link", "target", "message"), [c[1:] for c in OUTSIDE], ids=[c[0] for c in OUTSIDE]
)
def test_links_that_leave_the_project_dangle_or_loop_are_refused_naming_the_link(
    project: Path, link: str, target: str, message: str
) -> None:
    (project / "services/api" / link).symlink_to(target.format(outside=project.parent / "outside"))

    error = refused(project)

    assert str(error).startswith(f"api: link services/api/{link} ")
    assert message in str(error)
    assert not (project / ".twophase/cache/artifacts").exists() or not any(
        (project / ".twophase/cache/artifacts").iterdir()
    )


def test_a_chain_of_links_that_loops_is_refused(project: Path) -> None:
    (project / "services/api/a").symlink_to("b")
    (project / "services/api/b").symlink_to("a")

    error = refused(project)

    assert "api: link services/api/a points to b, which is a loop of links" in str(error)


def test_a_link_deep_inside_a_linked_folder_is_checked_too(project: Path) -> None:
    (project / "shared/leak").symlink_to(project.parent / "outside/secret.txt")
    (project / "services/api/lib").symlink_to("../../shared")

    error = refused(project)

    assert "api: link services/api/lib/leak points outside the project" in str(error)


def test_a_source_folder_that_is_a_link_out_of_the_project_is_refused(project: Path) -> None:
    (project / "services/ext").symlink_to(project.parent / "outside")

    error = refused(project, source="services/ext")

    assert "api: services/ext/ is outside the project" in str(error)


def test_left_out_links_are_never_followed(project: Path) -> None:
    """A virtualenv's interpreter links out of the project; a left-out name is not even read."""
    venv = project / "services/api/.venv/bin"
    venv.mkdir(parents=True)
    (venv / "python").symlink_to("/usr/bin/python3")
    (project / "services/api/.env").symlink_to("/etc/passwd")

    artifact = build(project)

    assert names(artifact) == ["app.py"]
    left = {e.name: e.reason for e in artifact.excluded}
    assert left == {".env": "secret rule .env*", ".venv/": "not code (.venv/)"}


def test_a_link_to_a_secret_of_the_project_is_left_out_like_the_secret(project: Path) -> None:
    (project / "services/api/config").symlink_to("../../.env")
    (project / ".aws").mkdir()
    (project / ".aws/credentials").write_text("[default]\n")
    (project / "services/api/creds").symlink_to("../../.aws")

    artifact = build(project)

    assert names(artifact) == ["app.py"]
    reasons = {e.name: e.reason for e in artifact.excluded}
    assert reasons["config"] == "link to .env, a secret (rule .env*)"
    assert reasons["creds/"] == "link to .aws/, a secret (rule .aws/)"


# Secrets ----------------------------------------------------------------------------------------

SECRET_FILES = {
    ".env": ".env*",
    ".env.production": ".env*",
    "config/.envrc": ".env*",
    ".aws/credentials": ".aws/",
    ".ssh/config": ".ssh/",
    "id_rsa": "id_rsa*",
    "keys/id_rsa.pub": "id_rsa*",
    "id_dsa": "id_dsa*",
    "id_ecdsa": "id_ecdsa*",
    "id_ed25519": "id_ed25519*",
    "tls/server.pem": "*.pem",
    "tls/server.key": "*.key",
    "client.p12": "*.p12",
    "client.pfx": "*.pfx",
    ".npmrc": ".npmrc",
    ".pypirc": ".pypirc",
    ".netrc": ".netrc",
    ".git-credentials": ".git-credentials",
    ".git/config": ".git/",
    ".twophase/cache/config.json": "/.twophase/",
    "node_modules/.cache/babel/x.json": "**/node_modules/.cache/",
}


@pytest.mark.parametrize(("secret", "rule"), SECRET_FILES.items(), ids=list(SECRET_FILES))
def test_secrets_are_never_packaged_by_default(project: Path, secret: str, rule: str) -> None:
    write(project / "services/api", {secret: "s3cr3t\n"})

    artifact = build(project)

    assert names(artifact) == ["app.py"]
    top = secret.split("/")[0]
    (left,) = [e for e in artifact.excluded if e.name in (secret, f"{top}/") or rule in e.reason]
    assert left.reason == f"secret rule {rule}"


def test_twophaseignore_re_includes_a_secret_on_purpose(project: Path) -> None:
    write(
        project / "services/api",
        {
            ".env.example": "KEY=\n",
            ".env": "KEY=1\n",
            "certs/ca.pem": "CA\n",
            ".twophaseignore": "# public certificates ship\n!.env.example\n!certs/*.pem\n",
        },
    )

    artifact = build(project)

    assert names(artifact) == [".env.example", "app.py", "certs/ca.pem"]
    assert {e.name: e.reason for e in artifact.excluded} == {
        ".env": "secret rule .env*",
        ".twophaseignore": "not code (/.twophaseignore)",
    }


def test_the_ignore_file_is_named_with_its_line_when_it_leaves_something_out(
    project: Path,
) -> None:
    write(project / "services/api", {"tests/test_app.py": "", ".twophaseignore": "\ntests/\n"})

    artifact = build(project)

    assert names(artifact) == ["app.py"]
    assert [(e.name, e.reason) for e in artifact.excluded][-1] == (
        "tests/",
        ".twophaseignore line 2: tests/",
    )


def test_a_folder_re_included_whole_ships_its_files(project: Path) -> None:
    write(project / "services/api", {".aws/config": "x\n", ".twophaseignore": "!.aws/\n"})

    assert names(build(project)) == [".aws/config", "app.py"]


def test_installed_dependencies_keep_their_pem_files(project: Path) -> None:
    """certifi's cacert.pem is code, not a secret: the secret rules are the project's only."""
    assert AlwaysIgnored(secrets=False).rule("certifi/cacert.pem") is None
    assert AlwaysIgnored().rule("certifi/cacert.pem") == "*.pem"


PATHS = [
    *SECRET_FILES,
    *(f"{name}/" for name in SECRET_FILES),
    "sub/.env",
    "sub/.aws/",
    "sub/.aws",
    "env",
    "my.env",
    "x/.twophase/",
    "node_modules/.cache",
    "node_modules/.cache/",
    "a/node_modules/.cache/b",
    ".cache/",
    "keyring.py",
    "id_rsa_helper.py",
    "app.key.py",
]


@pytest.mark.parametrize("path", PATHS)
def test_the_fixed_rules_match_like_gitignore(path: str) -> None:
    reference = pathspec.GitIgnoreSpec.from_lines(ALWAYS_IGNORED)

    assert AlwaysIgnored().match_file(path) == reference.match_file(path)


def test_the_secret_list_is_the_documented_one() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "packaging.md").read_text()
    for rule in SECRETS:
        assert f"`{rule}`" in doc, rule


# build -v and push ------------------------------------------------------------------------------

CONFIG = """\
app: shop
environments:
  local: { endpoint: local }
functions:
  api:
    handler: app.handler
    source: services/api
    include: [shared/]
"""


def test_build_verbose_lists_what_was_left_out_and_why(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "twophase.yml").write_text(CONFIG)
    write(project / "services/api", {".env": "K=1\n", "notes.md": "", ".twophaseignore": "*.md\n"})
    (project / "services/api/config").symlink_to("../../.env")

    code = run(["-c", str(project / "twophase.yml"), "-v", "build", "api"])

    err = capsys.readouterr().err
    assert code == 0, err
    assert "api: left out .env (secret rule .env*)" in err
    assert "api: left out notes.md (.twophaseignore line 1: *.md)" in err
    assert "api: left out config (link to .env, a secret (rule .env*))" in err


def test_a_refused_link_fails_the_cli_in_one_line_with_exit_2(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    (project / "twophase.yml").write_text(CONFIG)
    (project / "services/api/passwd").symlink_to("/etc/passwd")

    code = run(["-c", str(project / "twophase.yml"), "build", "api"])

    err = capsys.readouterr().err
    assert code == ExitStatus.USAGE
    assert err.count("\n") == 1
    assert err.startswith("error: api: link services/api/passwd points outside the project")


def test_a_push_of_a_leaking_folder_reaches_nothing(project: Path, tmp_path: Path) -> None:
    (project / "services/api/passwd").symlink_to("/etc/passwd")
    lam, store = fresh_lambda(), FakeStore()
    ctx = make_ctx(tmp_path, lam, store=store)

    report = push(ctx, PushOptions(functions=("api",)), lambda _: build(project))

    (outcome,) = report.outcomes
    assert isinstance(outcome.error, BuildError)
    assert report.exit_status == ExitStatus.USAGE
    assert lam.writes == [] and lam.reads == []
    assert store.objects == {}


# include: ---------------------------------------------------------------------------------------


def test_included_paths_land_at_their_path_in_the_project(project: Path) -> None:
    write(project, {"lib/util.py": "L = 1\n", "shared/.env": "K=1\n", "shared/__pycache__/x": ""})

    artifact = build(project, include=("shared/", "lib/util.py"))

    assert names(artifact) == ["app.py", "lib/util.py", "shared/util.py"]
    assert {e.name for e in artifact.excluded} == {"shared/.env", "shared/__pycache__/"}


def test_an_included_name_clashing_with_the_functions_own_file_is_refused(project: Path) -> None:
    write(project / "services/api", {"shared/util.py": "mine\n"})

    error = refused(project, include=("shared",))

    assert str(error).startswith(
        "api: shared/util.py is both the function's own services/api/shared/util.py and the "
        "included shared/util.py"
    )


def test_an_included_secret_is_refused_rather_than_silently_dropped(project: Path) -> None:
    write(project, {".aws/credentials": "[default]\n"})

    error = refused(project, include=(".env",))
    folder = refused(project, include=(".aws",))

    assert "api: include .env is left out of the artifact (secret rule .env*)" in str(error)
    assert "api: include .aws is left out of the artifact (secret rule .aws/)" in str(folder)


def test_an_included_link_out_of_the_project_is_refused(project: Path) -> None:
    (project / "vendor").symlink_to(project.parent / "outside")

    error = refused(project, include=("vendor",))

    assert "api: vendor/ is outside the project" in str(error)


def config_with(project: Path, lines: str) -> Path:
    path = project / "twophase.yml"
    path.write_text(CONFIG.replace("    include: [shared/]\n", lines))
    return path


BAD_INCLUDES = [
    ("parent", "    include: [../outside]\n", "'../outside' is not inside the project"),
    ("absolute", "    include: [/etc]\n", "'/etc' must be a path relative to this file"),
    ("missing", "    include: [nope/]\n", "'nope/' does not exist"),
    ("the project", "    include: [.]\n", "'.' is not inside the project"),
    ("inside source", "    include: [services/api/app.py]\n", "packaged already"),
    ("not a list", "    include: shared/\n", "must be a list"),
]


@pytest.mark.parametrize(
    ("lines", "message"), [c[1:] for c in BAD_INCLUDES], ids=[c[0] for c in BAD_INCLUDES]
)
def test_bad_includes_are_config_errors_with_path_and_line(
    project: Path, lines: str, message: str
) -> None:
    path = config_with(project, lines)

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    assert f"{path}: functions.api.include" in str(caught.value)
    assert "(line 8)" in str(caught.value)
    assert message in str(caught.value)
    assert caught.value.exit_status == ExitStatus.USAGE


def test_an_include_that_links_out_of_the_project_is_a_config_error(project: Path) -> None:
    (project / "vendor").symlink_to(project.parent / "outside")
    path = config_with(project, "    include: [vendor]\n")

    with pytest.raises(ConfigError, match=r"include\[0\] \(line 8\): 'vendor' leads outside"):
        load_config(path)


def test_links_in_a_source_named_outside_the_project_may_not_leave_it(project: Path) -> None:
    """A source the config names outside the project (`../x`) is the user's choice; a link in it
    is held to that folder."""
    outside = project.parent / "outside"
    write(outside, {"app.py": APP})

    assert names(build(project, source="../outside")) == ["app.py", "secret.txt"]
    (outside / "link").symlink_to(project / "shared/util.py")

    error = refused(project, source="../outside")

    assert "api: link ../outside/link points outside its source folder" in str(error)


def test_include_reaches_the_build_through_the_config_and_its_cache(
    project: Path,
) -> None:
    path = config_with(project, "    include: [shared/, .env.d/x.txt]\n")
    write(project, {".env.d/x.txt": "x\n", ".twophaseignore": ""})
    write(project / "services/api", {".twophaseignore": "!.env.d/\n"})

    first = load_cached(path)
    cached = load_cached(path)  # from .twophase/cache/config.json
    spec = cached.function("api")

    assert first.function("api") == spec
    assert spec.include == (project / "shared", project / ".env.d/x.txt")
    assert spec.project == project
    assert from_json(to_json(first), path).function("api") == spec
    artifact = build_artifact(spec, cache_dir=project / ".twophase/cache", reporter=NullReporter())
    assert names(artifact) == [".env.d/x.txt", "app.py", "shared/util.py"]


# Names with path or shell characters ------------------------------------------------------------

BAD_NAMES = ["../evil", "a/b", "a;rm -rf ~", "$(id)", "`id`", "a b", "API", "-x"]


@pytest.mark.parametrize("name", BAD_NAMES)
def test_function_names_with_path_or_shell_characters_are_refused(project: Path, name: str) -> None:
    path = project / "twophase.yml"
    path.write_text(CONFIG.replace("  api:\n", f"  {name!r}:\n").replace("    include:", "    #"))

    with pytest.raises(ConfigError) as caught:
        load_config(path)

    message = str(caught.value)
    assert "\n" not in message
    assert "(line 5)" in message and "is not a valid name" in message


def test_a_source_folder_named_with_shell_characters_is_only_a_name(project: Path) -> None:
    odd = "svc $(touch pwned); `id` & x"
    write(project / odd, {"app.py": APP, "a;b|c.py": ""})

    artifact = build(project, source=odd)

    assert names(artifact) == ["a;b|c.py", "app.py"]
    assert not any(p.name == "pwned" for p in project.parent.rglob("pwned"))
    assert not os.path.exists("pwned")
