"""An owner's deployment group cannot move another team's alias (README, "For platform teams").

AWS: CodeDeploy shifts whichever function and alias a deployment's AppSpec names, acting as the
deployment group's service role; a role whose policies do not allow `lambda:UpdateAlias` on that
alias fails the deployment (`IAM_ROLE_PERMISSIONS`) and the alias is not moved.
https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html
https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_ErrorInformation.html

Phase one gives each set of owners its own service role, allowed on its functions only. Under
enforced IAM on the embedded AWS, alice (web-team, `api`'s owner) may create a deployment in
`api`'s group; one whose AppSpec names `worker` (fulfilment-team's) fails and `worker`'s alias
stays where it was, while the same deployment naming `api` succeeds.
"""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.test_isolation import Person, _as, deployed

__all__ = ["deployed"]  # the isolation fixture: the example app up, alice and bob with keys

DONE = ("Succeeded", "Failed", "Stopped")


def _appspec(function: str, current: str, target: str) -> dict[str, Any]:
    resource = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "Name": function,
            "Alias": "live",
            "CurrentVersion": current,
            "TargetVersion": target,
        },
    }
    content = json.dumps({"version": 0.0, "Resources": [{"Fn": resource}]})
    return {"revisionType": "AppSpecContent", "appSpecContent": {"content": content}}


def _deploy_through_api_group(codedeploy: Any, function: str, current: str) -> dict[str, Any]:
    """A deployment in `api`'s own group, naming `function`; its info once it is over."""
    created = codedeploy.create_deployment(
        applicationName="shop-local",
        deploymentGroupName="shop-local-api",
        deploymentConfigName="CodeDeployDefault.LambdaAllAtOnce",
        revision=_appspec(function, current, "2"),
    )
    deadline = time.monotonic() + 20
    while True:
        found = codedeploy.get_deployment(deploymentId=created["deploymentId"])["deploymentInfo"]
        if found["status"] in DONE or time.monotonic() > deadline:
            return dict(found)
        time.sleep(0.05)


def test_an_owner_cannot_move_another_teams_alias_through_its_own_group(
    deployed: dict[str, Person], local_aws: LocalAwsHandle, monkeypatch: pytest.MonkeyPatch
) -> None:
    admin = local_aws.clients().client("lambda")
    codedeploy = _as(deployed["alice"], monkeypatch, local_aws).client("codedeploy")
    worker = admin.get_alias(FunctionName="shop-local-worker", Name="live")

    crossing = _deploy_through_api_group(codedeploy, "shop-local-worker", worker["FunctionVersion"])

    assert crossing["status"] == "Failed"
    assert crossing["errorInformation"]["code"] == "IAM_ROLE_PERMISSIONS"
    assert "shop-local-codedeploy-role-web-team" in crossing["errorInformation"]["message"]
    after = admin.get_alias(FunctionName="shop-local-worker", Name="live")
    assert (after["FunctionVersion"], after.get("RoutingConfig")) == (
        worker["FunctionVersion"],
        worker.get("RoutingConfig"),
    )

    api = admin.get_alias(FunctionName="shop-local-api", Name="live")
    own = _deploy_through_api_group(codedeploy, "shop-local-api", api["FunctionVersion"])
    assert own["status"] == "Succeeded", own.get("errorInformation")
    assert admin.get_alias(FunctionName="shop-local-api", Name="live")["FunctionVersion"] == "2"
