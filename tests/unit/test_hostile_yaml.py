"""twophase.yml (and the shared template it names) cannot hang twophase.

Alias bombs, deep nesting and oversized files are refused in one line naming the problem, exit 2,
before anything is expanded or read whole; ordinary anchors and aliases keep working.
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from twophase.cli.main import run
from twophase.config.cache import load_cached
from twophase.config.limits import MAX_ALIAS_VALUES, MAX_CONFIG_BYTES, MAX_DEPTH
from twophase.config.load import load_config
from twophase.config.template import load_template
from twophase.config.yamlnodes import YamlProblem, load_yaml
from twophase.errors import ConfigError, ExitStatus

HEAD = """\
app: shop
environments:
  local: { endpoint: local }
functions:
  api:
    handler: app.handler
    source: api
"""


def billion_laughs() -> str:
    """The classic: nine levels of nine aliases, under a kilobyte (the probe's was 643 bytes),
    9**9 strings once expanded."""
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, cur in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{cur}: &{cur} [" + ", ".join([f"*{prev}"] * 9) + "]")
    return "\n".join(lines) + "\n"


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "api").mkdir()
    (tmp_path / "api/app.py").write_text("def handler(e, c):\n    return 1\n")
    return tmp_path


def refused(path: Path) -> str:
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert "\n" not in message
    assert caught.value.exit_status == ExitStatus.USAGE
    return message


def test_an_alias_bomb_is_refused_within_a_second(project: Path) -> None:
    """A hang guard, not a performance target (STYLE forbids timed perf assertions): this file
    once took 5 GB and two minutes; refusing it takes milliseconds. The bound is generous (5 s,
    for the promised 1 s) so that a slow machine never fails it."""
    text = billion_laughs()
    assert len(text.encode()) < 1024
    path = project / "twophase.yml"
    path.write_text(text)

    started = time.monotonic()
    message = refused(path)
    elapsed = time.monotonic() - started

    assert elapsed < 5
    assert message.startswith(f"{path} (line ")
    assert (
        f"aliases expand to more than {MAX_ALIAS_VALUES:,} values (a YAML alias bomb?)" in message
    )


def test_the_cli_refuses_an_alias_bomb_with_exit_2_in_one_line(
    project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = project / "twophase.yml"
    path.write_text(billion_laughs())

    started = time.monotonic()
    code = run(["-c", str(path), "push", "api"])
    elapsed = time.monotonic() - started

    err = capsys.readouterr().err
    assert code == ExitStatus.USAGE
    assert err.count("\n") == 1 and "alias bomb" in err
    assert elapsed < 5  # a hang guard, as above


def test_an_alias_bomb_inside_a_valid_key_is_refused_too(project: Path) -> None:
    bomb = "".join(f"      - &l{i} [" + ", ".join([f"*l{i - 1}"] * 9) + "]\n" for i in range(1, 9))
    path = project / "twophase.yml"
    path.write_text(HEAD + "    owners:\n      - &l0 x\n" + bomb)

    assert "alias bomb" in refused(path)


def test_an_alias_bomb_in_the_shared_template_is_refused(project: Path) -> None:
    template = project / "shared.yaml"
    template.write_text(
        "Resources:\n  Q: { Type: AWS::SQS::Queue }\nMetadata:\n"
        + "".join("  " + line + "\n" for line in billion_laughs().splitlines())
    )

    with pytest.raises(ConfigError, match="alias bomb"):
        load_template(template)


def test_a_value_that_holds_itself_through_an_alias_is_refused(project: Path) -> None:
    path = project / "twophase.yml"
    path.write_text(HEAD + "    owners: &o [*o]\n")

    assert "(line 8): an alias refers to a value that contains it" in refused(path)


def test_ordinary_anchors_and_aliases_keep_working(project: Path) -> None:
    shared = """\
    environment: &env { TABLE: orders, MODE: fast }
    policies: &policies
      - { Effect: Allow, Action: "sqs:SendMessage", Resource: "*" }
      - { Effect: Allow, Action: "s3:GetObject", Resource: "*" }
"""
    others = "".join(
        f"  fn{i}:\n    handler: app.handler\n    source: api\n"
        "    environment: *env\n    policies: *policies\n"
        for i in range(200)
    )
    path = project / "twophase.yml"
    path.write_text(HEAD + shared + others)

    config = load_config(path)

    assert config.functions["fn199"].environment == {"TABLE": "orders", "MODE": "fast"}
    assert config.functions["fn199"].policies == config.functions["api"].policies
    assert len(config.functions) == 201


def test_many_aliases_below_the_limit_are_fine() -> None:
    text = "a: &a [1, 2, 3, 4, 5, 6, 7, 8, 9]\nb: [" + ", ".join(["*a"] * 9000) + "]\n"

    data, _ = load_yaml(text)

    assert len(data["b"]) == 9000


def nested(depth: int) -> str:
    return "    owners: " + "[" * depth + "x" + "]" * depth + "\n"


def test_nesting_deeper_than_the_limit_is_refused(project: Path) -> None:
    path = project / "twophase.yml"
    path.write_text(HEAD + nested(MAX_DEPTH + 10))

    assert f"(line 8): nested more than {MAX_DEPTH} levels deep" in refused(path)


def test_absurd_nesting_is_a_yaml_error_not_a_crash(project: Path) -> None:
    path = project / "twophase.yml"
    path.write_text(HEAD + nested(100_000))

    message = refused(path)

    assert "(line 8): YAML syntax error" in message or "nested more than" in message


def test_nesting_up_to_the_limit_is_read() -> None:
    data, _ = load_yaml("a: " + "[" * (MAX_DEPTH - 1) + "1" + "]" * (MAX_DEPTH - 1))

    for _ in range(MAX_DEPTH):
        data = data["a"] if isinstance(data, dict) else data[0]
    assert data == 1


def test_deep_block_nesting_without_libyaml_limits_is_refused() -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(300)) + " " * 300 + "v\n"

    with pytest.raises(YamlProblem, match="nested more than"):
        load_yaml(text)


def test_an_oversized_config_is_refused_before_it_is_parsed(project: Path) -> None:
    path = project / "twophase.yml"
    path.write_text(HEAD + ("# padding\n" * (MAX_CONFIG_BYTES // 10 + 1)))

    message = refused(path)

    assert message.startswith(f"{path}: over 1 MB, the limit for a config file")


def test_an_oversized_config_is_refused_on_the_cached_path_too(project: Path) -> None:
    path = project / "twophase.yml"
    path.write_bytes(HEAD.encode() + b"#" * (50 * 1024 * 1024))

    with pytest.raises(ConfigError, match="over 1 MB, the limit for a config file"):
        load_cached(path)


def test_an_oversized_shared_template_is_refused_naming_the_template_key(project: Path) -> None:
    (project / "shared.yaml").write_bytes(b"Resources: {}\n" + b"#" * (2 * 1024 * 1024))
    path = project / "twophase.yml"
    path.write_text("template: shared.yaml\n" + HEAD)

    message = refused(path)

    assert f"{path}: template (line 1): 'shared.yaml' is over 1 MB" in message
    with pytest.raises(ConfigError, match="over 1 MB, the limit for a template"):
        load_template(project / "shared.yaml")


def test_a_config_that_is_a_device_or_a_pipe_is_refused_without_waiting(project: Path) -> None:
    zero = project / "zero.yml"
    zero.symlink_to("/dev/zero")
    pipe = project / "pipe.yml"
    os.mkfifo(pipe)

    for path in (zero, pipe):
        assert "is not a regular file" in refused(path)
        with pytest.raises(ConfigError, match="is not a regular file"):
            load_cached(path)


def test_a_shared_template_that_is_a_device_is_refused(project: Path) -> None:
    (project / "shared.yaml").symlink_to("/dev/zero")
    path = project / "twophase.yml"
    path.write_text("template: shared.yaml\n" + HEAD)

    message = refused(path)

    assert "shared.yaml" in message and "regular file" in message
