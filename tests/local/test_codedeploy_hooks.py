"""A Lambda deployment's hooks are invoked, and the status they report decides the deployment."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from botocore.exceptions import ClientError

from tests.local._codedeploy import (
    FN,
    appspec,
    deploy,
    events,
    finished,
    group,
    hook,
    invocations,
    rollback_on,
    target,
    two_versions,
)
from tests.local._functions import Account, wait_for

ALL_AT_ONCE = "CodeDeployDefault.LambdaAllAtOnce"


def test_hooks_that_report_succeeded_let_the_deployment_through(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: CodeDeploy invokes the BeforeAllowTraffic hook before moving any traffic and the
    AfterAllowTraffic hook after, each with `DeploymentId` and `LifecycleEventHookExecutionId`;
    each reports with PutLifecycleEventHookExecutionStatus, and `Succeeded` lets the deployment
    go on.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#appspec-hooks-lambda
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_PutLifecycleEventHookExecutionStatus.html
    """
    time_scale(600)
    two_versions(account)
    hook(account, "CodeDeployHook_pre", "Succeeded")
    hook(account, "CodeDeployHook_post", "Succeeded")
    group(account, ALL_AT_ONCE)
    hooks = {"BeforeAllowTraffic": "CodeDeployHook_pre", "AfterAllowTraffic": "CodeDeployHook_post"}
    deployment_id = deploy(account, appspec(hooks=hooks))

    done = finished(account, deployment_id)
    assert done["status"] == "Succeeded"
    assert events(account, deployment_id) == {
        "BeforeAllowTraffic": "Succeeded",
        "AllowTraffic": "Succeeded",
        "AfterAllowTraffic": "Succeeded",
    }
    assert invocations(account, "CodeDeployHook_pre") == 1
    # the hook answered before its own invocation ended, which records the metric
    wait_for(lambda: invocations(account, "CodeDeployHook_post") == 1)
    assert account.alias(FN, "live")["FunctionVersion"] == "2"


def test_a_hook_that_reports_failed_fails_the_deployment_before_any_traffic_moves(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: a hook reporting `Failed` fails its lifecycle event and the deployment, which
    DEPLOYMENT_FAILURE rolls back; the traffic never left the current version.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#appspec-hooks-lambda
    https://docs.aws.amazon.com/codedeploy/latest/userguide/deployments-rollback-and-redeploy.html
    """
    time_scale(600)
    two_versions(account)
    hook(account, "CodeDeployHook_pre", "Failed")
    group(account, ALL_AT_ONCE, **rollback_on("DEPLOYMENT_FAILURE"))
    deployment_id = deploy(account, appspec(hooks={"BeforeAllowTraffic": "CodeDeployHook_pre"}))

    done = finished(account, deployment_id)
    assert done["status"] == "Failed"
    assert done["errorInformation"]["code"] == "HEALTH_CONSTRAINTS"
    assert "rollbackDeploymentId" in done["rollbackInfo"]
    assert events(account, deployment_id) == {
        "BeforeAllowTraffic": "Failed",
        "AllowTraffic": "Skipped",
        "AfterAllowTraffic": "Skipped",
    }
    before = target(account, deployment_id)["lifecycleEvents"][0]
    assert before["diagnostics"]["errorCode"] == "ScriptFailed"
    assert account.alias(FN, "live")["FunctionVersion"] == "1"


def test_a_hook_that_never_answers_fails_the_deployment_when_its_hour_is_up(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: a hook has one hour to report its status; without an answer the lifecycle event and
    the deployment fail.
    https://docs.aws.amazon.com/codedeploy/latest/userguide/reference-appspec-file-structure-hooks.html#appspec-hooks-lambda
    """
    time_scale(3600)  # the hour lasts one second
    two_versions(account)
    hook(account, "CodeDeployHook_silent", "silent")
    group(account, ALL_AT_ONCE)
    deployment_id = deploy(account, appspec(hooks={"BeforeAllowTraffic": "CodeDeployHook_silent"}))

    done = finished(account, deployment_id)
    assert done["status"] == "Failed"
    before = target(account, deployment_id)["lifecycleEvents"][0]
    assert (before["status"], before["diagnostics"]["errorCode"]) == ("Failed", "ScriptTimedOut")
    assert account.alias(FN, "live")["FunctionVersion"] == "1"


def test_an_unknown_hook_execution_is_refused(
    account: Account, time_scale: Callable[[float], None]
) -> None:
    """AWS: PutLifecycleEventHookExecutionStatus with an execution id the deployment never gave
    is InvalidLifecycleEventHookExecutionIdException.
    https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_PutLifecycleEventHookExecutionStatus.html
    """
    time_scale(600)
    two_versions(account)
    group(account, ALL_AT_ONCE)
    deployment_id = deploy(account)
    finished(account, deployment_id)
    with pytest.raises(ClientError) as refused:
        account.cd.put_lifecycle_event_hook_execution_status(
            deploymentId=deployment_id, lifecycleEventHookExecutionId="forged", status="Succeeded"
        )
    assert (
        refused.value.response["Error"]["Code"] == "InvalidLifecycleEventHookExecutionIdException"
    )
