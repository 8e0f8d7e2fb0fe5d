"""IAM simulates a principal's identity policies: `SimulatePrincipalPolicy`.

AWS behaviour (IAM API reference, `SimulatePrincipalPolicy`): given a user's or a role's ARN
(`PolicySourceArn`), actions and resource ARNs, IAM evaluates every identity policy of that
principal (inline and attached; a user's groups' too) and answers, per action and resource, with
`EvalDecision` `allowed`, `explicitDeny` (a statement denies it) or `implicitDeny` (none allows
it). An unknown principal is `NoSuchEntity` (404). The call is authorised on the principal's ARN,
so a policy may let a developer simulate only themself. Results are paginated (`IsTruncated`).

moto 5.2.5 has no policy simulator, so `twophase whoami` could only answer "unknown" locally. This
one evaluates each statement as the embedded AWS's IAM enforcement does (`iam_enforcement`), so its
answers are the ones enforcement gives.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

_MARK = "_twophase_simulate_principal_policy"
ACTION = "SimulatePrincipalPolicy"


def principal_policies(backend: Any, arn: str) -> list[Any]:
    """The identity policies of the user or role `arn`, in the forms moto's `IAMPolicy` reads."""
    from moto.iam.exceptions import InvalidInput, NoSuchEntity

    kind, _, path = arn.partition(":iam::")[2].partition(":")[2].partition("/")
    name = path.rsplit("/", 1)[-1]
    try:
        if kind == "user":
            return _user_policies(backend, name)
        if kind == "role":
            return _role_policies(backend, name)
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


def decision(policies: list[Any], action: str, resource: str) -> str:
    """IAM's evaluation of identity policies: an explicit deny wins, then any allow."""
    from moto.iam.access_control import IAMPolicy, PermissionResult

    allowed = False
    for policy in policies:
        result = IAMPolicy(policy).is_action_permitted(action, resource)
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
    results = [
        {
            "EvalActionName": action,
            "EvalResourceName": resource,
            "EvalDecision": decision(policies, action, resource),
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
