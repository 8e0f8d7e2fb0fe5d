"""An event source mapping keeps the function, version or alias it was given.

AWS behaviour (Lambda developer guide, "Using Lambda aliases in event sources and permissions
policies", https://docs.aws.amazon.com/lambda/latest/dg/using-aliases.html: "If you specify a
Lambda function alias in the mapping configuration, you don't need to update the mapping when the
function version changes"; Lambda API reference, CreateEventSourceMapping / UpdateEventSourceMapping
`FunctionName`: a name, a function ARN, or a version or alias ARN): the mapping's `FunctionArn` is
the ARN that `FunctionName` names, qualified by its alias or version if it had one (an unqualified
name gives the unqualified function ARN, which runs `$LATEST`). The same holds for
`AWS::Lambda::EventSourceMapping` in CloudFormation, whose create and update call these APIs. The
mapping invokes that ARN, so an alias is resolved when a batch is delivered, never when the mapping
is created (see `sqs_lambda_delivery`).

moto 5.2.5 resolves `FunctionName` once, at creation (or update), and stores the ARN of the version
the alias pointed to then: after the alias moves, the mapping still runs the old version.
"""

from __future__ import annotations

from typing import Any

from twophase.local.extensions._cfn_common import function_arn, patch, split_function


def kept_arn(backend: Any, name_or_arn: str) -> str:
    """The ARN a mapping keeps for `FunctionName`: its alias or version stays in it."""
    name, qualifier = split_function(name_or_arn)
    return function_arn(backend.account_id, backend.region_name, name, qualifier)


def _create(original: Any) -> Any:
    def create_event_source_mapping(self: Any, spec: dict[str, Any]) -> Any:
        esm = original(self, spec)
        esm.function_arn = kept_arn(self, str(spec["FunctionName"]))
        return esm

    return create_event_source_mapping


def _update(original: Any) -> Any:
    def update_event_source_mapping(self: Any, uuid: str, spec: dict[str, Any]) -> Any:
        esm = original(self, uuid, spec)
        if esm is not None and spec.get("FunctionName"):
            esm.function_name = spec["FunctionName"]
            esm.function_arn = kept_arn(self, str(spec["FunctionName"]))
        return esm

    return update_event_source_mapping


def install() -> None:
    from moto.awslambda.models import LambdaBackend

    patch(LambdaBackend, "create_event_source_mapping", _create)
    patch(LambdaBackend, "update_event_source_mapping", _update)
