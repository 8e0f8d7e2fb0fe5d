"""The service role CodeDeploy assumes to run the app's gradual promotions.

It grants what AWS's managed policy `AWSCodeDeployRoleForLambda` grants a Lambda deployment,
narrowed to this app: read alarm states (`cloudwatch:DescribeAlarms`), read and move the aliases
of the app's functions (`lambda:GetAlias`, `UpdateAlias`, `GetProvisionedConcurrencyConfig`), and
invoke the hook functions twophase.yml names (`lambda:InvokeFunction`; the managed policy allows
`CodeDeployHook_*` functions instead). It leaves out `sns:Publish`, as AWS's
`AWSCodeDeployRoleForLambdaLimited` does (no deployment group of the app notifies a topic), and S3
(a deployment's AppSpec travels in its request).

IAM holds a role's inline policies to 10,240 characters together, white space not counted ("IAM
and AWS STS quotas", https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html),
which the ARNs of 500 functions would pass many times over. So the aliases are named by what
every function name of the environment starts with, `<app>-<env>-` (a function of another
environment whose name starts the same, `prod-eu` next to `prod`, matches too), and the role does
not change when a function is added or removed. Hook functions are named one by one while they
fit, measured with the longest partition, region and account. No statement references a
function's resource, so this role holds no function in the root stack.

Only CodeDeploy may assume it, and only for this app's deployment groups in this account
(`aws:SourceArn`, `aws:SourceAccount`: CodeDeploy's "Cross-service confused deputy prevention").
"""

from __future__ import annotations

import json
from typing import Any

from twophase import names
from twophase.config.model import Config
from twophase.config.rules import MAX_FUNCTION_NAME
from twophase.infra.deployer_documents import PARTITION_VAR, name_prefix
from twophase.infra.deployer_policy import substitute
from twophase.infra.limits import LONGEST_PSEUDO
from twophase.release.access import ACCOUNT_VAR, REGION_VAR, Scope

ROLE_POLICY_CHARACTERS = 10_240  # IAM: a role's inline policies together
POLICY_NAME = "codedeploy-lambda"
ALIAS_ACTIONS = [
    "lambda:GetAlias",
    "lambda:GetProvisionedConcurrencyConfig",
    "lambda:UpdateAlias",
]


def service_role(config: Config, env: str) -> dict[str, Any]:
    """The `AWS::IAM::Role` CodeDeploy assumes for every deployment group of the app."""
    scope = Scope(PARTITION_VAR, REGION_VAR, ACCOUNT_VAR)
    application = names.codedeploy_application(config.app, env)
    trust = {
        "Effect": "Allow",
        "Principal": {"Service": "codedeploy.amazonaws.com"},
        "Action": "sts:AssumeRole",
        "Condition": {
            "StringEquals": {"aws:SourceAccount": ACCOUNT_VAR},
            "ArnLike": {
                "aws:SourceArn": scope.arn("codedeploy", f"deploymentgroup:{application}/*")
            },
        },
    }
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": f"CodeDeploy's role for gradual promotions in {config.stack_name(env)}",
            "AssumeRolePolicyDocument": substitute({"Version": "2012-10-17", "Statement": [trust]}),
            "Policies": [
                {
                    "PolicyName": POLICY_NAME,
                    "PolicyDocument": substitute(role_document(config, env)),
                }
            ],
        },
    }


def role_document(config: Config, env: str, scope: Scope | None = None) -> dict[str, Any]:
    """The role's permissions: the aliases of every function named `<app>-<env>-…`, and the hook
    functions by name while they fit IAM's limit (measured at the longest values), else them
    too by that prefix."""
    given = scope or Scope(PARTITION_VAR, REGION_VAR, ACCOUNT_VAR)
    longest = Scope(
        LONGEST_PSEUDO["AWS::Partition"],
        LONGEST_PSEUDO["AWS::Region"],
        LONGEST_PSEUDO["AWS::AccountId"],
    )
    exact = _document(config, env, longest, hooks_by_name=True)
    by_name = len(json.dumps(exact, separators=(",", ":"))) <= ROLE_POLICY_CHARACTERS
    return _document(config, env, given, hooks_by_name=by_name)


def _document(config: Config, env: str, scope: Scope, *, hooks_by_name: bool) -> dict[str, Any]:
    every = scope.arn("lambda", f"function:{function_prefix(config, env)}*")
    hooks = sorted({config.function_name(env, h) for h in hook_functions(config)})
    hook_arns = [
        scope.arn("lambda", f"function:{name}{qualifier}")
        for name in hooks
        for qualifier in ("", ":*")
    ]
    statements = [
        _allow(
            "ReadAlarmStates", ["cloudwatch:DescribeAlarms"], [scope.arn("cloudwatch", "alarm:*")]
        ),
        _allow("ShiftTheAppsAliases", ALIAS_ACTIONS, [every]),
    ]
    if hooks:
        invoked = hook_arns if hooks_by_name else [every]
        statements.append(_allow("InvokeTheHookFunctions", ["lambda:InvokeFunction"], invoked))
    return {"Version": "2012-10-17", "Statement": statements}


def hook_functions(config: Config) -> frozenset[str]:
    """The functions some function names as a promotion hook."""
    return frozenset(h for fn in config.functions.values() for h in fn.promotion.hooks)


def function_prefix(config: Config, env: str) -> str:
    """What every function name of the environment starts with (`<app>-<env>-`)."""
    return name_prefix(f"{config.app}-{env}", MAX_FUNCTION_NAME)


def _allow(sid: str, actions: list[str], resources: list[str]) -> dict[str, Any]:
    return {"Sid": sid, "Effect": "Allow", "Action": actions, "Resource": resources}
