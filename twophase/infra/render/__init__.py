"""Phase one's CloudFormation template, rendered whole from the config (pure and deterministic)."""

from twophase.infra.render.body import Deployable, LiveState, build_dummies, render
from twophase.infra.render.function import DummyCode
from twophase.infra.render.template import (
    dump_template,
    parameter_values,
    render_template,
    stack_tags,
)

__all__ = [
    "Deployable",
    "DummyCode",
    "LiveState",
    "build_dummies",
    "dump_template",
    "parameter_values",
    "render",
    "render_template",
    "stack_tags",
]
