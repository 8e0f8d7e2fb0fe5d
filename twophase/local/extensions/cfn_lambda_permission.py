"""CloudFormation adds `AWS::Lambda::Permission` to an alias-qualified function, and removes it.

AWS behaviour (CloudFormation user guide, aws-resource-lambda-permission):
`FunctionName` may be a name, a function ARN, or a qualified (alias or version) ARN; the statement
is added to the policy of that qualifier, `Ref` returns the statement id, every property requires
replacement, and deleting the resource removes the statement. moto 5.2.5 answers HTTP 500 for a
qualified function and never removes the statement.
"""

from __future__ import annotations

import json
from typing import Any, cast

from moto.moto_api._internal import mock_random

from twophase.local.extensions._cfn_common import (
    lambda_backend,
    patch_lifecycle,
    set_attr,
    split_function,
)

_STATEMENT_FIELDS = (
    "Action",
    "Principal",
    "SourceArn",
    "SourceAccount",
    "EventSourceToken",
    "PrincipalOrgID",
    "FunctionUrlAuthType",
)


def _add(props: dict[str, Any], account_id: str, region_name: str) -> Any:
    from moto.awslambda.models import Permission

    name, qualifier = split_function(str(props["FunctionName"]))
    sid = f"twophase-{mock_random.get_random_hex(16)}"
    statement = {k: props[k] for k in _STATEMENT_FIELDS if k in props}
    statement["StatementId"] = sid
    lambda_backend(account_id, region_name).add_permission(name, qualifier, json.dumps(statement))
    permission: Any = cast(Any, Permission)(region=region_name)
    permission.sid = sid
    permission.function_name = name
    permission.qualifier = qualifier
    return permission


def _delete(self: Any, account_id: str, region_name: str) -> None:
    try:
        lambda_backend(account_id, region_name).remove_permission(
            self.function_name, self.sid, qualifier=self.qualifier
        )  # the qualifier's own policy (lambda_policy_per_qualifier)
    except Exception:
        return  # the function, alias or statement is already gone: nothing left to remove


def install() -> None:
    from moto.awslambda.models import Permission

    patch_lifecycle(Permission, _add, _delete)
    set_attr(Permission, "physical_resource_id", property(lambda self: self.sid))
    set_attr(Permission, "delete", _delete)
