"""What phase one sends CloudFormation: the whole template's text and its parameter values.

`infra render`, `infra plan` and `infra up` all call `render`, so what is shown is what deploys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from twophase.config.model import Config
from twophase.infra.render.function import DummyCode
from twophase.infra.render.template import dump_template, parameter_values, render_template

if TYPE_CHECKING:
    from twophase.dummies import DummyArtifact


@dataclass(frozen=True)
class LiveState:
    """What phase one reads of phase two's state before rendering (see twophase.infra.traffic)."""

    new_aliases: Mapping[str, Mapping[str, Mapping[str, Any]]] = field(default_factory=dict)
    serving_code: frozenset[str] = frozenset()  # functions whose serving alias serves pushed code


def build_dummies(config: Config) -> dict[str, DummyArtifact]:
    """Each zip function's dummy artifact (image functions have none), built in memory."""
    from twophase.dummies import dummy_artifact

    return {
        name: dummy_artifact(fn.runtime, fn.handler)
        for name, fn in sorted(config.functions.items())
        if fn.image is None
    }


def render(
    config: Config,
    env: str,
    bucket: str,
    dummies: Mapping[str, DummyArtifact],
    deployed: Mapping[str, Any] | None,
    live: LiveState | None = None,
) -> tuple[str, dict[str, str]]:
    """The template's text for `env`, with the dummies staged in `bucket`, and the values of the
    shared template's parameters."""
    codes = {n: DummyCode(bucket, d.key, d.code_sha256) for n, d in dummies.items()}
    live = live or LiveState()
    template = render_template(
        config,
        env,
        dummies=codes,
        artifact_bucket=bucket,
        deployed=deployed,
        new_aliases=live.new_aliases,
        serving_code=live.serving_code,
    )
    return dump_template(template), parameter_values(config, env)
