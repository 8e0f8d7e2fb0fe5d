"""Lambda functions are `Active` with LastUpdateStatus `Successful` once an update has finished.

AWS behaviour (Lambda developer guide, "Lambda function states"): a function moves from `Pending`
to `State: Active`, and every update moves `LastUpdateStatus` from `InProgress` to `Successful`;
clients wait for that (boto3 waiters `function_active_v2`, `function_updated_v2`,
`published_version_active`) before the next mutation. The embedded AWS applies updates
synchronously, so it reports the finished state at once: every configuration it returns, of
`$LATEST` or of a published version, says `State: Active`, and every one except CreateFunction's
own response (which, as on AWS, has no LastUpdateStatus yet) says `LastUpdateStatus: Successful`.
The exceptions are a function or version a test has marked Inactive or Pending
(`lambda_function_states`): it reports that state instead, its update status still Successful;
and `$LATEST` while an update is held `InProgress` for a set time (`lambda_update_settle`).

moto 5.2.5 mostly does this already; this extension pins it, so that a moto upgrade that starts
simulating `Pending`/`InProgress` (or drops the fields) is caught by its test rather than by a push
that waits forever.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from twophase.local.extensions.lambda_function_states import state_fields
from twophase.local.extensions.lambda_update_settle import in_progress

_MARK = "_twophase_last_update_status"


def _finished(original: Callable[..., dict[str, Any]]) -> Callable[..., Any]:
    @functools.wraps(original)
    def get_configuration(self: Any, on_create: bool = False) -> dict[str, Any]:
        config = original(self, on_create)
        config["State"] = "Active"
        config.update(state_fields(self))
        if not on_create:
            config["LastUpdateStatus"] = "InProgress" if in_progress(self) else "Successful"
        return config

    return get_configuration


def install() -> None:
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction, _MARK, False):
        return
    LambdaFunction.get_configuration = _finished(LambdaFunction.get_configuration)  # type: ignore[method-assign]
    setattr(LambdaFunction, _MARK, True)
