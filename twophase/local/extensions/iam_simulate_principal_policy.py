"""IAM simulates a principal's identity policies: `SimulatePrincipalPolicy`.

AWS behaviour (IAM API reference, `SimulatePrincipalPolicy`): given a user's or a role's ARN
(`PolicySourceArn`), actions and resource ARNs, IAM evaluates every identity policy of that
principal (inline and attached; a user's groups' too) and answers, per action and resource, with
`EvalDecision` `allowed`, `explicitDeny` (a statement denies it) or `implicitDeny` (none allows
it). A principal's permissions boundary is part of the simulation (the API reference,
`PermissionsBoundaryPolicyInputList`: the boundary "attached to an entity" is used unless another
is passed): an action it does not allow is `implicitDeny`, one it denies `explicitDeny`, whatever
the identity policies say (IAM user guide, "Permissions boundaries for IAM entities",
https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html). An unknown
principal is `NoSuchEntity` (404). The call is authorised on the principal's ARN, so a policy may
let a developer simulate only themself. Results are paginated (`IsTruncated`).

moto 5.2.5 has no policy simulator, so `twophase whoami` could only answer "unknown" locally. This
one evaluates each statement as the embedded AWS's IAM enforcement does (`iam_enforcement`), so its
answers are the ones enforcement gives, but for a permissions boundary: enforcement does not apply
one to a request made with an assumed role's credentials. `_codedeploy_service_role` authorises
what CodeDeploy does as a deployment group's service role with this evaluation, boundary and all.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any

_MARK = "_twophase_simulate_principal_policy"
ACTION = "SimulatePrincipalPolicy"


def _kind_and_name(arn: str) -> tuple[str, str]:
    """("user", NAME), ("role", NAME)… of an IAM ARN (its path left out)."""
    kind, _, path = arn.partition(":iam::")[2].partition(":")[2].partition("/")
    return kind, path.rsplit("/", 1)[-1]


def principal_policies(backend: Any, arn: str) -> list[str]:
    """The identity policies of the user or role `arn`, as documents `decision` reads."""
    from moto.iam.exceptions import InvalidInput, NoSuchEntity

    kind, name = _kind_and_name(arn)
    try:
        if kind == "user":
            return [_document(p) for p in _user_policies(backend, name)]
        if kind == "role":
            return [_document(p) for p in _role_policies(backend, name)]
    except NoSuchEntity:
        raise
    except Exception:  # moto says "not found" in several ways; IAM says NoSuchEntity
        raise NoSuchEntity(f"The {kind} with name {name} cannot be found.") from None
    raise InvalidInput(f"Invalid ARN: {arn}; PolicySourceArn must be a user, group or role")


def _user_policies(backend: Any, name: str) -> list[Any]:
    backend.get_user(name)
    policies: list[Any] = [
        backend.get_user_policy(name, p) for p in backend.list_user_policies(name)
    ]
    policies += backend.list_attached_user_policies(name)[0]
    for group in backend.get_groups_for_user(name):
        policies += [
            backend.get_group_policy(group.name, p) for p in backend.list_group_policies(group.name)
        ]
        policies += backend.list_attached_group_policies(group.name)[0]
    return policies


def _role_policies(backend: Any, name: str) -> list[Any]:
    backend.get_role(name)
    policies: list[Any] = [
        backend.get_role_policy(name, p)[1] for p in backend.list_role_policies(name)
    ]
    policies += backend.list_attached_role_policies(name)[0]
    return policies


def permissions_boundary(backend: Any, arn: str) -> str | None:
    """The permissions boundary of the role `arn` as a document `decision` reads, None when it
    has none (moto keeps boundaries for roles only); a boundary naming no policy allows nothing."""
    kind, name = _kind_and_name(arn)
    if kind != "role":
        return None
    boundary = backend.get_role(name).permissions_boundary_arn
    if not boundary:
        return None
    return _document(backend.managed_policies.get(boundary))  # the account's and AWS's


def _document(policy: Any) -> str:
    """The JSON text of a policy as moto holds it: a user's or group's inline policy, a managed
    policy (its default version), a role's inline document (text, or a mapping when
    CloudFormation made the role). Its statements only; one it cannot read allows nothing."""
    if isinstance(policy, dict) and "policy_document" in policy:
        policy = policy["policy_document"]
    elif hasattr(policy, "versions"):
        policy = next((v.document for v in policy.versions if v.is_default), None)
    if isinstance(policy, str):
        try:
            policy = json.loads(policy)
        except ValueError:
            policy = None
    found = policy.get("Statement", []) if isinstance(policy, dict) else []
    statements = [s for s in (found if isinstance(found, list) else [found]) if isinstance(s, dict)]
    return json.dumps({"Statement": statements})


def decision(
    policies: list[str],
    action: str,
    resource: str,
    context: dict[str, Any] | None = None,
    boundary: str | None = None,
) -> str:
    """IAM's evaluation of identity policies: an explicit deny wins, then any allow; with a
    permissions `boundary`, it must allow too. `context`: the request's condition keys."""
    found = _evaluated(policies, action, resource, context)
    if boundary is None or found == "explicitDeny":
        return found
    bounded = _evaluated([boundary], action, resource, context)
    return found if bounded == "allowed" else bounded


def _evaluated(
    policies: list[str], action: str, resource: str, context: dict[str, Any] | None
) -> str:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    allowed = False
    for policy in policies:
        result = IAMPolicy(policy).is_action_permitted(
            action, resource, incoming_condition_values=context
        )
        if result == PermissionResult.DENIED:
            return "explicitDeny"
        allowed = allowed or result == PermissionResult.PERMITTED
    return "allowed" if allowed else "implicitDeny"


def simulate_principal_policy(self: Any) -> Any:
    from moto.core.responses import ActionResult

    arn = self._get_param("PolicySourceArn")
    actions = self._get_param("ActionNames", [])
    resources = self._get_param("ResourceArns", []) or ["*"]
    policies = principal_policies(self.backend, arn)
    boundary = permissions_boundary(self.backend, arn)
    results = [
        {
            "EvalActionName": action,
            "EvalResourceName": resource,
            "EvalDecision": decision(policies, action, resource, boundary=boundary),
            "MatchedStatements": [],
            "MissingContextValues": [],
        }
        for action in actions
        for resource in resources
    ]
    return ActionResult({"EvaluationResults": results, "IsTruncated": False})


def _authorised_on_the_principal(original: Callable[[Any], str]) -> Callable[[Any], str]:
    @functools.wraps(original)
    def determine_resource(self: Any) -> str:
        if self._get_action() == ACTION:
            return str(self._get_param("PolicySourceArn") or "*")
        return original(self)

    return determine_resource


def install() -> None:
    from moto.iam.responses import IamResponse

    if getattr(IamResponse, _MARK, False):
        return
    IamResponse.simulate_principal_policy = simulate_principal_policy  # type: ignore[attr-defined]
    patched = _authorised_on_the_principal(IamResponse._determine_resource)
    setattr(IamResponse, "_determine_resource", patched)  # noqa: B010 (typed as moto's)
    setattr(IamResponse, _MARK, True)
