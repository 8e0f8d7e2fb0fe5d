"""DescribeChangeSet returns the resource changes a page at a time.

AWS behaviour (CloudFormation API reference, DescribeChangeSet: `NextToken` "identifies the next
page of changes. If there is no additional page, this value is null."; botocore paginates it on
`Changes`): a page holds at most 100 changes (what AWS returns in practice, the documented "1 MB"
notwithstanding); the rest comes with the `NextToken` of the previous page, together with the same
change set fields. An unknown token is a `ValidationError`. moto 5.2.5 returns every change at once.
"""

from __future__ import annotations

import copy
from typing import Any

from twophase.local.extensions._cfn_common import patch

PAGE_SIZE = 100


def page(changes: list[Any], token: str | None) -> tuple[list[Any], str | None]:
    """One page of `changes` from `token` (None for the first), and the next page's token."""
    from moto.cloudformation.exceptions import ValidationError

    start = 0
    if token:
        if not token.isdigit() or int(token) >= max(len(changes), 1):
            raise ValidationError(message="Invalid NextToken")
        start = int(token)
    end = start + PAGE_SIZE
    return changes[start:end], (str(end) if end < len(changes) else None)


def _describe(_original: Any) -> Any:
    def describe_change_set(self: Any) -> Any:
        from moto.core.responses import ActionResult

        change_set = self.cloudformation_backend.describe_change_set(
            change_set_name=self._get_param("ChangeSetName")
        )
        shown = copy.copy(change_set)
        shown.changes, shown.next_token = page(
            list(change_set.changes or []), self._get_param("NextToken")
        )
        return ActionResult(shown)

    return describe_change_set


def install() -> None:
    from moto.cloudformation.responses import CloudFormationResponse

    patch(CloudFormationResponse, "describe_change_set", _describe)
