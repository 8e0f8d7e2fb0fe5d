"""When a read may skip botocore: a matrix of environments and shared files.

The safety property: whenever `direct_target` answers keys, botocore's own chain (what the
boto3 clients of the same target sign with) answers the same keys, so a direct read never
authenticates as someone botocore would not. Anything that is not plain static keys on a
standard endpoint answers None, and the read goes through botocore.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from twophase.aws.direct_credentials import DirectTarget, direct_target
from twophase.aws.direct_sign import Credentials
from twophase.aws.session import Clients, Target

REGION = "eu-west-1"
ROLE = "arn:aws:iam::123456789012:role/deployer"
# Profiles whose settings send a read to botocore; each also has static keys in the
# credentials file, which a naive reader would wrongly take.
NOT_PLAIN_PROFILES = {
    "role": f"role_arn = {ROLE}\nsource_profile = dev",
    "sso": "sso_session = corp\nsso_account_id = 123456789012\nsso_role_name = Deployer",
    "legacy-sso": (
        "sso_start_url = https://corp.awsapps.com/start\nsso_region = eu-west-1\n"
        "sso_account_id = 123456789012\nsso_role_name = Deployer"
    ),
    "process": "credential_process = /bin/false",
    "webid": f"web_identity_token_file = /var/run/token\nrole_arn = {ROLE}",
    "endpoint": "endpoint_url = http://localhost:4566",
    "bundle": "ca_bundle = /etc/ssl/corp.pem",
    "services": "services = local",
    "fips": "use_fips_endpoint = true",
}
CREDENTIALS = """\
[default]
aws_access_key_id = AKIDEFAULTCRED
aws_secret_access_key = default-cred-secret

[dev]
aws_access_key_id = AKIDEVCRED
aws_secret_access_key = dev-cred-secret
aws_session_token = dev-cred-token

[both]
aws_access_key_id = AKIBOTHCRED
aws_secret_access_key = both-cred-secret

[ops]
aws_access_key_id = AKIOPSCRED
aws_secret_access_key = ops-cred-secret
""" + "".join(
    f"\n[{name}]\naws_access_key_id = AKI{name.upper()}\naws_secret_access_key = s-{name}\n"
    for name in NOT_PLAIN_PROFILES
)
CONFIG = """\
[default]
region = eu-west-1
output = json

[profile dev]
region = eu-west-1
cli_pager =

[profile both]
aws_access_key_id = AKIBOTHCONFIG
aws_secret_access_key = both-config-secret

[profile cfg]
region = eu-west-1
aws_access_key_id = AKICFGCONFIG
aws_secret_access_key = cfg-config-secret
aws_session_token = cfg-config-token

[sso-session corp]
sso_start_url = https://corp.awsapps.com/start
sso_region = eu-west-1

[services local]
lambda =
  endpoint_url = http://localhost:4566
""" + "".join(f"\n[profile {name}]\n{settings}\n" for name, settings in NOT_PLAIN_PROFILES.items())

ENV_KEYS = {"AWS_ACCESS_KEY_ID": "AKIENV", "AWS_SECRET_ACCESS_KEY": "env-secret"}
WEB_IDENTITY = {"AWS_WEB_IDENTITY_TOKEN_FILE": "/var/run/token", "AWS_ROLE_ARN": ROLE}
DEFAULT = Credentials("AKIDEFAULTCRED", "default-cred-secret")
DEV = Credentials("AKIDEVCRED", "dev-cred-secret", "dev-cred-token")
FROM_ENV = Credentials("AKIENV", "env-secret")


@dataclass(frozen=True)
class Case:
    expected: Credentials | None
    environ: dict[str, str] = field(default_factory=dict)
    profile: str | None = None
    credentials: str | None = CREDENTIALS
    config: str | None = CONFIG


CASES = {
    "env-keys": Case(FROM_ENV, ENV_KEYS),
    "env-keys-with-session-token": Case(
        Credentials("AKIENV", "env-secret", "env-token"),
        {**ENV_KEYS, "AWS_SESSION_TOKEN": "env-token"},
    ),
    "env-keys-lose-to-an-explicit-profile": Case(DEV, ENV_KEYS, profile="dev"),
    "env-keys-win-over-AWS_PROFILE": Case(FROM_ENV, {**ENV_KEYS, "AWS_PROFILE": "dev"}),
    "env-keys-win-over-a-web-identity": Case(FROM_ENV, {**ENV_KEYS, **WEB_IDENTITY}),
    "only-the-env-access-key": Case(None, {"AWS_ACCESS_KEY_ID": "AKIENV"}),
    "only-the-env-secret-key": Case(None, {"AWS_SECRET_ACCESS_KEY": "env-secret"}),
    "env-keys-expiring": Case(None, {**ENV_KEYS, "AWS_CREDENTIAL_EXPIRATION": "2030-01-01"}),
    "default-profile-in-credentials-file": Case(DEFAULT),
    "default-profile-in-config-file-only": Case(
        Credentials("AKICONFDEFAULT", "conf-default-secret"),
        credentials=None,
        config="[default]\naws_access_key_id = AKICONFDEFAULT\n"
        "aws_secret_access_key = conf-default-secret\n",
    ),
    "no-files-no-env": Case(None, credentials=None, config=None),
    "AWS_PROFILE-in-credentials-file": Case(DEV, {"AWS_PROFILE": "dev"}),
    "explicit-profile-in-credentials-file": Case(DEV, profile="dev"),
    "explicit-profile-in-config-file-only": Case(
        Credentials("AKICFGCONFIG", "cfg-config-secret", "cfg-config-token"), profile="cfg"
    ),
    "credentials-file-wins-over-config-file": Case(
        Credentials("AKIBOTHCRED", "both-cred-secret"), profile="both"
    ),
    "explicit-profile-ignores-an-env-web-identity": Case(DEV, WEB_IDENTITY, profile="dev"),
    "env-web-identity-without-env-keys": Case(None, WEB_IDENTITY),
    **{f"profile-with-{n}": Case(None, profile=n) for n in NOT_PLAIN_PROFILES},
    **{f"AWS_PROFILE-with-{n}": Case(None, {"AWS_PROFILE": n}) for n in ("role", "process")},
    "explicit-missing-profile": Case(None, profile="nowhere"),
    "AWS_PROFILE-missing": Case(None, {"AWS_PROFILE": "nowhere"}),
    "env-keys-and-AWS_PROFILE-missing": Case(None, {**ENV_KEYS, "AWS_PROFILE": "nowhere"}),
    "unparsable-config-file": Case(None, config="aws_access_key_id = AKIX\n[default\n"),
    "unparsable-credentials-file": Case(None, credentials="[default]\n[default]\n"),
    "partial-keys-in-credentials-file": Case(
        None, credentials="[default]\naws_access_key_id = AKIPARTIAL\n"
    ),
    **{
        f"{name}-set": Case(None, {**ENV_KEYS, name: "http://proxy.corp:3128"})
        for name in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "all_proxy")
    },
    "AWS_USE_FIPS_ENDPOINT": Case(None, {**ENV_KEYS, "AWS_USE_FIPS_ENDPOINT": "true"}),
    "AWS_USE_DUALSTACK_ENDPOINT": Case(None, {**ENV_KEYS, "AWS_USE_DUALSTACK_ENDPOINT": "true"}),
    "AWS_ENDPOINT_URL": Case(None, {**ENV_KEYS, "AWS_ENDPOINT_URL": "http://localhost:4566"}),
    "AWS_ENDPOINT_URL_LAMBDA": Case(
        None, {**ENV_KEYS, "AWS_ENDPOINT_URL_LAMBDA": "http://localhost:4566"}
    ),
    # As botocore reads them (botocore.configprovider, botocore.credentials).
    "AWS_DEFAULT_PROFILE-wins-over-AWS_PROFILE": Case(
        DEV, {"AWS_DEFAULT_PROFILE": "dev", "AWS_PROFILE": "ops"}
    ),
    "env-AWS_SECURITY_TOKEN-wins-over-AWS_SESSION_TOKEN": Case(
        Credentials("AKIENV", "env-secret", "security"),
        {**ENV_KEYS, "AWS_SESSION_TOKEN": "session", "AWS_SECURITY_TOKEN": "security"},
    ),
    "file-aws_security_token-wins-over-aws_session_token": Case(
        Credentials("AKIFILE", "file-secret", "security"),
        credentials="[default]\naws_access_key_id = AKIFILE\naws_secret_access_key = "
        "file-secret\naws_session_token = session\naws_security_token = security\n",
    ),
    "quoted-profile-section-with-role_arn": Case(
        None, profile="ops", config=f'[profile "ops"]\nrole_arn = {ROLE}\nsource_profile = dev\n'
    ),
    "empty-access-key-in-credentials-file": Case(
        None,
        credentials="[default]\naws_access_key_id =\naws_secret_access_key = empty-secret\n",
        config="[default]\naws_access_key_id = AKICONF\naws_secret_access_key = conf-secret\n",
    ),
}


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A clean process environment: no AWS_* or proxy variable, HOME in tmp_path (so the
    default `~/.aws` files are empty), no instance metadata lookups."""
    for name in list(os.environ):
        if name.upper().startswith("AWS_") or name.upper().endswith("_PROXY"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    return tmp_path


def files(home: Path, credentials: str | None, config: str | None) -> dict[str, str]:
    """The shared files' variables, each file written when given (else it does not exist)."""
    environ = {}
    for variable, name, text in (
        ("AWS_SHARED_CREDENTIALS_FILE", "credentials", credentials),
        ("AWS_CONFIG_FILE", "config", config),
    ):
        path = home / name
        if text is not None:
            path.write_text(text)
        environ[variable] = str(path)
    return environ


def resolve(
    home: Path, monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], target: Target
) -> DirectTarget | None:
    """direct_target for `environ`, which is also the process's (for botocore to compare)."""
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    return direct_target(target, environ=environ)


def botocore_keys(target: Target) -> Credentials | None:
    """The keys the boto3 clients of `target` sign with (botocore's own chain)."""
    found = Clients(target).session.get_credentials()
    if found is None:
        return None
    return Credentials(found.access_key, found.secret_key, found.token)


@pytest.mark.parametrize("case", CASES.values(), ids=CASES.keys())
def test_direct_keys_are_botocores_or_none(
    case: Case, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {**files(home, case.credentials, case.config), **case.environ}
    target = Target(REGION, profile=case.profile)

    found = resolve(home, monkeypatch, environ, target)

    assert (found and found.credentials) == case.expected
    if found is not None:
        assert found.endpoint_of("lambda") == f"https://lambda.{REGION}.amazonaws.com"
        assert found.ca_bundle is None
        assert botocore_keys(target) == found.credentials


def test_file_paths_expand_variables_as_botocore(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """botocore expands `$VAR` in AWS_SHARED_CREDENTIALS_FILE (configloader.raw_config_parse)."""
    environ = files(
        home,
        CREDENTIALS,
        "[default]\naws_access_key_id = AKICONF\naws_secret_access_key = conf-secret\n",
    )
    environ["AWS_SHARED_CREDENTIALS_FILE"] = "$TWOPHASE_TEST_AWS/credentials"
    environ["TWOPHASE_TEST_AWS"] = str(home)
    target = Target(REGION)

    found = resolve(home, monkeypatch, environ, target)

    assert botocore_keys(target) == DEFAULT
    assert found is None or found.credentials == DEFAULT


def test_an_empty_file_variable_reads_no_file(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """botocore reads no credentials file when AWS_SHARED_CREDENTIALS_FILE is set but empty,
    not `~/.aws/credentials`."""
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(CREDENTIALS)
    environ = {"AWS_SHARED_CREDENTIALS_FILE": "", "AWS_CONFIG_FILE": str(home / "none")}
    target = Target(REGION)

    found = resolve(home, monkeypatch, environ, target)

    assert botocore_keys(target) is None
    assert found is None


def test_the_default_home_files_are_read(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (home / ".aws").mkdir()
    (home / ".aws" / "credentials").write_text(CREDENTIALS)
    (home / ".aws" / "config").write_text(CONFIG)
    target = Target(REGION, profile="cfg")

    found = resolve(home, monkeypatch, {}, target)

    assert found is not None
    assert (
        found.credentials
        == botocore_keys(target)
        == Credentials("AKICFGCONFIG", "cfg-config-secret", "cfg-config-token")
    )


@pytest.mark.parametrize(
    ("region", "suffix"),
    [
        ("us-east-1", "amazonaws.com"),
        ("eu-west-1", "amazonaws.com"),
        ("il-central-1", "amazonaws.com"),
        ("us-gov-west-1", "amazonaws.com"),
        ("us-gov-east-1", "amazonaws.com"),
        ("cn-north-1", "amazonaws.com.cn"),
        ("cn-northwest-1", "amazonaws.com.cn"),
    ],
)
def test_standard_endpoints_are_botocores(
    region: str, suffix: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = Target(region)

    found = resolve(home, monkeypatch, ENV_KEYS, target)

    assert found is not None and found.credentials == FROM_ENV
    clients = Clients(target)
    for service in ("lambda", "cloudformation"):
        assert found.endpoint_of(service) == f"https://{service}.{region}.{suffix}"
        assert found.endpoint_of(service) == clients.client(service).meta.endpoint_url


@pytest.mark.parametrize(
    "region", ["us-iso-east-1", "us-isob-east-1", "eu-isoe-west-1", "eusc-de-east-1", "local", ""]
)
def test_other_partitions_go_through_botocore(
    region: str, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert resolve(home, monkeypatch, ENV_KEYS, Target(region)) is None


def test_a_given_endpoint_wins_over_AWS_ENDPOINT_URL_LAMBDA(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {**ENV_KEYS, "AWS_ENDPOINT_URL_LAMBDA": "http://elsewhere:1"}
    target = Target(REGION, endpoint_url="http://127.0.0.1:4566")

    found = resolve(home, monkeypatch, environ, target)

    assert found is not None and found.credentials == botocore_keys(target) == FROM_ENV
    assert found.endpoint_of("lambda") == "http://127.0.0.1:4566"
    assert Clients(target).client("lambda").meta.endpoint_url == "http://127.0.0.1:4566"


def test_a_local_target_signs_with_its_own_keys(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The embedded AWS's keys are given outright: no chain, whatever the environment says."""
    environ = {**ENV_KEYS, "AWS_PROFILE": "nowhere", **files(home, CREDENTIALS, CONFIG)}
    target = Target(
        "us-east-1",
        endpoint_url="http://127.0.0.1:4566",
        local=True,
        access_key="AKILOCAL",
        secret_key="local-secret",
    )

    found = resolve(home, monkeypatch, environ, target)

    assert found == DirectTarget(
        Credentials("AKILOCAL", "local-secret"), "us-east-1", "http://127.0.0.1:4566"
    )
    assert botocore_keys(target) == found.credentials


def test_AWS_CA_BUNDLE_is_the_direct_reads_ca_bundle(
    home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    environ = {**ENV_KEYS, "AWS_CA_BUNDLE": str(home / "corp.pem")}

    found = resolve(home, monkeypatch, environ, Target(REGION))

    assert found is not None and found.ca_bundle == str(home / "corp.pem")
    assert found.credentials == FROM_ENV


@pytest.mark.parametrize("value", ["off", "0", "false", "NO"])
def test_TWOPHASE_DIRECT_READS_off_sends_every_read_to_botocore(
    home: Path, monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    local = Target("us-east-1", endpoint_url="http://127.0.0.1:4566", local=True, access_key="K")
    for target in (Target(REGION), local):
        environ = {**ENV_KEYS, "TWOPHASE_DIRECT_READS": value}
        assert resolve(home, monkeypatch, environ, target) is None
    assert resolve(home, monkeypatch, {**ENV_KEYS, "TWOPHASE_DIRECT_READS": "on"}, Target(REGION))
