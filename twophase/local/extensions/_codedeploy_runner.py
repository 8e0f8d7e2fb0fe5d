"""Runs one Lambda deployment on a background thread of the embedded AWS, as CodeDeploy runs it.

Not an extension itself (no `install`); `codedeploy_lambda_deployments` starts it. The steps
(CodeDeploy user guide, "Deployments on an AWS Lambda compute platform" and "AppSpec 'hooks'
section for an AWS Lambda deployment"; the errors as GetDeployment reports them):

1. `InProgress`. The AppSpec's alias must exist and point at `CurrentVersion` alone, and
   `TargetVersion` must be another published version; otherwise the deployment is `Failed` with
   `INVALID_LAMBDA_CONFIGURATION` (or `INVALID_LAMBDA_FUNCTION`) and no target.
2. `BeforeAllowTraffic`: the hook function is invoked asynchronously with `{"DeploymentId",
   "LifecycleEventHookExecutionId"}` and must answer PutLifecycleEventHookExecutionStatus
   `Succeeded` within an hour; `Failed`, no answer, or a function that cannot be invoked fails
   the deployment (`HEALTH_CONSTRAINTS`). Without a hook the event is `Skipped`. CodeDeploy
   invokes the hook as the deployment group's service role: one its policies do not allow
   (`lambda:InvokeFunction` on the hook function) fails the event and the deployment (`Failed`,
   `IAM_ROLE_PERMISSIONS`; `_codedeploy_service_role`) before the function runs.
3. `AllowTraffic`: the alias's RoutingConfig gives the target version each step's share of the
   deployment configuration (`codedeploy_deployment_configs.traffic_steps`), waiting its
   interval, then the alias points at the target version alone. Each change to the alias is
   made as the deployment group's service role: one its policies do not allow fails the
   deployment (`Failed`, `IAM_ROLE_PERMISSIONS`; `_codedeploy_service_role`), the alias as it is.
4. `AfterAllowTraffic` as 2, then `Succeeded`.

From start to end the deployment group's alarms (if enabled) are watched: one in `ALARM` stops it
(`Stopped`, `ALARM_ACTIVE`). They are read as the service role: one that may not
`cloudwatch:DescribeAlarms` each of them fails the deployment (`Failed`, `IAM_ROLE_PERMISSIONS`),
unless the alarm configuration says `ignorePollAlarmFailure` (API reference, AlarmConfiguration:
"The deployment proceeds even if alarm status information can't be retrieved"), when the alarms
are not read; StopDeployment stops it too (`Stopped`, `MANUAL_STOP`). A failed or
stopped deployment is rolled back when its auto-rollback configuration names the event
(`DEPLOYMENT_FAILURE`, `DEPLOYMENT_STOP_ON_ALARM`, `DEPLOYMENT_STOP_ON_REQUEST`; StopDeployment's
`autoRollbackEnabled` decides for itself): the alias goes back to `CurrentVersion` alone through a
new deployment (`creator` `codeDeployRollback`), and both deployments' `rollbackInfo` name each
other; a service role that may not move the alias fails that deployment too. Without rollback
the alias stays as the deployment left it, weights included. Waits follow the embedded AWS's
time scale (`_time_scale`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from twophase.local.extensions._cfn_common import function_arn, split_function
from twophase.local.extensions._codedeploy_model import (
    DEPLOYMENTS_LOCK,
    AppSpec,
    HookExecution,
    InvalidAppSpec,
    LambdaDeployment,
    LambdaTarget,
    add_deployment,
    now,
)
from twophase.local.extensions._codedeploy_service_role import refusal
from twophase.local.extensions._iam_resources import alarm_arn
from twophase.local.extensions._time_scale import real_seconds

TICK = 0.05  # real seconds between checks of the alarms and of a stop request
HOOK_TIMEOUT = 3600.0  # AWS seconds a hook has to answer
APPSPEC_INVALID = (
    "The deployment failed because the AppSpec file that specifies the AWS Lambda deployment "
    "configuration is missing or has an invalid configuration."
)
UNHEALTHY = (
    "The overall deployment failed because too many individual instances failed deployment, too "
    "few healthy instances are available for deployment, or some instances in your deployment "
    "group are experiencing problems."
)
ALARMS_ACTIVE = (
    "One or more alarms have been activated according to the Amazon CloudWatch metrics you "
    "selected, and the affected deployments have been stopped. Activated alarms: "
)


class Gone(Exception):
    """The deployment is no longer in its backend (the embedded AWS was reset)."""


class Halt(Exception):
    """The deployment ends early: its final status, error, and what decides its rollback."""

    def __init__(self, status: str, code: str, message: str, event: str, rollback: bool | None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.event, self.rollback = event, rollback


def _invalid(detail: str, code: str = "INVALID_LAMBDA_CONFIGURATION") -> Halt:
    return Halt("Failed", code, f"{APPSPEC_INVALID} {detail}".strip(), "", False)


def codedeploy_backend(dep: LambdaDeployment) -> Any:
    from moto.codedeploy.models import codedeploy_backends

    return codedeploy_backends[dep.account_id][dep.region]


def _lambda_backend(dep: LambdaDeployment) -> Any:
    from moto.awslambda.models import lambda_backends

    return lambda_backends[dep.account_id][dep.region]


def _alive(dep: LambdaDeployment) -> None:
    if codedeploy_backend(dep).deployments.get(dep.deployment_id) is not dep:
        raise Gone()


def _check(dep: LambdaDeployment) -> None:
    """Raise Halt for a stop request or an alarm in ALARM (the caller holds `dep.cond`)."""
    from twophase.local.extensions.cloudwatch_alarm_evaluation import alarm_states

    _alive(dep)
    if dep.stop is not None:
        message = "The deployment was stopped by a StopDeployment request."
        raise Halt(
            "Stopped", "MANUAL_STOP", message, "DEPLOYMENT_STOP_ON_REQUEST", dep.stop.rollback
        )
    if not dep.alarms.get("enabled"):
        return
    names = [a["name"] for a in dep.alarms.get("alarms") or []]
    refused = _unreadable(dep, names)
    if refused is not None:
        if dep.alarms.get("ignorePollAlarmFailure"):
            return
        raise Halt("Failed", *refused, "DEPLOYMENT_FAILURE", None)
    states = alarm_states(dep.account_id, dep.region, names)
    firing = [n for n in names if states.get(n) == "ALARM"]
    if firing:
        listed = " ".join(f"<{n}>" for n in firing)
        raise Halt(
            "Stopped", "ALARM_ACTIVE", ALARMS_ACTIVE + listed, "DEPLOYMENT_STOP_ON_ALARM", None
        )


def _wait(dep: LambdaDeployment, seconds: float, until: Callable[[], bool] | None = None) -> bool:
    """Wait `seconds` real seconds, checking every tick; True as soon as `until()` holds."""
    deadline = time.monotonic() + seconds
    with dep.cond:
        while True:
            _check(dep)
            if until is not None and until():
                return True
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            dep.cond.wait(min(TICK, remaining))


def _validated(dep: LambdaDeployment) -> tuple[AppSpec, Any]:
    """The AppSpec and the alias it shifts, or Halt as AWS fails such a deployment."""
    from moto.awslambda.exceptions import UnknownAliasException, UnknownFunctionException

    try:
        spec = AppSpec.parse(dep.content)
    except InvalidAppSpec as exc:
        raise _invalid(str(exc)) from exc
    versions = (spec.current_version, spec.target_version)
    if not all(v.isdigit() for v in versions) or len(set(versions)) == 1:
        raise _invalid("CurrentVersion and TargetVersion must be two published versions.")
    backend = _lambda_backend(dep)
    try:
        for version in versions:
            backend.get_function(spec.function, version)
    except UnknownFunctionException as exc:
        detail = (
            f"The Lambda function {spec.function} (versions {', '.join(versions)}) is not found."
        )
        raise _invalid(detail, "INVALID_LAMBDA_FUNCTION") from exc
    try:
        alias = backend.get_alias(spec.alias, spec.function)
    except UnknownAliasException as exc:
        raise _invalid(f"The alias {spec.alias} of {spec.function} does not exist.") from exc
    weights = (alias.routing_config or {}).get("AdditionalVersionWeights") or {}
    if str(alias.function_version) != spec.current_version or weights:
        raise _invalid(
            "The Lambda function alias version does not match the current version in AppSpec file."
        )
    return spec, alias


def _refusal(dep: LambdaDeployment, action: str, resource: str) -> tuple[str, str] | None:
    """Why the group's service role, which CodeDeploy acts as, may not do `action` on
    `resource`."""
    return refusal(
        dep.account_id,
        dep.region,
        dep.application_name,
        dep.deployment_group_name,
        action,
        resource,
    )


def _unreadable(dep: LambdaDeployment, alarms: list[str]) -> tuple[str, str] | None:
    """Why the service role may not read the state of one of `alarms`."""
    for name in alarms:
        refused = _refusal(
            dep, "cloudwatch:DescribeAlarms", alarm_arn(dep.region, dep.account_id, name)
        )
        if refused is not None:
            return refused
    return None


def _shift(dep: LambdaDeployment, alias: Any, percent: int) -> None:
    """Give the target version `percent` of the alias's traffic (100: the alias points at it),
    as the deployment group's service role."""
    assert dep.target is not None
    spec = dep.target.spec
    with dep.cond:
        _alive(dep)
        refused = _refusal(dep, "lambda:UpdateAlias", alias.arn)
        if refused is not None:
            raise Halt("Failed", *refused, "DEPLOYMENT_FAILURE", None)
        if percent >= 100:
            alias.update(None, spec.target_version, {})
        else:
            weights = {spec.target_version: round(percent / 100, 2)}
            alias.update(None, spec.current_version, {"AdditionalVersionWeights": weights})
        dep.target.weight, dep.target.updated = float(percent), now()


def _hook(dep: LambdaDeployment, name: str) -> None:
    """Run one lifecycle event's hook function and wait for its answer."""
    import secrets

    assert dep.target is not None
    event, function = dep.target.event(name), dep.target.spec.hooks.get(name)
    with dep.cond:
        event.begin()
        if function is None:
            event.end("Skipped")
            return
        execution_id = secrets.token_urlsafe(48)
        dep.hooks[execution_id] = hook = HookExecution(name)
    refused = _refusal(dep, "lambda:InvokeFunction", _hook_arn(dep, function))
    if refused is not None:
        _fail_hook(dep, name, "UnknownError", refused[1], failure=refused)
    payload = {"DeploymentId": dep.deployment_id, "LifecycleEventHookExecutionId": execution_id}
    try:
        _invoke_async(dep, function, payload)
    except Exception as exc:  # the function is missing or cannot run: the hook failed
        _fail_hook(
            dep, name, "ScriptMissing", f"The hook function {function} failed to start: {exc}"
        )
    answered = _wait(dep, real_seconds(HOOK_TIMEOUT), until=lambda: hook.status is not None)
    if not answered:
        _fail_hook(
            dep, name, "ScriptTimedOut", f"{function} did not report the hook's status in time."
        )
    if hook.status != "Succeeded":
        _fail_hook(dep, name, "ScriptFailed", f"{function} reported the hook as {hook.status}.")
    with dep.cond:
        event.end("Succeeded")


def _invoke_async(dep: LambdaDeployment, function: str, payload: dict[str, str]) -> None:
    import json

    headers = {"X-Amz-Invocation-Type": "Event", "Host": dep.host}
    _lambda_backend(dep).invoke(function, None, json.dumps(payload), headers, {})


def _hook_arn(dep: LambdaDeployment, function: str) -> str:
    """The ARN of the hook function the AppSpec names (by name or by ARN)."""
    name, qualifier = split_function(function)
    return function_arn(dep.account_id, dep.region, name, qualifier)


def _fail_hook(
    dep: LambdaDeployment,
    name: str,
    code: str,
    message: str,
    failure: tuple[str, str] = ("HEALTH_CONSTRAINTS", UNHEALTHY),
) -> None:
    """End the lifecycle event `name` as failed (`code`, `message`), and the deployment with
    `failure`'s error code and message."""
    assert dep.target is not None
    with dep.cond:
        dep.target.event(name).end("Failed", {"errorCode": code, "message": message})
    raise Halt("Failed", *failure, "DEPLOYMENT_FAILURE", None)


def _allow_traffic(dep: LambdaDeployment, alias: Any) -> None:
    from twophase.local.extensions.codedeploy_deployment_configs import find, traffic_steps

    assert dep.target is not None
    config = find(codedeploy_backend(dep), dep.deployment_config_name)
    with dep.cond:
        dep.target.event("AllowTraffic").begin()
    for percent, minutes in traffic_steps(config):
        _shift(dep, alias, percent)
        _wait(dep, real_seconds(minutes * 60.0))
    with dep.cond:
        dep.target.event("AllowTraffic").end("Succeeded")


def _rolls_back(dep: LambdaDeployment, halt: Halt) -> bool:
    if halt.rollback is not None:
        return halt.rollback
    config = dep.auto_rollback
    return bool(config.get("enabled")) and halt.event in (config.get("events") or [])


def _roll_back(dep: LambdaDeployment, alias: Any) -> None:
    """Point the alias back at CurrentVersion alone, through a rollback deployment, as the
    group's service role: a role that may not move the alias fails the rollback too, and the
    alias stays as it is."""
    assert dep.target is not None
    refused = _refusal(dep, "lambda:UpdateAlias", alias.arn)
    if refused is None:
        alias.update(None, dep.target.spec.current_version, {})
    back = dep.rolled_back(alias.arn, refused)
    dep.rollback_info = {
        "rollbackDeploymentId": back.deployment_id,
        "rollbackMessage": f"Deployment {dep.deployment_id} terminated. Automatic rollback is "
        f"triggered with a DeploymentId {back.deployment_id}.",
    }
    with DEPLOYMENTS_LOCK:
        add_deployment(codedeploy_backend(dep), back)


def _end(dep: LambdaDeployment, halt: Halt, alias: Any) -> None:
    with dep.cond:
        if codedeploy_backend(dep).deployments.get(dep.deployment_id) is not dep:
            return
        if dep.target is not None:
            for event in dep.target.events:
                if event.status in ("InProgress", "Pending"):
                    event.end("Failed" if event.status == "InProgress" else "Skipped")
            dep.target.status, dep.target.updated = "Failed", now()
            if alias is not None and _rolls_back(dep, halt):
                _roll_back(dep, alias)
        dep.error = {"code": halt.code, "message": halt.message}
        dep.status, dep.complete_time = halt.status, now()
        dep.cond.notify_all()


def run(dep: LambdaDeployment) -> None:
    """The deployment from `Created` to `Succeeded`, `Failed` or `Stopped`."""
    alias = None
    try:
        with dep.cond:
            _alive(dep)
            dep.status, dep.start_time = "InProgress", now()
        spec, alias = _validated(dep)
        with dep.cond:
            dep.target = LambdaTarget(dep.deployment_id, spec, alias.arn)
        _wait(dep, 0)
        _hook(dep, "BeforeAllowTraffic")
        _allow_traffic(dep, alias)
        _hook(dep, "AfterAllowTraffic")
        with dep.cond:
            _check(dep)
            assert dep.target is not None
            dep.target.status, dep.target.updated = "Succeeded", now()
            dep.status, dep.complete_time = "Succeeded", now()
            dep.cond.notify_all()
    except Halt as halt:
        _end(dep, halt, alias)
    except Gone:
        return
    except Exception as exc:  # a fault of the embedded AWS: the deployment fails, never hangs
        _end(dep, Halt("Failed", "INTERNAL_ERROR", str(exc), "DEPLOYMENT_FAILURE", None), alias)


def start(dep: LambdaDeployment) -> None:
    threading.Thread(
        target=run, args=(dep,), name=f"codedeploy-{dep.deployment_id}", daemon=True
    ).start()
