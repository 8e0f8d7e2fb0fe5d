"""The alarms a gradual promotion watches, as far as the config decides them: which ones phase one
generates for a function, and how many CodeDeploy watches at most.

Phase one's template (`twophase.infra.render.codedeploy`), phase two's promotion
(`twophase.release.promote_plan`) and the config checks ask this module; `twophase.names` names
each alarm. It imports neither YAML nor pydantic: a promotion from the cached config loads neither.
"""

from __future__ import annotations

from typing import Literal

from twophase.config.model import Function

# CodeDeploy watches at most 10 alarms per deployment group (the generated ones included) or per
# deployment (the alarms it watches instead of its group's).
MAX_GROUP_ALARMS = 10

GeneratedAlarm = Literal["errors", "http_5xx"]


def generated_alarms(fn: Function) -> tuple[GeneratedAlarm, ...]:
    """The alarms phase one generates on the function's deployment group, in the template's
    order: one on its Lambda `Errors`, and for an HTTP function one on its API's `5xx`."""
    return ("errors", "http_5xx") if fn.trigger_kind == "http" else ("errors",)
