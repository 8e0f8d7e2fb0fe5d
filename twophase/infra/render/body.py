"""What phase one sends CloudFormation: the whole template's text and its parameter values.

`infra render`, `infra plan` and `infra up` all call `render`, so what is shown is what deploys.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from twophase.config.model import Config
from twophase.infra.render.function import DummyCode
from twophase.infra.render.nesting import Layout
from twophase.infra.render.template import parameter_values, render_layout

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


@dataclass(frozen=True)
class Deployable:
    """What phase one sends: the root stack's template text and parameter values, and the nested
    children's templates to stage in the artifact bucket (by key) before any change set."""

    body: str
    parameters: dict[str, str]
    layout: Layout

    @property
    def template(self) -> dict[str, Any]:
        """The whole logical template (every stack's resources in one)."""
        return self.layout.whole

    @property
    def nested(self) -> dict[str, str]:
        """Each child template's text, by the artifact bucket key its TemplateURL names."""
        return {c.key: c.text for c in self.layout.children.values()}


def render(
    config: Config,
    env: str,
    bucket: str,
    dummies: Mapping[str, DummyArtifact],
    deployed: Mapping[str, Any] | None,
    live: LiveState | None = None,
) -> Deployable:
    """The templates for `env`, with the dummies staged in `bucket`, and the values of the
    shared template's parameters. `deployed` is what runs (assembled, if it is nested)."""
    codes = {n: DummyCode(bucket, d.key, d.code_sha256) for n, d in dummies.items()}
    live = live or LiveState()
    layout = render_layout(
        config,
        env,
        dummies=codes,
        artifact_bucket=bucket,
        deployed=deployed,
        new_aliases=live.new_aliases,
        serving_code=live.serving_code,
    )
    return Deployable(layout.root_text, parameter_values(config, env), layout)
