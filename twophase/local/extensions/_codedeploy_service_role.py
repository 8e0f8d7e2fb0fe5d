"""CodeDeploy acts as the deployment group's service role, and only where that role may (not an
extension itself: `_codedeploy_runner` asks it before it moves an alias, invokes a hook function or
reads the alarms).

AWS behaviour (CodeDeploy user guide, "Step 2: Create a service role for CodeDeploy",
https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html,
and the API reference's ErrorInformation): CodeDeploy assumes the deployment group's service role
to run a deployment on the Lambda compute platform; the role's policies must allow it to read
and update the alias the AppSpec names, invoke the lifecycle hook functions and read the
group's CloudWatch alarms (AWS's `AWSCodeDeployRoleForLambda` grants `lambda:UpdateAlias`,
`lambda:InvokeFunction` and `cloudwatch:DescribeAlarms` among others). When they do not, the
deployment fails with `IAM_ROLE_PERMISSIONS` ("The service role does not have the correct
permissions"; the deployment reports "The IAM role ARN does not give you permission to perform
operations in the following AWS service: AWSLambda. …", or `AmazonCloudWatch`) and the alias is
not moved; a role CodeDeploy cannot reach fails it with `IAM_ROLE_MISSING` ("The service role
cannot be accessed").

Here the role's inline and attached managed policies and its permissions boundary are evaluated
as IAM's policy simulator evaluates them (`iam_simulate_principal_policy`) for the action on its
resource, with the context of a request the role makes: a Deny wins, else an Allow is needed (of
the boundary too). As every other authorisation of the embedded AWS, it applies while IAM
enforcement is on (`iam_enforcement.enabled`); with it off, nothing is authorised and every
deployment may do everything.
"""

from __future__ import annotations

from twophase.local.extensions.iam_simulate_principal_policy import (
    decision,
    permissions_boundary,
    principal_policies,
)

NOT_PERMITTED = (
    "The IAM role {role} does not give you permission to perform operations in the following "
    "AWS service: {service}. Contact your AWS administrator if you need help. If you are an AWS "
    "administrator, you can grant permissions to your users or groups by creating IAM policies."
)
MISSING = "The service role cannot be accessed: {role} does not exist."
NO_ROLE = "The service role cannot be accessed: deployment group {group} names none."
_SERVICES = {"lambda": "AWSLambda", "cloudwatch": "AmazonCloudWatch"}


def refusal(
    account_id: str, region: str, application: str, group: str, action: str, resource: str
) -> tuple[str, str] | None:
    """The error code and message that fail the deployment if the group's service role may not
    perform `action` on `resource`, or None when it may (or when IAM is not enforced)."""
    from twophase.local.extensions.iam_enforcement import enabled

    if not enabled():
        return None
    arn = _role_arn(account_id, region, application, group)
    if not arn:
        return "IAM_ROLE_MISSING", NO_ROLE.format(group=group)
    found = _policies(account_id, arn)
    if found is None:
        return "IAM_ROLE_MISSING", MISSING.format(role=arn)
    policies, boundary = found
    context = {
        "aws:PrincipalArn": arn,
        "aws:PrincipalAccount": account_id,
        "aws:RequestedRegion": region,
    }
    if decision(policies, action, resource, context, boundary) != "allowed":
        service = action.partition(":")[0]
        return "IAM_ROLE_PERMISSIONS", NOT_PERMITTED.format(
            role=arn, service=_SERVICES.get(service, service)
        )
    return None


def _role_arn(account_id: str, region: str, application: str, group: str) -> str:
    from moto.codedeploy.models import codedeploy_backends

    try:
        found = codedeploy_backends[account_id][region].get_deployment_group(application, group)
    except Exception:  # the group was deleted meanwhile: no role to act as
        return ""
    return str(found.service_role_arn or "")


def _policies(account_id: str, arn: str) -> tuple[list[str], str | None] | None:
    """The identity policies and permissions boundary of the role `arn` (its path and account as
    written), or None when the account holds no such role."""
    from moto.iam.models import iam_backends

    partition = arn.split(":")[1] if arn.count(":") >= 5 else "aws"
    try:
        backend = iam_backends[account_id][partition]
        backend.get_role_by_arn(arn)
        return principal_policies(backend, arn), permissions_boundary(backend, arn)
    except Exception:  # no such role
        return None
