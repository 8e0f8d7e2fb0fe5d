"""Lambda reads phase one needs: which code a function's versions hold."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twophase.aws.errors import aws_call, error_code
from twophase.errors import AwsError


@dataclass
class LambdaInventory:
    client: Any

    def code_shas(self, function_name: str) -> set[str] | None:
        """CodeSha256 of $LATEST and every published version; None when the function is gone."""
        shas: set[str] = set()
        try:
            with aws_call("lambda:ListVersionsByFunction", function_name):
                pages = self.client.get_paginator("list_versions_by_function").paginate(
                    FunctionName=function_name
                )
                for page in pages:
                    shas.update(v["CodeSha256"] for v in page.get("Versions", []))
        except AwsError as exc:
            if error_code(exc) == "ResourceNotFoundException":
                return None
            raise
        return shas
