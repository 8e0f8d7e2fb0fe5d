"""IAM reads for `twophase whoami`: simulate a principal's policies. Nothing here writes."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from botocore.exceptions import ClientError
    from mypy_boto3_iam.client import IAMClient
    from mypy_boto3_iam.type_defs import EvaluationResultTypeDef

_UNSUPPORTED = {"NotImplemented", "InvalidAction", "UnknownOperationException", "501"}
_DENIED = {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation"}


class SimulationUnavailable(Exception):
    """The endpoint cannot simulate policies, or the caller may not ask it to (the reason)."""


class PolicySimulator:
    """iam:SimulatePrincipalPolicy for one principal. Takes a boto3 `iam` client."""

    def __init__(self, client: IAMClient, principal_arn: str) -> None:
        self._client = client
        self._principal = principal_arn

    def allowed(self, actions: tuple[str, ...], resources: tuple[str, ...]) -> bool:
        """True when every action is allowed on every resource; raises `SimulationUnavailable`
        when the endpoint cannot simulate or the caller may not ask it to."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            pages = self._client.get_paginator("simulate_principal_policy").paginate(
                PolicySourceArn=self._principal,
                ActionNames=list(actions),
                ResourceArns=list(resources),
            )
            results = [r for page in pages for r in page.get("EvaluationResults", [])]
        except ClientError as exc:
            raise SimulationUnavailable(_reason(exc)) from exc
        except BotoCoreError as exc:
            raise SimulationUnavailable(f"iam:SimulatePrincipalPolicy failed: {exc}") from exc
        if not results:
            raise SimulationUnavailable("iam:SimulatePrincipalPolicy returned no result")
        return all(_allowed(r) for r in results)


def _allowed(result: EvaluationResultTypeDef) -> bool:
    per_resource = result.get("ResourceSpecificResults") or []
    if per_resource:
        return all(r.get("EvalResourceDecision") == "allowed" for r in per_resource)
    return bool(result.get("EvalDecision") == "allowed")


def _reason(exc: ClientError) -> str:
    err = exc.response.get("Error", {})
    code = str(err.get("Code", ""))
    status = str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))
    if code in _DENIED:
        return "not allowed to call iam:SimulatePrincipalPolicy"
    if code in _UNSUPPORTED or status in _UNSUPPORTED:
        return "the endpoint cannot simulate IAM policies"
    message = " ".join(str(err.get("Message", "")).split())
    return f"iam:SimulatePrincipalPolicy failed: {code}: {message}"
