"""Optional IAM enforcement: requests are authenticated and authorised as AWS does.

AWS behaviour (IAM user guide, "Policy evaluation logic"; Lambda developer guide, "Resources and
conditions for Lambda actions"): every request is signed with SigV4 by a known access key, and its
action is allowed only if an identity policy allows it *on the resource the request addresses* and
none denies it. For Lambda that resource is the function ARN
(`arn:aws:lambda:REGION:ACCOUNT:function:NAME`), or the qualified ARN (`…:NAME:QUALIFIER`) when the
request names a version or alias (`Qualifier=`, `NAME:QUALIFIER`, or an alias path); Invoke is the
IAM action `lambda:InvokeFunction`; a denial is `AccessDeniedException` (HTTP 403). CloudFormation
actions that name a stack are checked against the stack ARN.

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
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from twophase.local import root_credentials

ENV_SWITCH = "TWOPHASE_LOCAL_IAM"
_MARK = "_twophase_iam_enforcement"
_IAM_ACTION_NAMES = {"lambda:Invoke": "lambda:InvokeFunction"}
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
        self._action = _IAM_ACTION_NAMES.get(self._action, self._action)

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
        if self._service == "lambda":
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


def _remember_resource(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def check_action_permitted(self: Any, resource: str) -> None:
        self._twophase_resource = resource
        original(self, resource)

    return check_action_permitted


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


def install() -> None:
    from moto.awslambda.responses import LambdaResponse
    from moto.cloudformation.responses import CloudFormationResponse
    from moto.iam import access_control
    from moto.iam.access_control import IAMRequest, IAMRequestBase

    if getattr(IAMRequestBase, _MARK, False):
        return
    access_control.create_access_key = _with_local_root(access_control.create_access_key)
    patches: dict[str, Any] = {
        "_create_aws_request": _signed_request,
        "__init__": _iam_action_names(IAMRequestBase.__init__),
        "check_action_permitted": _remember_resource(IAMRequestBase.check_action_permitted),
    }
    for name, value in patches.items():
        setattr(IAMRequestBase, name, value)
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
    setattr(IAMRequestBase, _MARK, True)
    if os.environ.get(ENV_SWITCH) == "1":
        enable(True)
