"""Every malformed twophase.yml gives one ConfigError line naming the YAML path and the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from twophase.config.load import load_config
from twophase.errors import ConfigError, ExitStatus

SHARED = """\
AWSTemplateFormatVersion: "2010-09-09"
Parameters:
  Stage: {Type: String, Default: dev}
Resources:
  OrdersTable:
    Type: AWS::DynamoDB::Table
    Properties:
      BillingMode: PAY_PER_REQUEST
      TableName: !Sub "orders-${Stage}"
  SharedQueue:
    Type: AWS::SQS::Queue
    Properties: {VisibilityTimeout: 20}
"""

# Lines 1-7 of most cases; the case's own lines start at line 8.
HEAD = """\
app: shop
environments:
  dev: {region: eu-west-1}
functions:
  api:
    handler: app.handler
    source: src
"""

CASES: list[tuple[str, str, str]] = [
    (
        "memory-range",
        HEAD + "    memory: 51\n",
        "functions.api.memory (line 8): must be between 128 and 10240",
    ),
    (
        "unknown-key-suggests",
        HEAD + "    memroy: 512\n",
        "functions.api.memroy (line 8): unknown key 'memroy'; did you mean 'memory'?",
    ),
    (
        "unknown-top-level-key",
        HEAD + "funtions: {}\n",
        "funtions (line 8): unknown key 'funtions'; did you mean 'functions'?",
    ),
    (
        "wrong-type-int",
        HEAD + "    timeout: ten\n",
        "functions.api.timeout (line 8): must be a whole number",
    ),
    (
        "int-as-string-is-not-coerced",
        HEAD + '    timeout: "10"\n',
        "functions.api.timeout (line 8): must be a whole number",
    ),
    (
        "unknown-runtime",
        HEAD + "    runtime: python4.0\n",
        "functions.api.runtime (line 8): unknown runtime 'python4.0'",
    ),
    (
        "blocked-runtime",
        HEAD + "    runtime: python2.7\n",
        "functions.api.runtime (line 8): python2.7 can no longer be used: AWS Lambda blocks "
        "creating functions with it since 2021-07-15 and updating them since 2022-05-30; "
        "use python3.14",
    ),
    (
        "python-handler-shape",
        HEAD.replace("app.handler", "handler"),
        "functions.api.handler (line 6): 'handler' is not a python3.12 handler",
    ),
    (
        "java-handler-shape",
        HEAD.replace("app.handler", "shop..Worker") + "    runtime: java21\n",
        "functions.api.handler (line 6): 'shop..Worker' is not a java21 handler",
    ),
    (
        "architecture",
        HEAD + "    architecture: arm\n",
        "functions.api.architecture (line 8): must be 'x86_64' or 'arm64'",
    ),
    (
        "source-missing",
        HEAD.replace("source: src", "source: nope"),
        "functions.api.source (line 7): 'nope' does not exist",
    ),
    (
        "source-wrong-kind",
        HEAD.replace("source: src", "source: notes.txt"),
        "functions.api.source (line 7): 'notes.txt': use a folder, a .zip or a .jar",
    ),
    (
        "jar-needs-java",
        HEAD.replace("source: src", "source: app.jar"),
        "functions.api.source (line 7): 'app.jar': a .jar needs a java runtime",
    ),
    (
        "no-source-no-image",
        HEAD.replace("    source: src\n", ""),
        "functions.api (line 5): needs `source:`",
    ),
    (
        "two-trigger-kinds",
        HEAD + "    trigger:\n      http: {}\n      schedule: rate(1 day)\n",
        "functions.api.trigger (line 8): has http and schedule",
    ),
    (
        "bad-route-method",
        HEAD + '    trigger: {http: {routes: ["GET /a", "FETCH /b"]}}\n',
        "functions.api.trigger.http.routes[1] (line 8): 'FETCH /b' is not a route",
    ),
    (
        "bad-route-path",
        HEAD + "    trigger:\n      http:\n        routes:\n"
        "          - GET /a\n          - GET no-slash\n",
        "functions.api.trigger.http.routes[1] (line 12): 'GET no-slash' has an invalid path",
    ),
    (
        "duplicate-route",
        HEAD + '    trigger: {http: {routes: ["GET /a", "GET /a"]}}\n',
        "functions.api.trigger.http (line 8): route 'GET /a' appears twice",
    ),
    (
        "bad-schedule",
        HEAD + "    trigger: {schedule: every day}\n",
        "functions.api.trigger.schedule (line 8): 'every day' is not a schedule",
    ),
    (
        "rate-plural",
        HEAD + "    trigger: {schedule: rate(1 days)}\n",
        "functions.api.trigger.schedule (line 8): 'rate(1 days)': use a singular unit",
    ),
    (
        "queue-not-in-template",
        HEAD + "    trigger: {queue: {queue: OrderQueue}}\n",
        "functions.api.trigger.queue.queue (line 8): 'OrderQueue' is not an AWS::SQS::Queue",
    ),
    (
        "queue-names-a-table",
        HEAD + "    trigger: {queue: {queue: OrdersTable}}\n",
        "functions.api.trigger.queue.queue (line 8): 'OrdersTable' is not an AWS::SQS::Queue",
    ),
    (
        "queue-visibility-below-timeout",
        HEAD + "    timeout: 30\n    trigger: {queue: {queue: SharedQueue}}\n",
        "functions.api.trigger.queue.queue (line 9): SharedQueue has VisibilityTimeout 20s",
    ),
    (
        "max-receive-count-on-shared-queue",
        HEAD + "    trigger: {queue: {queue: SharedQueue, max_receive_count: 3}}\n",
        "functions.api.trigger.queue (line 8): max_receive_count applies to generated queues only",
    ),
    (
        "batch-size-needs-window",
        HEAD + "    trigger: {queue: {batch_size: 100}}\n",
        "functions.api.trigger.queue (line 8): batch_size above 10 needs batching_window",
    ),
    (
        "unknown-ref-in-environment",
        HEAD + "    environment:\n      TABLE: ${OrderTable}\n",
        "functions.api.environment.TABLE (line 9): ${OrderTable} names no resource or parameter",
    ),
    (
        "unknown-ref-in-policy",
        HEAD + "    policies:\n      - Effect: Allow\n"
        "        Action: sqs:SendMessage\n        Resource: ${Queue.Arn}\n",
        "functions.api.policies[0] (line 9): ${Queue.Arn} names no resource or parameter",
    ),
    (
        "attribute-of-parameter",
        HEAD + "    environment: {STAGE: '${Stage.Name}'}\n",
        "functions.api.environment.STAGE (line 8): ${Stage.Name}: Stage is a parameter",
    ),
    (
        "environment-value-not-string",
        HEAD + "    environment:\n      PORT: 8080\n",
        "functions.api.environment.PORT (line 9): must be a string",
    ),
    (
        "reserved-environment-variable",
        HEAD + "    environment:\n      AWS_REGION: x\n",
        "functions.api.environment.AWS_REGION (line 9): 'AWS_REGION' is reserved",
    ),
    (
        "policy-without-effect",
        HEAD + "    policies:\n      - {Action: s3:GetObject, Resource: '*'}\n",
        "functions.api.policies[0] (line 9): needs Effect: Allow",
    ),
    (
        "policy-with-principal",
        HEAD + "    policies:\n      - Effect: Allow\n"
        "        Principal: '*'\n        Action: s3:GetObject\n        Resource: '*'\n",
        "functions.api.policies[0] (line 9): unknown statement key 'Principal'",
    ),
    (
        "owner-not-an-arn",
        HEAD + "    owners: ['web team']\n",
        "functions.api.owners[0] (line 8): 'web team' is not a role, user or group",
    ),
    (
        "duplicate-alias",
        HEAD + "aliases: [next, next]\n",
        "aliases (line 8): alias 'next' appears twice",
    ),
    (
        "alias-latest",
        HEAD + "aliases: [next, $LATEST]\n",
        "aliases[1] (line 8): '$LATEST' is not an alias name",
    ),
    (
        "alias-numeric",
        HEAD + "aliases:\n  - next\n  - '7'\n",
        "aliases[1] (line 10): '7' is not an alias name",
    ),
    ("aliases-empty", HEAD + "aliases: []\n", "aliases (line 8): must not be empty"),
    (
        "app-name-uppercase",
        HEAD.replace("app: shop", "app: Shop"),
        "app (line 1): 'Shop' is not a valid name",
    ),
    (
        "function-name-underscore",
        HEAD.replace("  api:", "  my_api:"),
        "functions.my_api (line 5): 'my_api' is not a valid name",
    ),
    (
        "environment-name",
        HEAD.replace("  dev:", "  Dev:"),
        "environments.Dev (line 3): 'Dev' is not a valid name",
    ),
    (
        "physical-name-too-long",
        HEAD.replace("app: shop", "app: " + "s" * 58),
        "functions.api (line 5): the function name",
    ),
    (
        "bad-region",
        HEAD.replace("region: eu-west-1", "region: europe"),
        "environments.dev.region (line 3): 'europe' is not an AWS region",
    ),
    (
        "bad-endpoint",
        HEAD.replace("region: eu-west-1", "endpoint: ftp://x"),
        "environments.dev.endpoint (line 3): 'ftp://x': use `local`",
    ),
    (
        "log-retention",
        HEAD + "defaults: {log_retention_days: 10}\n",
        "defaults.log_retention_days (line 8): CloudWatch Logs does not accept 10 days",
    ),
    (
        "unknown-parameter",
        HEAD.replace("{region: eu-west-1}", "{region: eu-west-1, parameters: {Nope: x}}"),
        "environments.dev.parameters.Nope (line 3): the shared template has no parameter 'Nope'",
    ),
    (
        "missing-required-key",
        HEAD.replace("app: shop\n", ""),
        "app (line 1): is missing; add `app:`",
    ),
    (
        "no-functions",
        "app: shop\nenvironments: {dev: {}}\nfunctions: {}\n",
        "functions (line 3): must not be empty",
    ),
    (
        "duplicate-key",
        HEAD + "    memory: 256\n    memory: 512\n",
        "functions.api.memory (line 9): duplicate key 'memory' (first at line 8)",
    ),
    ("yaml-syntax", HEAD + "    memory: [256\n", "(line 9): YAML syntax error"),
    (
        "unknown-tag",
        HEAD + "    description: !Ref Foo\n",
        "functions.api.description (line 8): unknown tag !Ref",
    ),
    ("not-a-mapping", "- app: shop\n", "(line 1): must be a mapping of settings"),
    (
        "template-missing",
        HEAD.replace("app: shop\n", "app: shop\ntemplate: nope.yaml\n"),
        "template (line 2): 'nope.yaml' does not exist",
    ),
]


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "src").mkdir()
    (tmp_path / "notes.txt").write_text("not code")
    (tmp_path / "app.jar").write_bytes(b"PK\x05\x06" + b"\0" * 18)
    (tmp_path / "shared.yaml").write_text(SHARED)
    return tmp_path


def _load(project: Path, text: str) -> ConfigError:
    path = project / "twophase.yml"
    path.write_text(text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    return info.value


def _with_template(text: str) -> str:
    """Append `template:` at the end so the case's line numbers stay as written."""
    if "template:" in text or not text.startswith(("app:", "environments:")):
        return text
    return text + "template: shared.yaml\n"


@pytest.mark.parametrize(("text", "expected"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_names_path_and_line(project: Path, text: str, expected: str) -> None:
    error = _load(project, _with_template(text))
    message = str(error)
    assert expected in message
    assert message.startswith(str(project / "twophase.yml"))
    assert "\n" not in message
    assert error.exit_status is ExitStatus.USAGE


def test_there_are_at_least_25_distinct_cases() -> None:
    assert len({c[0] for c in CASES}) == len(CASES) >= 25


def test_empty_file(project: Path) -> None:
    assert "the file is empty" in str(_load(project, ""))


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "twophase.yml")


def test_required_template_parameter_needs_a_value(project: Path) -> None:
    (project / "shared.yaml").write_text(SHARED.replace(", Default: dev", ""))
    message = str(_load(project, HEAD.replace("app: shop\n", "app: shop\ntemplate: shared.yaml\n")))
    assert "environments.dev (line 4): no value for template parameter 'Stage'" in message


@pytest.mark.parametrize(
    ("template_text", "expected"),
    [
        ("Resources:\n  Thing:\n    Properties: {}\n", "Resources.Thing (line 2): needs a Type"),
        (
            "Resources:\n  Thing:\n    Type: X\n    Value: !Bogus x\n",
            "(line 4): unknown tag !Bogus",
        ),
        ("Resources: {}\n", "Resources (line 1): a template needs a Resources mapping"),
        ("Resourcez:\n  A: {Type: X}\n", "Resourcez (line 1): unknown section"),
        ("Resources:\n  A: {Type: X\n", "(line 3): YAML syntax error"),
    ],
    ids=["no-type", "unknown-tag", "no-resources", "unknown-section", "syntax"],
)
def test_invalid_shared_template(project: Path, template_text: str, expected: str) -> None:
    (project / "shared.yaml").write_text(template_text)
    message = str(_load(project, HEAD + "template: shared.yaml\n"))
    assert message.startswith(str(project / "shared.yaml"))
    assert expected in message


@pytest.mark.parametrize(
    "owner",
    [
        "arn:aws:iam::123456789012:role/web-team",
        "arn:aws:iam::123456789012:user/alice",
        "arn:aws:iam::123456789012:group/web",
        "web-team",
    ],
)
def test_owners_may_be_role_user_or_group_arns_or_role_names(tmp_path: Path, owner: str) -> None:
    path = tmp_path / "twophase.yml"
    path.write_text(HEAD + f"    owners: ['{owner}']\n")
    (tmp_path / "src").mkdir(exist_ok=True)
    assert load_config(path).functions["api"].owners == (owner,)
