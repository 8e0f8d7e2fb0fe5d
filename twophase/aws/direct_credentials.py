"""When a read may skip botocore: the credentials are static keys and the endpoint is plain.

botocore resolves credentials through a chain of a dozen providers (environment, roles to
assume, web identity, IAM Identity Center, shared files, credential processes, containers,
instance metadata) and lets a profile change the endpoint, the CA bundle, FIPS or dual-stack, and
proxies come from the environment. The direct reads (`direct.py`) take only the cases whose answer
is certain without botocore: the embedded AWS's keys, or static keys that botocore's own chain
would pick first (the environment's, or the profile's in the shared files), with the region's
standard endpoint or the one twophase was given. Anything else answers None and the caller uses
botocore, so a direct read never authenticates as someone botocore would not.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from twophase.aws.direct_sign import Credentials

if TYPE_CHECKING:
    from twophase.aws.session import Target

# Settings of a profile that change nothing a direct read does (`cli_*` too); any other setting
# (role_arn, sso_*, credential_process, endpoint_url, services, ca_bundle, use_fips_endpoint, …)
# sends the read to botocore.
PLAIN_SETTINGS = frozenset(
    {
        "aws_access_key_id",
        "aws_secret_access_key",
        "aws_session_token",
        "aws_security_token",
        "aws_account_id",
        "region",
        "output",
        "max_attempts",
        "retry_mode",
    }
)
# Environment variables that make botocore do something a direct read does not.
NOT_PLAIN_ENV = (
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "ALL_PROXY",
    "AWS_USE_FIPS_ENDPOINT",
    "AWS_USE_DUALSTACK_ENDPOINT",
    "AWS_CREDENTIAL_EXPIRATION",
)
# `TWOPHASE_DIRECT_READS=off` sends every read to botocore (a way out, should a network need
# something botocore does and this module does not know of).
SWITCH_ENV = "TWOPHASE_DIRECT_READS"
OFF = frozenset({"0", "off", "false", "no"})
# Regions of the partitions whose endpoints are `<service>.<region>.<suffix>`.
STANDARD_REGION = re.compile(r"(?:[a-z]{2}|us-gov)-[a-z]+-\d{1,2}")
CHINA_REGION = re.compile(r"cn-[a-z]+-\d{1,2}")


@dataclass(frozen=True)
class DirectTarget:
    """Where and as whom a direct read goes: `endpoint` is `scheme://host[:port]`, or the
    standard endpoint pattern with `{service}` to fill in; `ca_bundle`, the CA certificates to
    verify TLS with instead of the default ones (AWS_CA_BUNDLE, as botocore reads it)."""

    credentials: Credentials
    region: str
    endpoint: str
    ca_bundle: str | None = None

    def endpoint_of(self, service: str) -> str:
        return self.endpoint.format(service=service)


def direct_target(target: Target, environ: Mapping[str, str] = os.environ) -> DirectTarget | None:
    """The target's static credentials and endpoint, or None when botocore must resolve them."""
    if environ.get(SWITCH_ENV, "").strip().lower() in OFF:
        return None
    if any(environ.get(name) or environ.get(name.lower()) for name in NOT_PLAIN_ENV):
        return None
    endpoint = target.endpoint_url or _standard_endpoint(target.region, environ)
    if endpoint is None:
        return None
    ca_bundle = environ.get("AWS_CA_BUNDLE") or None
    if target.access_key:  # given outright (the embedded AWS's keys): no chain to follow
        given = Credentials(target.access_key, target.secret_key or "")
        return DirectTarget(given, target.region, endpoint, ca_bundle)
    keys = _chain_keys(target.profile, environ)
    return None if keys is None else DirectTarget(keys, target.region, endpoint, ca_bundle)


def _standard_endpoint(region: str, environ: Mapping[str, str]) -> str | None:
    if any(name.startswith("AWS_ENDPOINT_URL") for name in environ):
        return None  # a configured endpoint (AWS_ENDPOINT_URL, AWS_ENDPOINT_URL_<SERVICE>)
    if STANDARD_REGION.fullmatch(region) and not region.startswith("cn-"):
        return f"https://{{service}}.{region}.amazonaws.com"
    if CHINA_REGION.fullmatch(region):
        return f"https://{{service}}.{region}.amazonaws.com.cn"
    return None


def _chain_keys(explicit_profile: str | None, environ: Mapping[str, str]) -> Credentials | None:
    """What botocore's chain would answer, when that is static keys: the environment's (unless
    a profile was named explicitly, which botocore lets win), else the profile's in the shared
    credentials file, else in the config file. A profile with anything but plain settings, a
    web identity in the environment, or no keys at all: None (botocore decides)."""
    profile = explicit_profile or _first_set(environ, "AWS_DEFAULT_PROFILE", "AWS_PROFILE")
    sections = _profile_sections(profile or "default", environ)
    if sections is None:
        return None
    if explicit_profile is None:
        if environ.get("AWS_ACCESS_KEY_ID") or environ.get("AWS_SECRET_ACCESS_KEY"):
            return _keys(
                environ.get("AWS_ACCESS_KEY_ID"),
                environ.get("AWS_SECRET_ACCESS_KEY"),
                environ.get("AWS_SECURITY_TOKEN") or environ.get("AWS_SESSION_TOKEN"),
            )
        if environ.get("AWS_WEB_IDENTITY_TOKEN_FILE"):
            return None
    credentials_file, config_file = sections
    for section in (credentials_file, config_file):
        if "aws_access_key_id" in section:  # even empty: botocore stops here
            token = next(
                (section[k] for k in ("aws_security_token", "aws_session_token") if k in section),
                None,
            )
            return _keys(section["aws_access_key_id"], section.get("aws_secret_access_key"), token)
    return None


def _keys(access: str | None, secret: str | None, token: str | None) -> Credentials | None:
    """Both keys, or None (botocore reports the partial credentials in its words)."""
    return Credentials(access, secret, token or None) if access and secret else None


def _profile_sections(
    profile: str, environ: Mapping[str, str]
) -> tuple[dict[str, str], dict[str, str]] | None:
    """The profile's settings in the shared credentials file and in the config file; None when
    either file cannot be read, a profile named explicitly exists in neither, or a setting is
    not plain."""
    credentials_path = environ.get("AWS_SHARED_CREDENTIALS_FILE", "~/.aws/credentials")
    config_path = environ.get("AWS_CONFIG_FILE", "~/.aws/config")
    credentials = _read(credentials_path)
    config = _read(config_path)
    if credentials is None or config is None:
        return None
    in_credentials = credentials.get(profile)
    in_config = _config_profile(config, profile)
    if in_credentials is None and in_config is None and profile != "default":
        return None
    found = (in_credentials or {}, in_config or {})
    for section in found:
        if any(k not in PLAIN_SETTINGS and not k.startswith("cli_") for k in section):
            return None
    return found


def _first_set(environ: Mapping[str, str], *names: str) -> str | None:
    """The first of `names` set (even empty), as botocore reads a variable with two names."""
    return next((environ[name] for name in names if name in environ), None)


def _config_profile(config: dict[str, dict[str, str]], profile: str) -> dict[str, str] | None:
    """The config file's section of `profile` as botocore finds it (`configloader.
    build_profile_map`): `[profile NAME]` however spaced or quoted, `[default]`; the last wins."""
    import shlex

    found = None
    for name, values in config.items():
        if name == "default" == profile:
            found = values
        elif name.startswith("profile"):
            try:
                parts = shlex.split(name)
            except ValueError:
                continue
            if len(parts) == 2 and parts[1] == profile:
                found = values
    return found


def _read(path: str) -> dict[str, dict[str, str]] | None:
    """An INI file's sections ({} when it does not exist or the path is empty; None when it
    cannot be parsed); `$VAR` and `~` expanded, as botocore does."""
    file = Path(os.path.expanduser(os.path.expandvars(path)))
    if not path or not file.is_file():
        return {}
    from configparser import Error as ConfigError
    from configparser import RawConfigParser

    parser = RawConfigParser()
    try:
        parser.read(file, encoding="utf-8")
    except (ConfigError, OSError, UnicodeDecodeError):
        return None
    return {name: dict(parser.items(name)) for name in parser.sections()}
