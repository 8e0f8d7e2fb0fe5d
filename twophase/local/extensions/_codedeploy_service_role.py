"""CodeDeploy moves a Lambda alias as the deployment group's service role, and only where that role
may (not an extension itself: `_codedeploy_runner` asks it before every change to an alias).

AWS behaviour (CodeDeploy user guide, "Step 2: Create a service role for CodeDeploy",
https://docs.aws.amazon.com/codedeploy/latest/userguide/getting-started-create-service-role.html,
and the API reference's ErrorInformation): CodeDeploy assumes the deployment group's service role
to run a deployment on the Lambda compute platform; the role's policies must allow it to read
and update the alias the AppSpec names (AWS's `AWSCodeDeployRoleForLambda` grants
`lambda:UpdateAlias` among others). When they do not, the deployment fails with
`IAM_ROLE_PERMISSIONS` ("The service role does not have the correct permissions"; the deployment
reports "The IAM role ARN does not give you permission to perform operations in the following
AWS service: AWSLambda. …") and the alias is not moved; a role CodeDeploy cannot reach fails it
with `IAM_ROLE_MISSING` ("The service role cannot be accessed").

Here the role's inline and attached managed policies (and its permissions boundary) are
evaluated as IAM evaluates an identity's policies (`_iam_policy`) for `lambda:UpdateAlias` on the
alias's ARN: a Deny wins, else an Allow is needed. As every other authorisation of the embedded
AWS, it applies while IAM enforcement is on (`iam_enforcement.enabled`); with it off, nothing is
authorised and every alias moves.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from twophase.local.extensions._iam_policy import Result, normalized_context, statement_result

ACTION = "lambda:UpdateAlias"
NOT_PERMITTED = (
    "The IAM role {role} does not give you permission to perform operations in the following "
    "AWS service: AWSLambda. Contact your AWS administrator if you need help. If you are an AWS "
    "administrator, you can grant permissions to your users or groups by creating IAM policies."
)
MISSING = "The service role cannot be accessed: {role} does not exist."
NO_ROLE = "The service role cannot be accessed: deployment group {group} names none."


def refusal(
    account_id: str, region: str, application: str, group: str, alias_arn: str
) -> tuple[str, str] | None:
    """The error code and message that fail the deployment if the group's service role may not
    update `alias_arn`, or None when it may (or when IAM is not enforced)."""
    from twophase.local.extensions.iam_enforcement import enabled

    if not enabled():
        return None
    arn = _role_arn(account_id, region, application, group)
    if not arn:
        return "IAM_ROLE_MISSING", NO_ROLE.format(group=group)
    role = _role(account_id, arn)
    if role is None:
        return "IAM_ROLE_MISSING", MISSING.format(role=arn)
    context = normalized_context(
        {
            "aws:PrincipalArn": arn,
            "aws:PrincipalAccount": account_id,
            "aws:RequestedRegion": region,
        }
    )
    if not _allowed(_documents(role), alias_arn, context):
        return "IAM_ROLE_PERMISSIONS", NOT_PERMITTED.format(role=arn)
    return None


def _role_arn(account_id: str, region: str, application: str, group: str) -> str:
    from moto.codedeploy.models import codedeploy_backends

    try:
        found = codedeploy_backends[account_id][region].get_deployment_group(application, group)
    except Exception:  # the group was deleted meanwhile: no role to act as
        return ""
    return str(found.service_role_arn or "")


def _role(account_id: str, arn: str) -> Any:
    from moto.iam.models import iam_backends

    partition = arn.split(":")[1] if arn.count(":") >= 5 else "aws"
    try:
        return iam_backends[account_id][partition].get_role_by_arn(arn)
    except Exception:  # no such role
        return None


def _documents(role: Any) -> Iterator[tuple[str, Any]]:
    """("identity" or "boundary", document) for each policy of the role."""
    for text in role.policies.values():
        yield "identity", _parsed(text)
    for policy in role.managed_policies.values():
        yield "identity", _default_document(policy)
    if role.permissions_boundary_arn:
        boundary = _managed_policy(role, role.permissions_boundary_arn)
        yield "boundary", _default_document(boundary) if boundary is not None else {}


def _managed_policy(role: Any, arn: str) -> Any:
    from moto.iam.models import iam_backends

    backend = iam_backends[role.account_id][role.partition]
    return backend.managed_policies.get(arn)  # the account's and AWS's


def _default_document(policy: Any) -> Any:
    default = next((v for v in policy.versions if v.is_default), None)
    return _parsed(default.document) if default is not None else {}


def _parsed(document: Any) -> Any:
    if isinstance(document, str):
        try:
            return json.loads(document)
        except ValueError:
            return {}
    return document


def _allowed(documents: Iterator[tuple[str, Any]], alias_arn: str, context: Any) -> bool:
    """IAM's evaluation: an explicit Deny anywhere refuses; the identity policies must allow,
    and so must the permissions boundary when the role has one."""
    allowed = {"identity": False}
    for kind, document in documents:
        allowed.setdefault(kind, False)
        for statement in _statements(document):
            result = statement_result(statement, ACTION, alias_arn, context)
            if result is Result.DENY:
                return False
            allowed[kind] = allowed[kind] or result is Result.ALLOW
    return all(allowed.values())


def _statements(document: Any) -> list[Any]:
    found = document.get("Statement", []) if isinstance(document, dict) else []
    return [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, dict)]
