"""Lambda refuses environment variables over 4 KB and a resource policy over 20 KB.

AWS behaviour (Lambda developer guide, "Lambda quotas",
https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html: "Environment variables:
4 KB, for all environment variables associated with the function, in aggregate"; "Function
resource-based policy: 20 KB"): CreateFunction and UpdateFunctionConfiguration fail with
`InvalidParameterValueException` (HTTP 400) "Lambda was unable to configure your environment
variables because the environment variables you have provided exceeded the 4KB limit. String
measured: {…}" and AddPermission with `PolicyLengthExceededException` (400) "The final policy size
(N) is bigger than the limit (20480)."; the function, its configuration and its policy stay as they
were. Through CloudFormation the function resource fails and the stack rolls back.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from tests.local._cfn import body, final_status
from tests.local.test_lambda_revision_id import code, create_function

LIMIT = 4096


def variables(size: int) -> dict[str, str]:
    """Variables whose compact JSON (what Lambda measures) is `size` bytes."""
    empty = len(json.dumps({"PADDING": ""}, separators=(",", ":")))
    return {"PADDING": "x" * (size - empty)}


def measured(env: dict[str, str]) -> str:
    return json.dumps(env, separators=(",", ":"))


@pytest.fixture
def clients(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    create_function(clients)
    return clients


def _refused_environment(info: Any, env: dict[str, str]) -> None:
    response = info.value.response
    assert response["Error"]["Code"] == "InvalidParameterValueException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["Error"]["Message"] == (
        "Lambda was unable to configure your environment variables because the environment "
        f"variables you have provided exceeded the 4KB limit. String measured: {measured(env)}"
    )


def test_create_function_over_4kb_of_variables_is_refused(clients: Any) -> None:
    lam = clients.client("lambda")
    role = lam.get_function_configuration(FunctionName="fn")["Role"]
    env = variables(LIMIT + 1)

    with pytest.raises(ClientError) as info:
        lam.create_function(
            FunctionName="big",
            Runtime="python3.12",
            Role=role,
            Handler="app.handler",
            Code={"ZipFile": code()},
            Environment={"Variables": env},
        )

    _refused_environment(info, env)
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["fn"]


def test_update_over_4kb_is_refused_and_the_configuration_stays(clients: Any) -> None:
    lam = clients.client("lambda")
    before = lam.update_function_configuration(
        FunctionName="fn", Environment={"Variables": variables(LIMIT)}
    )
    env = variables(LIMIT + 1)

    with pytest.raises(ClientError) as info:
        lam.update_function_configuration(FunctionName="fn", Environment={"Variables": env})

    _refused_environment(info, env)
    after = lam.get_function_configuration(FunctionName="fn")
    assert after["Environment"] == {"Variables": variables(LIMIT)}
    assert after["RevisionId"] == before["RevisionId"]


def test_a_function_over_4kb_in_a_stack_fails_and_rolls_back(clients: Any) -> None:
    cfn, lam = clients.client("cloudformation"), clients.client("lambda")
    s3 = clients.client("s3")
    s3.create_bucket(Bucket="code")
    s3.put_object(Bucket="code", Key="fn.zip", Body=code())
    role = lam.get_function_configuration(FunctionName="fn")["Role"]
    env = variables(LIMIT + 1)
    function = {
        "Type": "AWS::Lambda::Function",
        "Properties": {
            "FunctionName": "big",
            "Runtime": "python3.12",
            "Handler": "app.handler",
            "Role": role,
            "Code": {"S3Bucket": "code", "S3Key": "fn.zip"},
            "Environment": {"Variables": env},
        },
    }

    cfn.create_stack(StackName="s", TemplateBody=body({"Resources": {"Fn": function}}))

    assert final_status(cfn, "s") == "ROLLBACK_COMPLETE"
    reasons = [
        e.get("ResourceStatusReason", "")
        for e in cfn.describe_stack_events(StackName="s")["StackEvents"]
        if e["ResourceStatus"] == "CREATE_FAILED"
    ]
    assert len(reasons) == 1 and reasons[0].startswith(
        "Lambda was unable to configure your environment variables"
    )
    assert [f["FunctionName"] for f in lam.list_functions()["Functions"]] == ["fn"]


def _permission(lam: Any, i: int) -> None:
    lam.add_permission(
        FunctionName="fn",
        StatementId=f"s{i:04d}",
        Action="lambda:InvokeFunction",
        Principal="events.amazonaws.com",
        SourceArn=f"arn:aws:events:us-east-1:123456789012:rule/rule-{i:04d}-" + "r" * 900,
    )


def test_the_permission_that_takes_the_policy_past_20kb_is_refused(clients: Any) -> None:
    lam = clients.client("lambda")
    _permission(lam, 0)
    added = 1
    with pytest.raises(ClientError) as info:
        while added < 200:
            before = lam.get_policy(FunctionName="fn")
            _permission(lam, added)
            added += 1

    response = info.value.response
    assert response["Error"]["Code"] == "PolicyLengthExceededException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    message = response["Error"]["Message"]
    assert message.startswith("The final policy size (")
    assert message.endswith(") is bigger than the limit (20480).")
    assert int(message.split("(")[1].split(")")[0]) > 20480
    after = lam.get_policy(FunctionName="fn")
    assert (after["Policy"], after["RevisionId"]) == (before["Policy"], before["RevisionId"])
    assert len(json.loads(after["Policy"])["Statement"]) == added
