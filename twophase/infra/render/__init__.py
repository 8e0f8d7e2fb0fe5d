"""Phase one's CloudFormation template, rendered from the config (pure and deterministic)."""

from twophase.infra.render.function import DummyCode
from twophase.infra.render.template import dump_template, parameter_values, render_template

__all__ = ["DummyCode", "dump_template", "parameter_values", "render_template"]
