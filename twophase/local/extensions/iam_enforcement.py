"""Optional IAM enforcement: requests are authenticated and authorised as AWS does.

AWS behaviour (IAM user guide, "Policy evaluation logic"; Lambda developer guide, "Resources and
conditions for Lambda actions"): every request is signed with SigV4 by a known access key, and its
action is allowed only if an identity policy allows it *on the resource the request addresses* and
none denies it. For Lambda that resource is the function ARN
(`arn:aws:lambda:REGION:ACCOUNT:function:NAME`), or the qualified ARN (`…:NAME:QUALIFIER`) when the
request names a version or alias (`Qualifier=`, `NAME:QUALIFIER`, or an alias path); Invoke is the
IAM action `lambda:InvokeFunction`; a denial is `AccessDeniedException` (HTTP 403). CloudFormation
actions that name a stack are checked against the stack ARN, CloudWatch Logs actions that name a log
group against `…:log-group:NAME:*` (and answered with Logs' JSON AccessDeniedException);
CodeDeploy and CloudWatch actions against what `_iam_resources` says (JSON requests get JSON).

Off by default. Switch it with `enable(True/False)` at runtime (tests do, per test, without
restarting the server), or start the server with `TWOPHASE_LOCAL_IAM=1`. It uses moto's switch
(`settings.INITIAL_NO_AUTH_ACTION_COUNT`, as `moto.core.authorization.enable_iam_authentication`
does) and fixes what moto 5.2.5 gets wrong: it checks Lambda and CloudFormation by action only
(resource `*`, so a policy scoped to one function denies every function), it signs bodiless requests
(GET, DELETE) over the query parameters instead of an empty payload (so their signature never
matches), and it answers Lambda requests with IAM's XML errors instead of Lambda's JSON ones.

The server's root keys (generated at each start, `twophase.local.root_credentials`; there is no
built-in key) act as the account's root user: the signature is still checked, and every action on
every resource is allowed. They need no IAM user, so they keep working after a reset and never
appear in ListUsers. Any other key must belong to an IAM user (or an assumed role) of the embedded
IAM, as on AWS.

Statements are matched as IAM matches them (`_iam_policy`): `*` and `?` are the only wildcards in
ARNs (moto 5.2.5 reads them as regular expressions, so the `$` of `function:NAME:$LATEST` is an
anchor and `.` any character), NotResource is honoured, and conditions are evaluated against the
request's context keys (`aws:RequestedRegion`, `aws:PrincipalArn`, `aws:PrincipalAccount`,
`aws:username`, `aws:CurrentTime`, `aws:EpochTime`, `aws:SecureTransport`, and for listing a bucket
`s3:prefix`, `s3:delimiter`, `s3:max-keys`); moto ignores every operator but StringEquals and
turns a failed condition into an explicit deny. The embedded AWS is reached over loopback, which
stands for TLS here: `aws:SecureTransport` is true. S3 bucket policies are matched the same way.

A request is also checked for the reads it implies, as AWS checks them with the caller's own
credentials (S3 API reference, CopyObject: "you must have read access to the source object and
write access to the destination bucket"; Lambda API reference, UpdateFunctionCode and
CreateFunction `S3Bucket`/`S3Key`): CopyObject and UploadPartCopy need `s3:GetObject` (or
`s3:GetObjectVersion`) on the `x-amz-copy-source` object, and a function's code taken from S3 needs
`s3:GetObject` on that object; Lambda's denial is `AccessDeniedException` "Your access has been
denied by S3, please make sure your request credentials have permission to GetObject for
BUCKET/KEY. S3 Error Code: AccessDenied. S3 Error Message: Access Denied"; and what
`_iam_resources.implied_actions` lists.
"""

from __future__ import annotations

import functools
import json
import os
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from twophase.local import root_credentials
from twophase.local.extensions import _iam_resources
from twophase.local.extensions._iam_policy import Result, normalized_context, statement_result

ENV_SWITCH = "TWOPHASE_LOCAL_IAM"
_MARK = "_twophase_iam_enforcement"
_IAM_ACTION_NAMES = {"lambda:Invoke": "lambda:InvokeFunction"}
_IAM_SERVICE_NAMES = {"monitoring": "cloudwatch"}  # signed as `monitoring`, authorised as this
_ADMIN_POLICY = json.dumps(
    {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}
)


def enable(on: bool) -> None:
    """Turn enforcement on or off for every later request of this process's embedded AWS."""
    from moto import settings
    from moto.core.authorization import ActionAuthenticatorMixin

    settings.INITIAL_NO_AUTH_ACTION_COUNT = 0 if on else float("inf")
    ActionAuthenticatorMixin.request_count = 0


def enabled() -> bool:
    from moto import settings

    return bool(settings.INITIAL_NO_AUTH_ACTION_COUNT == 0)


class LocalRootKey:
    """The server's root keys: the account's root user, allowed everything."""

    def __init__(self, account_id: str, partition: str, root: root_credentials.RootCredentials):
        self.arn = f"arn:{partition}:iam::{account_id}:root"
        self._root = root

    def create_credentials(self) -> Any:
        from botocore.credentials import Credentials

        return Credentials(self._root.access_key_id, self._root.secret_access_key)

    def collect_policies(self) -> list[str]:
        return [_ADMIN_POLICY]


def _with_local_root(original: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(original)
    def create_access_key(
        account_id: str, partition: str, access_key_id: str, headers: dict[str, str]
    ) -> Any:
        root = root_credentials.current()
        if root is not None and root.is_root_key(access_key_id):
            return LocalRootKey(account_id, partition, root)
        return original(account_id, partition, access_key_id, headers)

    return create_access_key


def _signed_request(self: Any) -> Any:
    """moto's `_create_aws_request`, with an empty payload for requests that have no body."""
    from botocore.awsrequest import AWSRequest

    signed = self._get_string_between("SignedHeaders=", ",", self._headers["Authorization"])
    headers = self._create_headers_for_aws_request(signed.split(";"), self._headers)
    content_type = self._headers.get("Content-Type", "")
    if self._body:
        data: Any = self._body
    elif self._method == "POST" and content_type.startswith("application/x-www-form-urlencoded"):
        data = self._data  # werkzeug consumed the form: moto re-encodes its fields
    else:
        data = b""  # moto would sign the query parameters (or the headers) as the payload
    request = AWSRequest(method=self._method, url=self._path, data=data, headers=headers)
    request.context["timestamp"] = headers["X-Amz-Date"]
    return request


def _iam_action_names(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def __init__(self: Any, *args: Any, **kwargs: Any) -> None:
        original(self, *args, **kwargs)
        service, _, name = self._action.partition(":")
        action = f"{_IAM_SERVICE_NAMES.get(service, service)}:{name}"
        self._action = _IAM_ACTION_NAMES.get(action, action)

    return __init__


class _LambdaErrors:
    """Lambda answers authentication and authorisation failures in JSON, with its own codes."""

    @staticmethod
    def error(code: str, message: str) -> Exception:
        from moto.core.exceptions import JsonRESTError

        error = JsonRESTError(code, message)
        error.code = 403
        return error


def _lambda_errors(name: str, code: str, message: Callable[[Any], str]) -> Callable[..., Any]:
    from moto.iam.access_control import IAMRequest

    original = getattr(IAMRequest, name)

    @functools.wraps(original)
    def raise_error(self: Any, *args: Any) -> None:
        json_request = "json" in str(_header(self, "content-type") or "")
        if self._service in ("lambda", "logs", "codedeploy") or json_request:  # their own shape
            raise _LambdaErrors.error(code, message(self))
        original(self, *args)

    return raise_error


def _denied_message(request: Any) -> str:
    resource = getattr(request, "_twophase_resource", "*")
    return (
        f"User: {request._access_key.arn} is not authorized to perform: {request._action} "
        f"on resource: {resource} because no identity-based policy allows the "
        f"{request._action} action"
    )


# -- policy evaluation --------------------------------------------------------------------------

_LIST_KEYS = {"s3:prefix": "prefix", "s3:delimiter": "delimiter", "s3:max-keys": "max-keys"}
_LIST_ACTIONS = ("s3:ListBucket", "s3:ListBucketVersions", "s3:ListBucketMultipartUploads")


def _base_context() -> dict[str, list[str]]:
    now = time.time()
    return {
        "aws:securetransport": ["true"],  # loopback stands for TLS (see the module docstring)
        "aws:currenttime": [datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")],
        "aws:epochtime": [str(int(now))],
    }


def _statement_permission(
    self: Any,
    action: str,
    resource: str = "*",
    principal: str | None = None,
    incoming_condition_values: dict[str, Any] | None = None,
) -> Any:
    """Replacement for moto's `IAMPolicyStatement.is_action_permitted` (see `_iam_policy`)."""
    from moto.iam.access_control import PermissionResult

    statement = self._statement
    if self.is_unknown_principal(statement.get("Principal")):
        return PermissionResult.NEUTRAL
    try:
        if principal and not self._check_principal(principal):
            return PermissionResult.NEUTRAL  # a trust statement for another principal
    except TypeError:  # a service principal: not an IAM caller
        return PermissionResult.NEUTRAL
    context = {**_base_context(), **normalized_context(incoming_condition_values)}
    result = statement_result(statement, action, resource, context)
    if result is Result.ALLOW:
        return PermissionResult.PERMITTED
    return PermissionResult.DENIED if result is Result.DENY else PermissionResult.NEUTRAL


def request_context(request: Any) -> dict[str, Any]:
    """The condition keys of one request."""
    arn = str(request._access_key.arn)
    principal = arn
    if ":assumed-role/" in arn:  # aws:PrincipalArn names the role, not the session
        role = arn.split(":assumed-role/", 1)[1].split("/")[0]
        principal = f"{arn.split(':sts:')[0]}:iam::{request.account_id}:role/{role}"
    context: dict[str, Any] = {
        "aws:RequestedRegion": request._region,
        "aws:PrincipalArn": principal,
        "aws:PrincipalAccount": request.account_id,
    }
    if ":user/" in arn:
        context["aws:username"] = arn.rsplit("/", 1)[-1]
    if request._action in _LIST_ACTIONS:
        query = parse_qs(urlsplit(request._path).query, keep_blank_values=True)
        context.update({k: query[p][0] for k, p in _LIST_KEYS.items() if p in query})
    return context


def _permitted(request: Any, action: str, resource: str, context: dict[str, Any]) -> bool:
    from moto.iam.access_control import IAMPolicy, PermissionResult

    permitted = False
    for policy in request._access_key.collect_policies():
        result = IAMPolicy(policy).is_action_permitted(
            action, resource, incoming_condition_values=context
        )
        if result == PermissionResult.DENIED:
            return False
        permitted = permitted or result == PermissionResult.PERMITTED
    if request._is_assuming_role_operation(resource):
        permitted = permitted and request._check_role_trust_relationship(resource)
    return permitted


def _header(request: Any, name: str) -> str | None:
    return next((str(v) for k, v in request._headers.items() if k.lower() == name), None)


def _s3_object(request: Any, bucket: str, key: str, versioned: bool) -> tuple[str, str, str]:
    from moto.utilities.utils import get_partition

    action = "s3:GetObjectVersion" if versioned else "s3:GetObject"
    return action, f"arn:{get_partition(request._region)}:s3:::{bucket}/{key}", f"{bucket}/{key}"


def implied_reads(request: Any) -> Iterator[tuple[str, str, str]]:
    """(action, resource, where) the request also needs: a copy source, code from S3, what a
    CodeDeploy deployment reads."""
    copy_source = _header(request, "x-amz-copy-source") if request._service == "s3" else None
    if copy_source:
        path, _, query = copy_source.partition("?")
        bucket, _, key = unquote(path).lstrip("/").partition("/")
        yield _s3_object(request, bucket, key, "versionId" in parse_qs(query))
    if request._action in ("lambda:UpdateFunctionCode", "lambda:CreateFunction"):
        try:
            body = json.loads(request._body or b"{}")
        except ValueError:
            return
        code = body.get("Code") if request._action == "lambda:CreateFunction" else body
        code = code if isinstance(code, dict) else {}
        if code.get("S3Bucket") and code.get("S3Key"):
            bucket, key = str(code["S3Bucket"]), str(code["S3Key"])
            yield _s3_object(request, bucket, key, bool(code.get("S3ObjectVersion")))
    yield from _iam_resources.implied_actions(request)


def _s3_denied_to_lambda(where: str) -> Exception:
    return _LambdaErrors.error(
        "AccessDeniedException",
        "Your access has been denied by S3, please make sure your request credentials have "
        f"permission to GetObject for {where}. S3 Error Code: AccessDenied. S3 Error Message: "
        "Access Denied",
    )


def check_action_permitted(self: Any, resource: str) -> None:
    """Replacement for moto's `IAMRequestBase.check_action_permitted`."""
    self._twophase_resource = resource
    if self._action == "sts:GetCallerIdentity":  # always allowed, even with a Deny
        return
    context = request_context(self)
    if not _permitted(self, self._action, resource, context):
        self._raise_access_denied()
    for action, implied, where in implied_reads(self):
        if not _permitted(self, action, implied, context):
            if self._service == "lambda":
                raise _s3_denied_to_lambda(where)
            if self._service in ("codedeploy", "monitoring"):  # naming what it lacks
                self._action, self._twophase_resource = action, implied
            self._raise_access_denied()


def lambda_resource(response: Any) -> str:
    """The ARN a Lambda request addresses (the qualified ARN when it names a qualifier)."""
    parts = [unquote(p) for p in response.path.split("?")[0].split("/")]
    if len(parts) < 4 or parts[2] != "functions" or not parts[3]:
        return "*"
    name = parts[3].split(":function:")[-1]
    name, _, qualifier = name.partition(":")
    if len(parts) > 5 and parts[4] == "aliases":
        qualifier = parts[5]
    qualifier = qualifier or response.querystring.get("Qualifier", [""])[0]
    partition = "aws-cn" if response.region.startswith("cn-") else "aws"
    arn = f"arn:{partition}:lambda:{response.region}:{response.current_account}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn


def cloudformation_resource(response: Any) -> str:
    """The stack ARN a CloudFormation request addresses (`*` for account-wide actions)."""
    name = (response.querystring.get("StackName") or [""])[0]
    if not name:
        return "*"
    if name.startswith("arn:"):
        return str(name)
    try:
        return str(response.cloudformation_backend.get_stack(name).stack_id)
    except Exception:  # not created yet (CreateStack) or gone: AWS checks `stack/NAME/*`
        return f"arn:aws:cloudformation:{response.region}:{response.current_account}:stack/{name}/*"


def logs_resource(response: Any) -> str:
    """The log group ARN a CloudWatch Logs request addresses (`*` for account-wide actions)."""
    try:
        name = json.loads(response.body or "{}").get("logGroupName")
    except (TypeError, ValueError):
        name = None
    if not name:
        return "*"
    partition = "aws-cn" if response.region.startswith("cn-") else "aws"
    return f"arn:{partition}:logs:{response.region}:{response.current_account}:log-group:{name}:*"


def install() -> None:
    from moto.awslambda.responses import LambdaResponse
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.cloudwatch.responses import CloudWatchResponse
    from moto.codedeploy.responses import CodeDeployResponse
    from moto.iam import access_control
    from moto.iam.access_control import IAMPolicyStatement, IAMRequest, IAMRequestBase
    from moto.logs.responses import LogsResponse

    if getattr(IAMRequestBase, _MARK, False):
        return
    access_control.create_access_key = _with_local_root(access_control.create_access_key)
    patches: dict[str, Any] = {
        "_create_aws_request": _signed_request,
        "__init__": _iam_action_names(IAMRequestBase.__init__),
        "check_action_permitted": check_action_permitted,
    }
    for name, value in patches.items():
        setattr(IAMRequestBase, name, value)
    IAMPolicyStatement.is_action_permitted = _statement_permission  # type: ignore[method-assign]
    lambda_errors = {
        "_raise_access_denied": ("AccessDeniedException", _denied_message),
        "_raise_signature_does_not_match": (
            "InvalidSignatureException",
            lambda _: (
                "The request signature we calculated does not match the signature you "
                "provided. Check your AWS Secret Access Key and signing method."
            ),
        ),
        "_raise_invalid_access_key": (
            "UnrecognizedClientException",
            lambda _: "The security token included in the request is invalid.",
        ),
    }
    for name, (code, message) in lambda_errors.items():
        setattr(IAMRequest, name, _lambda_errors(name, code, message))
    LambdaResponse._determine_resource = lambda_resource  # type: ignore[attr-defined]
    CloudFormationResponse._determine_resource = cloudformation_resource  # type: ignore[attr-defined]
    LogsResponse._determine_resource = logs_resource  # type: ignore[attr-defined]
    CodeDeployResponse._determine_resource = _iam_resources.codedeploy_resource  # type: ignore[attr-defined]
    CloudWatchResponse._determine_resource = _iam_resources.cloudwatch_resource  # type: ignore[attr-defined]
    setattr(IAMRequestBase, _MARK, True)
    if os.environ.get(ENV_SWITCH) == "1":
        enable(True)
