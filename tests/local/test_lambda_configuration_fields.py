"""UpdateFunctionConfiguration applies every setting, and Lambda reports LoggingConfig (as on AWS).

AWS Lambda API reference, UpdateFunctionConfiguration: request parameters `EphemeralStorage`,
`TracingConfig`, `LoggingConfig`, `KMSKeyArn`, `Environment` change the function's settings.
FunctionConfiguration carries `LoggingConfig`; LoggingConfig `LogGroup`: "By default, Lambda
functions send logs to a default log group named /aws/lambda/<function name>".
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function

KEY = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab"


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    create_function(clients)
    return clients.client("lambda")


def test_logging_config_defaults_to_text_in_the_functions_log_group(lam: Any) -> None:
    config = lam.get_function_configuration(FunctionName="fn")
    assert config["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/aws/lambda/fn"}


def test_update_applies_each_setting(lam: Any) -> None:
    result = lam.update_function_configuration(
        FunctionName="fn",
        EphemeralStorage={"Size": 2048},
        TracingConfig={"Mode": "Active"},
        LoggingConfig={"LogFormat": "JSON"},
        KMSKeyArn=KEY,
    )

    got = lam.get_function_configuration(FunctionName="fn")
    for config in (result, got):
        assert config["EphemeralStorage"] == {"Size": 2048}
        assert config["TracingConfig"] == {"Mode": "Active"}
        assert config["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/aws/lambda/fn"}
        assert config["KMSKeyArn"] == KEY


def test_a_setting_left_out_keeps_its_value(lam: Any) -> None:
    lam.update_function_configuration(FunctionName="fn", LoggingConfig={"LogGroup": "/custom/fn"})
    lam.update_function_configuration(FunctionName="fn", LoggingConfig={"LogFormat": "JSON"})
    lam.update_function_configuration(FunctionName="fn", MemorySize=256)

    config = lam.get_function_configuration(FunctionName="fn")
    assert config["LoggingConfig"] == {"LogFormat": "JSON", "LogGroup": "/custom/fn"}
    assert config["MemorySize"] == 256


def test_environment_without_variables_clears_them(lam: Any) -> None:
    lam.update_function_configuration(FunctionName="fn", Environment={"Variables": {"A": "1"}})

    lam.update_function_configuration(FunctionName="fn", Environment={})

    assert "Environment" not in lam.get_function_configuration(FunctionName="fn")


def test_create_function_takes_logging_config(lam: Any) -> None:
    role = lam.get_function_configuration(FunctionName="fn")["Role"]
    created = lam.create_function(
        FunctionName="other",
        Runtime="python3.12",
        Role=role,
        Handler="app.handler",
        Code={"ZipFile": code()},
        LoggingConfig={"LogGroup": "/shared/logs"},
    )
    assert created["LoggingConfig"] == {"LogFormat": "Text", "LogGroup": "/shared/logs"}
