"""Phase one through the real CLI against the embedded AWS.

infra up → code and aliases moved out of band (a stand-in for phase two) → config changes →
infra up → nothing reverted; renames refused unless allowed; plan exit codes; determinism.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import LocalAwsHandle
from tests.e2e.helpers import copy_example_app, edit_config, run_cli, zip_with
from twophase.names import owner_policy_id

FUNCTIONS = ("api", "worker", "nightly")


def fn_name(short: str) -> str:
    return f"shop-local-{short}"


def test_up_creates_every_function_with_its_dummy_and_a_second_up_is_a_no_op(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    first = run_cli(capsys, "infra", "up", "--yes")
    assert first.exit_code == 0, first.stderr
    assert "CREATE_COMPLETE" in first.stdout
    lam = local_aws.clients().client("lambda")
    for short in FUNCTIONS:
        aliases = lam.list_aliases(FunctionName=fn_name(short))["Aliases"]
        assert sorted(a["Name"] for a in aliases) == ["live", "next"]
    second = run_cli(capsys, "infra", "up", "--yes")
    assert second.exit_code == 0, second.stderr
    assert "no changes" in second.stdout


def test_up_after_pushes_and_config_changes_reverts_nothing(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    lam = local_aws.clients().client("lambda")
    pushed: dict[str, tuple[str, dict[str, str]]] = {}
    for short in FUNCTIONS:
        name = fn_name(short)
        code = zip_with({"app.py": f"def handler(e, c):\n    return {short!r}\n"})
        lam.update_function_code(FunctionName=name, ZipFile=code)
        version = lam.publish_version(FunctionName=name)["Version"]
        lam.update_alias(FunctionName=name, Name="next", FunctionVersion=version)
        lam.update_alias(FunctionName=name, Name="live", FunctionVersion=version)
        sha = lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"]
        targets = {
            a["Name"]: a["FunctionVersion"] for a in lam.list_aliases(FunctionName=name)["Aliases"]
        }
        pushed[short] = (sha, targets)

    edit_config(
        app,
        functions__api__memory=1024,
        functions__api__timeout=20,
        functions__api__environment={"TABLE": "${OrdersTable}", "MODE": "strict"},
        functions__worker__trigger={"queue": {"batch_size": 5, "max_receive_count": 3}},
    )
    result = run_cli(capsys, "infra", "up", "--yes")
    assert result.exit_code == 0, result.stderr
    assert "UPDATE_COMPLETE" in result.stdout

    config = lam.get_function_configuration(FunctionName=fn_name("api"))
    assert config["MemorySize"] == 1024
    assert config["Timeout"] == 20
    assert config["Environment"]["Variables"]["MODE"] == "strict"
    for short, (sha, targets) in pushed.items():
        name = fn_name(short)
        assert lam.get_function(FunctionName=name)["Configuration"]["CodeSha256"] == sha
        now = {
            a["Name"]: a["FunctionVersion"] for a in lam.list_aliases(FunctionName=name)["Aliases"]
        }
        assert now == targets, f"{short}: alias targets moved"


def test_renaming_a_function_with_pushed_code_is_refused_unless_allowed(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    lam = local_aws.clients().client("lambda")
    lam.update_function_code(
        FunctionName=fn_name("nightly"), ZipFile=zip_with({"report.py": "def handler(e, c): 1"})
    )
    text = app.read_text().replace("  nightly:", "  report:")
    app.write_text(text)

    refused = run_cli(capsys, "infra", "up", "--yes")
    assert refused.exit_code == 4
    assert "holds pushed code" in refused.stderr
    assert "--allow-delete nightly" in refused.stderr
    assert lam.get_function(FunctionName=fn_name("nightly"))  # nothing changed remotely
    stack = local_aws.clients().client("cloudformation").describe_stacks(StackName="shop-local")
    assert stack["Stacks"][0]["StackStatus"] == "CREATE_COMPLETE"

    allowed = run_cli(capsys, "infra", "up", "--yes", "--allow-replace", "nightly")
    assert allowed.exit_code == 0, allowed.stderr
    lam.get_function(FunctionName=fn_name("report"))
    with pytest.raises(lam.exceptions.ResourceNotFoundException):
        lam.get_function(FunctionName=fn_name("nightly"))


def test_plan_exit_code_and_render_determinism(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    pending = run_cli(capsys, "infra", "plan", "--exit-code")
    assert pending.exit_code == 3
    assert "ApiFunction" in pending.stdout
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    clean = run_cli(capsys, "infra", "plan", "--exit-code")
    assert clean.exit_code == 0, clean.stderr
    assert "no changes" in clean.stdout

    one = run_cli(capsys, "infra", "render")
    two = run_cli(capsys, "infra", "render")
    assert one.exit_code == 0
    assert one.stdout == two.stdout
    json.loads(one.stdout)


def test_down_keeps_protected_environments_and_deletes_others(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    refused = run_cli(capsys, "-e", "prod", "infra", "down", "--yes")
    assert refused.exit_code == 4
    assert "protected" in refused.stderr
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    gone = run_cli(capsys, "infra", "down", "--yes")
    assert gone.exit_code == 0, gone.stderr
    cfn = local_aws.clients().client("cloudformation")
    names = {
        s["StackName"]
        for s in cfn.list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    }
    assert "shop-local" not in names
    assert "shop-local-artifacts" in names  # kept without --purge


def test_down_keeps_tables_and_purge_deletes_the_artifact_bucket(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0
    clients = local_aws.clients()
    tables = clients.client("dynamodb").list_tables()["TableNames"]
    assert len(tables) == 1
    bucket = "shop-local-artifacts-123456789012-us-east-1"
    assert clients.client("s3").list_objects_v2(Bucket=bucket)["KeyCount"] > 0

    gone = run_cli(capsys, "infra", "down", "--yes", "--purge")
    assert gone.exit_code == 0, gone.stderr
    assert clients.client("dynamodb").list_tables()["TableNames"] == tables  # data is retained
    buckets = [b["Name"] for b in clients.client("s3").list_buckets()["Buckets"]]
    assert bucket not in buckets
    cfn = clients.client("cloudformation")
    live = {
        s["StackName"]
        for s in cfn.list_stacks()["StackSummaries"]
        if s["StackStatus"] != "DELETE_COMPLETE"
    }
    assert live.isdisjoint({"shop-local", "shop-local-artifacts"})


def test_up_on_a_protected_environment_needs_a_yes(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    edit_config(app, environments__local__protected=True)
    refused = run_cli(capsys, "infra", "up")
    assert refused.exit_code == 2
    assert "not confirmed" in refused.stderr and "--yes" in refused.stderr
    cfn = local_aws.clients().client("cloudformation")
    names = {s["StackName"] for s in cfn.list_stacks()["StackSummaries"]}
    assert names.isdisjoint({"shop-local", "shop-local-artifacts"})  # nothing changed remotely
    assert run_cli(capsys, "infra", "up", "--yes").exit_code == 0


def test_a_template_over_the_inline_limit_goes_through_the_bucket(
    app: Path, local_aws: LocalAwsHandle, capsys: pytest.CaptureFixture[str]
) -> None:
    shared = app.parent / "infra/cloudformation/shared.yaml"
    notes = "x" * 60_000  # CloudFormation takes at most 51,200 bytes inline
    shared.write_text(shared.read_text() + f"\nMetadata:\n  Notes: {notes}\n")

    first = run_cli(capsys, "infra", "up", "--yes")

    assert first.exit_code == 0, first.stderr
    s3 = local_aws.clients().client("s3")
    bucket = "shop-local-artifacts-123456789012-us-east-1"
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="templates/")["Contents"]]
    assert len(keys) == 1
    assert run_cli(capsys, "infra", "up", "--yes").stdout.strip().endswith("no changes")


WEB_TEAM_POLICY = owner_policy_id("role", "web-team", 1)


@pytest.mark.parametrize(
    ("section", "logical_id", "expected"),
    [
        (
            "Resources",
            WEB_TEAM_POLICY,  # api's owner's deployer policy
            f"functions.api.owners: generates '{WEB_TEAM_POLICY}', which is also a resource of "
            "infra/cloudformation/shared.yaml; rename the one in infra/cloudformation/shared.yaml",
        ),
        ("Resources", "ApiFunction", "functions.api: generates 'ApiFunction'"),
        ("Outputs", "ApiFunctionArn", "functions.api: generates the output 'ApiFunctionArn'"),
    ],
)
def test_render_refuses_a_shared_id_it_generates_in_one_line(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    section: str,
    logical_id: str,
    expected: str,
) -> None:
    # Offline: the refusal comes from rendering, before anything is asked of AWS.
    copy_example_app(tmp_path)
    monkeypatch.chdir(tmp_path)
    shared = tmp_path / "infra/cloudformation/shared.yaml"
    text = shared.read_text()
    assert text.count(f"\n{section}:\n") == 1
    body = "    Type: AWS::SNS::Topic\n" if section == "Resources" else "    Value: x\n"
    shared.write_text(text.replace(f"\n{section}:\n", f"\n{section}:\n  {logical_id}:\n{body}"))

    result = run_cli(capsys, "-e", "local", "infra", "render", "--offline")

    assert result.exit_code == 2
    assert result.stdout == ""
    assert expected in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
