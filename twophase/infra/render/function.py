"""The resources every function gets: role, log group, function, dummy version, aliases."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from twophase.config import refs
from twophase.config.model import Config, Function
from twophase.names import FunctionIds, log_group_name
from twophase.release.dummy_versions import DUMMY_VERSION_DESCRIPTION

Resources = dict[str, dict[str, Any]]

POLICY_VERSION = "2012-10-17"


@dataclass(frozen=True)
class DummyCode:
    """Where a function's staged dummy artifact lives on S3, and its Lambda CodeSha256."""

    bucket: str
    key: str
    code_sha256: str


def ref(logical_id: str) -> dict[str, str]:
    return {"Ref": logical_id}


def get_att(logical_id: str, attribute: str) -> dict[str, list[str]]:
    return {"Fn::GetAtt": [logical_id, attribute]}


def statement(actions: list[str], resource: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": actions, "Resource": resource}


def serving_alias(config: Config) -> str:
    """The alias triggers call: the last of the chain (`live` by default), which serves traffic."""
    return config.aliases[-1]


def function_resources(
    config: Config,
    env: str,
    fn: Function,
    ids: FunctionIds,
    dummy: DummyCode | None,
    trigger_statements: list[dict[str, Any]],
) -> Resources:
    physical = config.function_name(env, fn.name)
    resources: Resources = {
        ids.log_group: {
            "Type": "AWS::Logs::LogGroup",
            "Properties": {
                "LogGroupName": log_group_name(config.app, env, fn.name),
                "RetentionInDays": fn.log_retention_days,
            },
        },
        ids.role: _role(fn, ids, trigger_statements),
        ids.function: _function(physical, fn, ids, dummy),
        # Kept when removed or replaced: an alias may still serve it, and Lambda refuses to
        # delete a version an alias references.
        ids.version: {
            "Type": "AWS::Lambda::Version",
            "DeletionPolicy": "Retain",
            "UpdateReplacePolicy": "Retain",
            "Properties": {
                "FunctionName": ref(ids.function),
                "Description": DUMMY_VERSION_DESCRIPTION,
            },
        },
    }
    for alias in config.aliases:
        resources[ids.alias(alias)] = {
            "Type": "AWS::Lambda::Alias",
            "Properties": {
                "FunctionName": ref(ids.function),
                "FunctionVersion": get_att(ids.version, "Version"),
                "Name": alias,
            },
        }
    return resources


def _role(
    fn: Function, ids: FunctionIds, trigger_statements: list[dict[str, Any]]
) -> dict[str, Any]:
    logs = statement(["logs:CreateLogStream", "logs:PutLogEvents"], get_att(ids.log_group, "Arn"))
    policies = [_policy("logs", [logs])]
    if trigger_statements:
        policies.append(_policy("trigger", trigger_statements))
    if fn.policies:
        policies.append(_policy("declared", [refs.resolve(s) for s in fn.policies]))
    return {
        "Type": "AWS::IAM::Role",
        "Properties": {
            "Description": f"Execution role of the {fn.name} function",
            "AssumeRolePolicyDocument": {
                "Version": POLICY_VERSION,
                "Statement": [
                    {
                        "Effect": "Allow",
                        "Principal": {"Service": "lambda.amazonaws.com"},
                        "Action": "sts:AssumeRole",
                    }
                ],
            },
            "Policies": policies,
        },
    }


def _policy(name: str, statements: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "PolicyName": name,
        "PolicyDocument": {"Version": POLICY_VERSION, "Statement": statements},
    }


def _function(
    physical: str, fn: Function, ids: FunctionIds, dummy: DummyCode | None
) -> dict[str, Any]:
    variables = {key: refs.resolve(value) for key, value in fn.environment.items()}
    variables["TWOPHASE_FUNCTION"] = fn.name
    properties: dict[str, Any] = {
        "FunctionName": physical,
        "Architectures": [fn.architecture],
        "MemorySize": fn.memory,
        "Timeout": fn.timeout,
        "Role": get_att(ids.role, "Arn"),
        "Environment": {"Variables": variables},
        "LoggingConfig": {"LogGroup": ref(ids.log_group)},
    }
    if fn.image is not None:
        properties.update(PackageType="Image", Code={"ImageUri": fn.image})
    else:
        if dummy is None:
            raise ValueError(f"no dummy artifact given for function {fn.name!r}")
        properties.update(
            Code={"S3Bucket": dummy.bucket, "S3Key": dummy.key},
            Runtime=fn.runtime,
            Handler=fn.handler,
        )
    if fn.description:
        properties["Description"] = fn.description
    return {"Type": "AWS::Lambda::Function", "Properties": properties}
