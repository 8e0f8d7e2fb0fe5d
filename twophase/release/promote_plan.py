"""The plan of a gradual promotion: a CodeDeploy deployment to start, or one to attach to.

A new deployment names its configuration (AWS's predefined one for the schedule, else the custom
one named after it, created when missing and checked to say that schedule when present), the
alarms CodeDeploy watches (the deployment group's, and `--alarm`'s, each checked to exist before
anything starts) and the hooks from twophase.yml. Attaching takes the deployment as it runs, and
refuses one that shifts the alias to another version than asked.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from twophase import names
from twophase.aws.codedeploy import CodeDeployMissing, Deployment, DeploymentConfig
from twophase.config.alarms import MAX_GROUP_ALARMS, GeneratedAlarm, generated_alarms
from twophase.errors import ConflictError, PreconditionError, UsageError
from twophase.release.shift import ROUTING_TYPES, Schedule, predefined_config

if TYPE_CHECKING:
    from twophase.release.context import Scope
    from twophase.release.ports import Deployments
    from twophase.release.promote import PromoteDeps, PromotePlan

HOOK_EVENTS = ("BeforeAllowTraffic", "AfterAllowTraffic")
_ALARM_NAMES: dict[GeneratedAlarm, Callable[[str, str, str], str]] = {
    "errors": names.errors_alarm_name,
    "http_5xx": names.http_errors_alarm_name,
}


class ConfigMismatch(PreconditionError):
    """A deployment configuration named after a schedule says another one."""


@dataclass(frozen=True)
class Group:
    """The function's CodeDeploy deployment group and its application (phase one makes both)."""

    application: str
    name: str

    @classmethod
    def of(cls, scope: Scope, function: str) -> Group:
        app, env = scope.config.app, scope.env
        return cls(
            names.codedeploy_application(app, env),
            names.deployment_group_name(app, env, function),
        )

    def active(self, deployments: Deployments, *, required: bool) -> Deployment | None:
        """The group's deployment under way, if any. A group that does not exist has none; it is
        an error only where the group is `required` (a gradual promotion, or stopping one)."""
        try:
            ids = deployments.active_deployments(self.application, self.name)
        except CodeDeployMissing:
            if required:
                raise
            return None
        return deployments.get_deployment(ids[0]) if ids else None


@dataclass(frozen=True)
class GradualPlan:
    """`base` says what moves (function, alias, versions, the alias's history afterwards)."""

    base: PromotePlan
    group: Group
    config: str
    schedule: Schedule | None  # None: not a time-based configuration (or unknown)
    watched: tuple[str, ...]  # the alarms CodeDeploy watches, as far as twophase knows
    override: tuple[str, ...] = ()  # replaces the group's alarms for this deployment
    hooks: tuple[tuple[str, str], ...] = ()  # (lifecycle event, physical function name)
    create_config: bool = False
    attach: Deployment | None = None  # the deployment under way, to follow

    def describe(self) -> list[str]:
        b = self.base
        how = f"{self.config} ({self.schedule.describe()})" if self.schedule else self.config
        if self.attach is not None:
            return [
                f"attach to deployment {self.attach.deployment_id} under way: {b.alias} of "
                f"{b.physical} v{b.previous} → v{b.version} with {how}",
                "follow it to its end (Ctrl-C detaches: the shift goes on in CodeDeploy)",
            ]
        lines = []
        if self.create_config and self.schedule is not None:
            lines.append(
                f"create deployment configuration {self.config} ({self.schedule.describe()})"
            )
        lines.append(
            f"start a CodeDeploy deployment of {b.alias} of {b.physical}: v{b.previous} → "
            f"v{b.version} with {how}, group {self.group.name}"
        )
        lines += [f"{event} hook: {function}" for event, function in self.hooks]
        if self.watched:
            lines.append(
                f"CodeDeploy stops and rolls back when one of these alarms fires: "
                f"{', '.join(self.watched)}"
            )
        lines.append("follow it to its end (Ctrl-C detaches: the shift goes on in CodeDeploy)")
        return lines

    def appspec(self) -> str:
        """The AppSpec of the deployment: the alias, from the version it serves to the new one,
        and the hooks."""
        b = self.base
        resource = {
            "Type": "AWS::Lambda::Function",
            "Properties": {
                "Name": b.physical,
                "Alias": b.alias,
                "CurrentVersion": b.previous,
                "TargetVersion": b.version,
            },
        }
        spec: dict[str, object] = {"version": 0.0, "Resources": [{b.function: resource}]}
        if self.hooks:
            spec["Hooks"] = [{event: function} for event, function in self.hooks]
        return json.dumps(spec, separators=(",", ":"))


def gradual_plan(
    deps: PromoteDeps,
    base: PromotePlan,
    group: Group,
    wanted: Schedule,
    extra_alarms: tuple[str, ...],
) -> GradualPlan:
    """A new deployment: its configuration, alarms and hooks (reads only). `--alarm` past what
    CodeDeploy watches is refused before any alarm is read."""
    named = group_alarms(deps.scope, base.function)
    asked = dict.fromkeys((*named, *extra_alarms)) if extra_alarms else {}
    if len(asked) > MAX_GROUP_ALARMS:
        raise UsageError(
            f"{len(asked)} alarms for one deployment: CodeDeploy watches at most "
            f"{MAX_GROUP_ALARMS}",
            hint="name fewer with --alarm",
        )
    existing = _existing_alarms(deps, base.function, named, extra_alarms)
    override = tuple(dict.fromkeys((*existing, *extra_alarms))) if extra_alarms else ()
    config, create = _config(deps, wanted)
    return GradualPlan(
        base=base,
        group=group,
        config=config,
        schedule=wanted,
        watched=override or existing,
        override=override,
        hooks=_hooks(deps.scope, base.function),
        create_config=create,
    )


def attach_plan(
    deps: PromoteDeps, base: PromotePlan, group: Group, active: Deployment
) -> GradualPlan:
    """Follow the deployment under way, when it shifts what this promotion asks for."""
    target = active.target
    if target is None:
        raise unreadable_appspec(active, base.physical)
    if (target.function, target.alias, target.target_version) != (
        base.physical,
        base.alias,
        base.version,
    ):
        raise ConflictError(
            f"deployment {active.deployment_id} is shifting {target.alias} of {target.function} "
            f"to v{target.target_version}, not {base.alias} to v{base.version}",
            hint=f"follow it with `--version {target.target_version}`, or stop it: "
            "`twophase alias promote FUNCTION --stop`",
        )
    found = deps.deployments.get_config(active.config)
    return GradualPlan(
        base=_from_deployment(base, target.current_version),
        group=group,
        config=active.config,
        schedule=_schedule_of(found),
        watched=active.override_alarms or group_alarms(deps.scope, base.function),
        attach=active,
    )


def unreadable_appspec(active: Deployment, physical: str) -> ConflictError:
    """The deployment under way shifts something twophase cannot tell from its AppSpec."""
    return ConflictError(
        f"deployment {active.deployment_id} of {physical} is under way and its AppSpec is not "
        "one twophase can read",
        hint="wait for it to end, or stop it: `twophase alias promote FUNCTION --stop`",
    )


def _from_deployment(base: PromotePlan, current: str) -> PromotePlan:
    """The deployment shifts from `current`, whatever the alias serves meanwhile."""
    return replace(base, previous=current)


def _schedule_of(config: DeploymentConfig | None) -> Schedule | None:
    kinds = {routing: kind for kind, routing in ROUTING_TYPES.items()}
    if config is None or config.routing_type not in kinds or not config.minutes:
        return None
    return Schedule(kinds[config.routing_type], config.percent, config.minutes)


def _config(deps: PromoteDeps, wanted: Schedule) -> tuple[str, bool]:
    """The configuration for `wanted`, and whether it must be created first."""
    predefined = predefined_config(wanted)
    if predefined is not None:
        return predefined, False
    app, env = deps.scope.config.app, deps.scope.env
    name = names.deployment_config_name(app, env, wanted.kind, wanted.percent, wanted.minutes)
    found = deps.deployments.get_config(name)
    if found is None:
        return name, True
    check_config(found, wanted)
    return name, False


def check_config(found: DeploymentConfig, wanted: Schedule) -> None:
    """A configuration named after `wanted` must say `wanted` (somebody may have made it by
    hand): anything else would shift traffic on another schedule than asked."""
    says = (found.platform, found.routing_type, found.percent, found.minutes)
    if says != ("Lambda", wanted.routing_type, wanted.percent, wanted.minutes):
        raise ConfigMismatch(
            f"deployment configuration {found.name} says {found.describe()}, not "
            f"{wanted.routing_type} {wanted.percent}% every {wanted.minutes} min "
            f"({wanted.describe()})",
            hint="delete it (`aws deploy delete-deployment-config --deployment-config-name "
            f"{found.name}`) so that twophase creates it again, or pick another schedule",
        )


def group_alarms(scope: Scope, function: str) -> tuple[str, ...]:
    """The alarms phase one puts on the function's deployment group: its Lambda `Errors`, an
    HTTP function's API 5xx, and the ones twophase.yml names under `promotion: alarms:`."""
    app, env = scope.config.app, scope.env
    fn = scope.config.function(function)
    generated = [_ALARM_NAMES[alarm](app, env, function) for alarm in generated_alarms(fn)]
    return tuple(dict.fromkeys((*generated, *fn.promotion.alarms)))


def _existing_alarms(
    deps: PromoteDeps, function: str, named: tuple[str, ...], extra: tuple[str, ...]
) -> tuple[str, ...]:
    """The group's alarms that exist. A name twophase.yml or --alarm gives that no alarm has is
    a usage error, before anything starts (one read)."""
    configured = deps.scope.config.function(function).promotion.alarms
    states = deps.alarms.states([*named, *extra])
    where = f"(functions.{function}.promotion.alarms)"
    missing = [f"{a} (--alarm)" for a in extra if a not in states]
    missing += [f"{a} {where}" for a in configured if a not in states]
    if missing:
        raise UsageError(
            f"no CloudWatch alarm named {', '.join(dict.fromkeys(missing))}",
            hint="check the name (`aws cloudwatch describe-alarms`) and the region",
        )
    return tuple(a for a in named if a in states)


def _hooks(scope: Scope, function: str) -> tuple[tuple[str, str], ...]:
    """The AppSpec's hooks: the physical names of the functions twophase.yml names."""
    promotion = scope.config.function(function).promotion
    named = zip(HOOK_EVENTS, (promotion.before_traffic, promotion.after_traffic), strict=True)
    return tuple((event, scope.physical_name(hook)) for event, hook in named if hook)
