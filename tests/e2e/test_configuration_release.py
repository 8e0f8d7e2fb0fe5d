"""A release is code and configuration, end to end through the CLI on the embedded AWS.

On AWS a published version freezes `$LATEST`'s code and configuration (Lambda developer guide,
"Lambda function versions"), and an alias points at a version. So a configuration change made by
phase one (`infra up`, on `$LATEST`) reaches `live` only when phase two publishes a version and
moves the aliases: `infra up` lists what is behind, `status` names the settings, `push` ships it
with the code unchanged, `alias promote` takes it live.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import edit_config, run_cli

FN = "shop-local-api"
SECRET = "value-that-must-never-be-printed"


def test_a_configuration_change_reaches_live_through_push_and_promote(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    lam = local_aws.clients().client("lambda")
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    assert run_cli(capsys, "push", "api").exit_code == 0
    assert run_cli(capsys, "alias", "promote", "api").exit_code == 0
    live_before = lam.get_alias(FunctionName=FN, Name="live")["FunctionVersion"]
    code_before = lam.get_function_configuration(FunctionName=FN, Qualifier="live")["CodeSha256"]

    edit_config(app, functions__api__memory=768, functions__api__environment__FLAG=SECRET)
    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 0, up.stderr
    assert "api  next serves older environment, memory" in up.stdout
    assert "api  live serves older environment, memory" in up.stdout
    assert "`twophase push api -e local`, then `twophase alias promote api -e local`" in up.stdout
    # Phase one never publishes nor moves an alias.
    assert lam.get_alias(FunctionName=FN, Name="live")["FunctionVersion"] == live_before
    assert lam.get_function_configuration(FunctionName=FN, Qualifier="live")["MemorySize"] == 512

    status = run_cli(capsys, "--output", "json", "status", "api")
    assert status.exit_code == 0, status.stderr
    api = json.loads(status.stdout)["data"]["functions"][0]
    older = {a["alias"]: a["older_settings"] for a in api["aliases"]}
    assert older == {"next": ["environment", "memory"], "live": ["environment", "memory"]}
    human = run_cli(capsys, "status", "api")
    assert "next: older environment, memory" in human.stdout
    assert SECRET not in status.stdout + human.stdout + human.stderr + up.stdout + up.stderr

    pushed = run_cli(capsys, "push", "api")
    assert pushed.exit_code == 0, pushed.stderr
    version = lam.get_alias(FunctionName=FN, Name="next")["FunctionVersion"]
    assert pushed.stdout.strip() == (
        f"api  v{version} → next  (configuration: environment, memory; code unchanged)"
    )
    assert SECRET not in pushed.stdout + pushed.stderr

    assert run_cli(capsys, "alias", "promote", "api").exit_code == 0
    served = lam.get_function_configuration(FunctionName=FN, Qualifier="live")
    assert served["Version"] == version
    assert served["MemorySize"] == 768
    assert served["Environment"]["Variables"]["FLAG"] == SECRET
    assert served["CodeSha256"] == code_before

    again = run_cli(capsys, "--output", "json", "push", "api")
    result = json.loads(again.stdout)["data"][0]["result"]
    assert result["unchanged"] is True
    assert result["api_calls"] <= 2
    after = run_cli(capsys, "--output", "json", "status", "api")
    api = json.loads(after.stdout)["data"]["functions"][0]
    assert all(a["older_settings"] == [] for a in api["aliases"])


def test_an_architecture_change_puts_the_dummy_on_latest_and_says_so(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    """CloudFormation changes `Architectures` through UpdateFunctionCode with the template's
    `Code` (Lambda API reference, UpdateFunctionCode `Architectures`), so `$LATEST` gets the dummy
    back; the aliases keep serving their versions."""
    lam = local_aws.clients().client("lambda")
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    assert run_cli(capsys, "push", "api").exit_code == 0
    assert run_cli(capsys, "alias", "promote", "api").exit_code == 0

    def served() -> dict[str, object]:
        found = dict(lam.get_function_configuration(FunctionName=FN, Qualifier="live"))
        found.pop("ResponseMetadata")
        return found

    live = served()

    edit_config(app, functions__api__architecture="x86_64")
    up = run_cli(capsys, "infra", "up", "--yes")
    assert up.exit_code == 0, up.stderr
    assert "api  $LATEST holds the dummy again" in up.stdout
    assert served() == live
    status = run_cli(capsys, "status", "api")
    assert "$LATEST is the dummy" in status.stdout

    pushed = run_cli(capsys, "push", "api")
    assert pushed.exit_code == 0, pushed.stderr
    assert "configuration: architecture" in pushed.stdout
    assert lam.get_function_configuration(FunctionName=FN, Qualifier="next")["Architectures"] == [
        "x86_64"
    ]


@pytest.mark.parametrize("mark", ["inactive", "pending", "new version pending"])
def test_push_waits_out_function_states_and_says_what_it_waits_for(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str], mark: str
) -> None:
    """A function idle for weeks is Inactive and takes updates; a Pending function or version
    refuses them until it is Active (Lambda developer guide, "Lambda function states")."""
    from twophase.local.extensions.lambda_function_states import make_inactive, pending_for

    lam = local_aws.clients().client("lambda")
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    arn = lam.get_function_configuration(FunctionName=FN)["FunctionArn"]
    published = [v["Version"] for v in lam.list_versions_by_function(FunctionName=FN)["Versions"]]
    if mark == "inactive":
        make_inactive(arn)
    elif mark == "pending":
        pending_for(arn, reads=3)
    else:
        pending_for(f"{arn}:{int(published[-1]) + 1}", reads=3)

    pushed = run_cli(capsys, "push", "api")
    assert pushed.exit_code == 0, pushed.stderr
    version = lam.get_alias(FunctionName=FN, Name="next")["FunctionVersion"]
    assert version == str(int(published[-1]) + 1)
    if mark != "inactive":
        assert "waiting for it to become Active (Pending)" in pushed.stderr
