"""A function, each of its versions and each of its aliases has a resource-based policy of its own.

AWS behaviour (Lambda developer guide, "Using Lambda aliases in event sources and permissions
policies", https://docs.aws.amazon.com/lambda/latest/dg/using-aliases.html: "The scope of that
permission depends on whether you apply it to an alias, a version, or the entire function";
Lambda API reference, AddPermission / GetPolicy / RemovePermission `Qualifier`): AddPermission with
`Qualifier=live` (or a qualified `FunctionName`) adds the statement to the `live` alias's policy
only, with the alias ARN as its Resource; GetPolicy and RemovePermission read and change the policy
their qualifier names, and nothing else: the unqualified function's policy, a version's (even the
version the alias points to) and other aliases' are separate (the same statement id may be in
each). A policy without statements is `ResourceNotFoundException` (404); an existing statement id
in the same policy is `ResourceConflictException` (409); deleting an alias or a version deletes
its policy, deleting the function deletes them all. `AWS::Lambda::Permission` on an alias ARN goes
through AddPermission (see `cfn_lambda_permission`).

moto 5.2.5 keeps one policy per function object, shared by `$LATEST` and its versions, and an
alias resolves to its version's: a `live` statement shows for every qualifier, and RemovePermission
ignores `Qualifier`.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from twophase.local.extensions._cfn_common import patch, split_function

_POLICIES = "_twophase_policies"


def _conflict(sid: str) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    error = LambdaClientError(
        "ResourceConflictException",
        f"The statement id ({sid}) provided already exists. Please provide a new statement id, "
        "or remove the existing statement.",
    )
    error.code = 409
    return error


def _key(storage: Any, function_name: str, qualifier: str | None) -> tuple[str, str]:
    """(function name, qualifier or "") of an existing function, version or alias."""
    name, in_name = split_function(function_name)
    qualifier = in_name or qualifier
    # raises ResourceNotFoundException for an unknown function, version or alias
    storage.get_function_by_name_or_arn_with_qualifier(name, qualifier)
    return name, "" if qualifier in (None, "$LATEST") else str(qualifier)


def policy_of(storage: Any, function_name: str, qualifier: str | None) -> Any:
    """The policy of the function (`qualifier` None) or of one of its versions or aliases."""
    from moto.awslambda.policy import Policy

    name, qualifier = _key(storage, function_name, qualifier)
    policies: dict[tuple[str, str], Any] = storage.__dict__.setdefault(_POLICIES, {})
    if (name, qualifier) not in policies:
        policies[(name, qualifier)] = Policy(storage._functions[name]["latest"])
    return policies[(name, qualifier)]


def _forget(storage: Any, name: str, qualifier: str | None) -> None:
    policies: dict[tuple[str, str], Any] = storage.__dict__.get(_POLICIES, {})
    for key in [k for k in policies if k[0] == name and (qualifier is None or k[1] == qualifier)]:
        del policies[key]


def add_permission(self: Any, function_name: str, qualifier: str | None, raw: str) -> Any:
    """Replacement for moto's `LambdaBackend.add_permission`."""
    _, in_name = split_function(function_name)
    qualifier = in_name or qualifier
    policy = policy_of(self._lambdas, function_name, qualifier)
    sid = json.loads(raw).get("StatementId")
    if sid and any(s.get("Sid") == sid for s in policy.statements):
        raise _conflict(str(sid))
    statement, _ = policy.add_statement(raw, None if qualifier == "$LATEST" else qualifier)
    return statement


def remove_permission(
    self: Any, function_name: str, sid: str, revision: str = "", qualifier: str | None = None
) -> None:
    """Replacement for moto's `LambdaBackend.remove_permission`, which takes no qualifier."""
    policy_of(self._lambdas, function_name, qualifier).del_statement(sid, revision)


def get_policy(self: Any, function_name: str, qualifier: str | None = None) -> str:
    """Replacement for moto's `LambdaBackend.get_policy`."""
    return str(policy_of(self._lambdas, function_name, qualifier).wire_format())


def remove_permission_response(self: Any) -> tuple[int, dict[str, Any], str]:
    """Replacement for moto's `LambdaResponse.remove_permission`, which drops `Qualifier`."""
    function_name = unquote(self.path.split("?")[0].split("/")[-3])
    sid = unquote(self.path.split("?")[0].split("/")[-1])
    qualifier = self.querystring.get("Qualifier", [None])[0]
    revision = self.querystring.get("RevisionId", [""])[0]
    self.backend.remove_permission(function_name, sid, revision, qualifier=qualifier)
    return 204, {"status": 204}, ""


def _forget_deleted_function(original: Any) -> Any:
    def del_function(self: Any, name_or_arn: str, qualifier: str | None = None) -> None:
        name, in_name = split_function(name_or_arn)
        original(self, name_or_arn, qualifier)
        _forget(self, name, in_name or qualifier)

    return del_function


def _forget_deleted_alias(original: Any) -> Any:
    def delete_alias(self: Any, name: str, function_name: str) -> None:
        original(self, name, function_name)
        _forget(self, split_function(function_name)[0], name)

    return delete_alias


def install() -> None:
    from moto.awslambda.models import LambdaBackend, LambdaStorage
    from moto.awslambda.responses import LambdaResponse

    patch(LambdaBackend, "add_permission", lambda _original: add_permission)
    patch(LambdaBackend, "remove_permission", lambda _original: remove_permission)
    patch(LambdaBackend, "get_policy", lambda _original: get_policy)
    patch(LambdaResponse, "remove_permission", lambda _original: remove_permission_response)
    patch(LambdaStorage, "del_function", _forget_deleted_function)
    patch(LambdaStorage, "delete_alias", _forget_deleted_alias)
