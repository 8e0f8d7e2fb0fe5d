"""Invoke runs the function's Python or Node.js code locally and answers as Lambda does."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from botocore.exceptions import ClientError

from tests.conftest import LocalAwsHandle
from twophase.build.detzip import Entry, build_zip

PY_OK = """
import os
def handler(event, context):
    return {
        "statusCode": 200,
        "event": event,
        "name": context.function_name,
        "version": context.function_version,
        "arn": context.invoked_function_arn,
        "memory": context.memory_limit_in_mb,
        "remaining": context.get_remaining_time_in_millis(),
        "env": {k: os.environ.get(k) for k in ("GREETING", "AWS_LAMBDA_FUNCTION_NAME",
                                               "AWS_LAMBDA_FUNCTION_VERSION", "AWS_REGION")},
    }
"""

PY_RAISES = """
def handler(event, context):
    print("about to fail")
    raise ValueError("no code has been pushed yet")
"""

NODE_OK = """
exports.handler = async (event, context) => ({
  statusCode: 200,
  body: `hello ${event.who}`,
  name: context.functionName,
  remaining: context.getRemainingTimeInMillis(),
  version: process.env.AWS_LAMBDA_FUNCTION_VERSION,
});
"""


ROLE = "arn:aws:iam::123456789012:role/r"


def role_arn(clients: Any) -> str:
    trust = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "lambda.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }
    iam = clients.client("iam")
    return str(
        iam.create_role(RoleName="r", AssumeRolePolicyDocument=json.dumps(trust))["Role"]["Arn"]
    )


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    assert role_arn(clients) == ROLE
    return clients.client("lambda")


def create(
    lam: Any,
    name: str,
    files: dict[str, str],
    runtime: str = "python3.12",
    handler: str = "app.handler",
    **extra: Any,
) -> None:
    zipped = build_zip([Entry(k, v.encode()) for k, v in files.items()])
    lam.create_function(
        FunctionName=name,
        Runtime=runtime,
        Role=ROLE,
        Handler=handler,
        Code={"ZipFile": zipped},
        **extra,
    )


def payload(response: Mapping[str, Any]) -> Any:
    return json.loads(response["Payload"].read())


def test_python_handler_runs_with_event_context_and_environment(lam: Any) -> None:
    create(
        lam, "api", {"app.py": PY_OK}, MemorySize=256, Environment={"Variables": {"GREETING": "hi"}}
    )
    response = lam.invoke(FunctionName="api", Payload=json.dumps({"path": "/"}))
    assert response["StatusCode"] == 200
    assert "FunctionError" not in response
    assert response["ExecutedVersion"] == "$LATEST"
    body = payload(response)
    assert body["statusCode"] == 200
    assert body["event"] == {"path": "/"}
    assert (body["name"], body["version"], body["memory"]) == ("api", "$LATEST", 256)
    assert body["arn"].endswith(":function:api")
    assert 0 < body["remaining"] <= 3000
    assert body["env"] == {
        "GREETING": "hi",
        "AWS_LAMBDA_FUNCTION_NAME": "api",
        "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
        "AWS_REGION": "us-east-1",
    }


def test_unhandled_exception_is_a_function_error_with_the_log_tail(lam: Any) -> None:
    create(lam, "dummy", {"app.py": PY_RAISES})
    response = lam.invoke(FunctionName="dummy", LogType="Tail")
    assert response["StatusCode"] == 200
    assert response["FunctionError"] == "Unhandled"
    error = payload(response)
    assert error["errorType"] == "ValueError"
    assert error["errorMessage"] == "no code has been pushed yet"
    assert any("app.py" in frame for frame in error["stackTrace"])
    log = base64.b64decode(response["LogResult"]).decode()
    assert "about to fail" in log and log.startswith("START RequestId:")


def test_without_log_type_tail_there_is_no_log_result(lam: Any) -> None:
    create(lam, "dummy", {"app.py": PY_RAISES})
    assert "LogResult" not in lam.invoke(FunctionName="dummy")


def test_node_handler_runs(lam: Any) -> None:
    create(lam, "web", {"index.js": NODE_OK}, runtime="nodejs20.x", handler="index.handler")
    response = lam.invoke(FunctionName="web", Payload=json.dumps({"who": "world"}))
    assert "FunctionError" not in response
    body = payload(response)
    assert body["statusCode"] == 200
    assert body["body"] == "hello world"
    assert body["name"] == "web"
    assert body["version"] == "$LATEST"
    assert 0 < body["remaining"] <= 3000


def test_node_exception_is_a_function_error(lam: Any) -> None:
    source = "exports.handler = async () => { throw new TypeError('bad input'); };"
    create(lam, "web", {"index.js": source}, runtime="nodejs20.x", handler="index.handler")
    response = lam.invoke(FunctionName="web")
    assert response["FunctionError"] == "Unhandled"
    assert payload(response)["errorType"] == "TypeError"
    assert payload(lam.invoke(FunctionName="web"))["errorMessage"] == "bad input"


def version_source(n: int) -> str:
    return f"def handler(event, context):\n    return {{'release': {n}}}\n"


def test_alias_invoke_runs_the_version_the_alias_points_to_after_it_moves(lam: Any) -> None:
    create(lam, "api", {"app.py": version_source(1)})
    lam.publish_version(FunctionName="api")
    lam.create_alias(FunctionName="api", Name="live", FunctionVersion="1")
    zipped = build_zip([Entry("app.py", version_source(2).encode())])
    lam.update_function_code(FunctionName="api", ZipFile=zipped)
    lam.publish_version(FunctionName="api")
    before = lam.invoke(FunctionName="api", Qualifier="live")
    assert (payload(before), before["ExecutedVersion"]) == ({"release": 1}, "1")
    lam.update_alias(FunctionName="api", Name="live", FunctionVersion="2")
    after = lam.invoke(FunctionName="api", Qualifier="live")
    assert (payload(after), after["ExecutedVersion"]) == ({"release": 2}, "2")
    lam.update_function_code(
        FunctionName="api", ZipFile=build_zip([Entry("app.py", version_source(3).encode())])
    )
    assert payload(lam.invoke(FunctionName="api:1")) == {"release": 1}
    assert payload(lam.invoke(FunctionName="api")) == {"release": 3}


def test_alias_routing_weights_split_the_calls(lam: Any) -> None:
    create(lam, "api", {"app.py": version_source(1)})
    lam.publish_version(FunctionName="api")
    lam.update_function_code(
        FunctionName="api", ZipFile=build_zip([Entry("app.py", version_source(2).encode())])
    )
    lam.publish_version(FunctionName="api")
    lam.create_alias(
        FunctionName="api",
        Name="live",
        FunctionVersion="1",
        RoutingConfig={"AdditionalVersionWeights": {"2": 1.0}},
    )
    response = lam.invoke(FunctionName="api", Qualifier="live")
    assert (payload(response), response["ExecutedVersion"]) == ({"release": 2}, "2")


def test_timeout_is_a_function_error(lam: Any) -> None:
    source = "import time\ndef handler(event, context):\n    time.sleep(5)\n"
    create(lam, "slow", {"app.py": source}, Timeout=1)
    response = lam.invoke(FunctionName="slow")
    assert response["FunctionError"] == "Unhandled"
    assert "Task timed out after 1.00 seconds" in payload(response)["errorMessage"]


def test_event_invocation_answers_202_and_runs_in_the_background(lam: Any, tmp_path: Path) -> None:
    out = tmp_path / "event.json"
    source = (
        "import json, os\n"
        "def handler(event, context):\n"
        "    open(os.environ['OUT'], 'w').write(json.dumps(event))\n"
    )
    create(lam, "job", {"app.py": source}, Environment={"Variables": {"OUT": str(out)}})
    response = lam.invoke(FunctionName="job", InvocationType="Event", Payload='{"n": 7}')
    assert response["StatusCode"] == 202
    assert response["Payload"].read() == b""
    deadline = time.monotonic() + 10
    while not out.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert json.loads(out.read_text()) == {"n": 7}


def test_invocation_logs_reach_the_functions_log_group(lam: Any, local_aws: LocalAwsHandle) -> None:
    create(lam, "dummy", {"app.py": PY_RAISES})
    lam.invoke(FunctionName="dummy")
    logs = local_aws.clients().client("logs")
    events = logs.filter_log_events(logGroupName="/aws/lambda/dummy")["events"]
    assert any("about to fail" in e["message"] for e in events)


def test_dry_run_answers_204(lam: Any) -> None:
    create(lam, "api", {"app.py": PY_RAISES})
    assert lam.invoke(FunctionName="api", InvocationType="DryRun")["StatusCode"] == 204


def test_other_runtimes_say_they_cannot_run_locally(lam: Any) -> None:
    create(lam, "worker", {"Worker.class": "x"}, runtime="java21", handler="shop.Worker::handle")
    with pytest.raises(ClientError) as info:
        lam.invoke(FunctionName="worker")
    assert info.value.response["Error"]["Code"] == "InvalidRuntimeException"
    assert "java21 cannot run locally" in info.value.response["Error"]["Message"]
