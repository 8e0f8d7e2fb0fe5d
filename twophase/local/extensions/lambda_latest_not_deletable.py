"""DeleteFunction refuses to delete `$LATEST` on its own.

AWS behaviour (Lambda API reference, DeleteFunction, `Qualifier`: "Specify a version to delete. You
can't delete a version that an alias references"; the `$LATEST` version exists as long as the
function does): DeleteFunction with `Qualifier=$LATEST` (or `FunctionName=NAME:$LATEST`, or a
`…:function:NAME:$LATEST` ARN) fails with `InvalidParameterValueException` (HTTP 400) "$LATEST
version cannot be deleted without deleting the function." and leaves the function as it was;
deleting the function (no qualifier) takes `$LATEST` with it.

moto 5.2.5 empties the function instead: `$LATEST` becomes nothing while the function and its
versions stay listed.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import patch, split_function

MESSAGE = "$LATEST version cannot be deleted without deleting the function."


def _refuse_latest(original: Any) -> Any:
    def del_function(self: Any, name_or_arn: str, qualifier: str | None = None) -> None:
        from moto.awslambda.exceptions import InvalidParameterValueException

        _, in_name = split_function(name_or_arn)
        if (in_name or qualifier) == "$LATEST":
            raise InvalidParameterValueException(MESSAGE)
        original(self, name_or_arn, qualifier)

    return del_function


def install() -> None:
    from moto.awslambda.models import LambdaStorage

    patch(LambdaStorage, "del_function", _refuse_latest)
