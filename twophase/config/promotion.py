"""The `promotion:` key of twophase.yml (per function and under `defaults`): its input schema and
how the defaults apply.

A gradual promotion (`alias promote --canary/--linear`) runs as a CodeDeploy deployment that
watches alarms during the whole shift and rolls back when one fires, and may invoke hook
functions before and after it moves traffic. Phase one renders each function's deployment group
with the alarms it generates (`twophase.config.alarms`: the function's Lambda `Errors`; an HTTP
function's API 5xx) plus the ones named here. Private to the config package, like
`twophase.config.schema`.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from twophase.config import model, rules
from twophase.config.alarms import MAX_GROUP_ALARMS

MAX_ALARM_NAME = 255  # CloudWatch's limit

AlarmName = Annotated[str, Field(min_length=1, max_length=MAX_ALARM_NAME)]
FunctionName = Annotated[str, Field(min_length=1)]  # checked against `functions:` (checks)
HOOK_KEYS = ("before_traffic", "after_traffic")


def _unique(alarms: list[str]) -> list[str]:
    rules.check_unique(alarms, "alarm")
    return alarms


class Promotion(BaseModel):
    """Gradual promotion (`alias promote --canary/--linear`, run by CodeDeploy): what stops it and
    what checks it."""

    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)

    alarms: Annotated[list[AlarmName], AfterValidator(_unique)] = Field(
        default_factory=list,
        max_length=MAX_GROUP_ALARMS - 1,
        description="CloudWatch alarm names that stop a gradual promotion and roll it back, "
        "besides the generated ones (the function's Lambda Errors; an HTTP function's API 5xx). "
        "A deployment group watches at most 10 alarms in all.",
    )
    before_traffic: FunctionName | None = Field(
        default=None,
        description="A function of this file that CodeDeploy invokes before it shifts any "
        "traffic (BeforeAllowTraffic); it reports Succeeded or Failed with "
        "PutLifecycleEventHookExecutionStatus, and Failed rolls the promotion back.",
    )
    after_traffic: FunctionName | None = Field(
        default=None,
        description="A function of this file that CodeDeploy invokes once all traffic has "
        "shifted (AfterAllowTraffic); it reports as before_traffic does.",
    )

    def to_model(self) -> model.Promotion:
        return model.Promotion(tuple(self.alarms), self.before_traffic, self.after_traffic)


def resolved(function: str, own: Promotion | None, defaults: Promotion) -> model.Promotion:
    """A function's promotion: each key it sets itself (`null` included: no hook), else the
    default's. A hook named under `defaults` is no hook of the function it names: a function
    never checks its own promotion."""
    given = own.model_fields_set if own is not None else set()
    alarms = own.alarms if own is not None and "alarms" in given else defaults.alarms
    hooks: dict[str, str | None] = {}
    for key in HOOK_KEYS:
        if own is not None and key in given:
            hooks[key] = getattr(own, key)
        else:
            default = getattr(defaults, key)
            hooks[key] = None if default == function else default
    return model.Promotion(tuple(alarms), hooks["before_traffic"], hooks["after_traffic"])
