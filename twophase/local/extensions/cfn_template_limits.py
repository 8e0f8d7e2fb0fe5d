"""CloudFormation refuses a template past its quotas before it creates or changes anything.

AWS behaviour (CloudFormation user guide, "CloudFormation quotas",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
a template declares at most 500 resources, 200 outputs, 200 parameters and 200 mappings; a
template body passed in a CreateStack, UpdateStack, CreateChangeSet or ValidateTemplate request is
at most 51,200 bytes, a template read from an S3 `TemplateURL` at most 1 MB. Past a count the
request fails with `ValidationError` (HTTP 400) "Template format error: Number of resources, 501,
is greater than maximum allowed, 500" (outputs, parameters, mappings alike); past the body size
with the API's length constraint ("1 validation error detected: Value '…' at 'templateBody'
failed to satisfy constraint: Member must have length less than or equal to 51200"); past the S3
size with "Template may not exceed 1000000 bytes in size.". No stack, change set or resource is
created or changed. moto 5.2.5 takes any size and any count.
"""

from __future__ import annotations

import json
from typing import Any

from twophase.local.extensions._cfn_common import patch

BODY_BYTES = 51_200
URL_BYTES = 1_000_000
SECTIONS = (("Resources", 500), ("Outputs", 200), ("Parameters", 200), ("Mappings", 200))
ACTIONS = ("create_stack", "update_stack", "create_change_set", "validate_template")


def _validation(message: str) -> Exception:
    from moto.cloudformation.exceptions import ValidationError

    return ValidationError(message=message)


def _parsed(body: str) -> dict[str, Any] | None:
    """The template as a dict (JSON first: a large template parses far faster that way), or None
    when it does not parse; moto answers an unparsable template itself."""
    from moto.cloudformation.models import Stack

    try:
        found = json.loads(body)
    except ValueError:
        try:
            found = Stack.parse_template(body)
        except Exception:
            return None
    return found if isinstance(found, dict) else None


def check_counts(body: str) -> None:
    """Refuse a template that declares more of a section than CloudFormation allows."""
    template = _parsed(body)
    if template is None:
        return
    for section, limit in SECTIONS:
        declared = template.get(section)
        count = len(declared) if isinstance(declared, dict) else 0
        if count > limit:
            raise _validation(
                f"Template format error: Number of {section.lower()}, {count}, "
                f"is greater than maximum allowed, {limit}"
            )


def check_body(body: str) -> None:
    """The API's length constraint on `TemplateBody`, which echoes the value it measured."""
    if len(body.encode("utf-8")) > BODY_BYTES:
        raise _validation(
            f"1 validation error detected: Value '{body}' at 'templateBody' failed to satisfy "
            f"constraint: Member must have length less than or equal to {BODY_BYTES}"
        )


def check_url_body(body: str) -> None:
    if len(body.encode("utf-8")) > URL_BYTES:
        raise _validation(f"Template may not exceed {URL_BYTES} bytes in size.")


def template_of(response: Any) -> str | None:
    """The template a request carries, checked for size (None: it reuses the stack's)."""
    if response._get_bool_param("UsePreviousTemplate", False):
        return None
    body = response._get_param("TemplateBody")
    if body:
        check_body(str(body))
        return str(body)
    url = response._get_param("TemplateURL")
    if not url:
        return None
    fetched = str(response._get_stack_from_s3_url(url))
    check_url_body(fetched)
    return fetched


def _limited(original: Any) -> Any:
    def handler(self: Any) -> Any:
        body = template_of(self)
        if body is not None:
            check_counts(body)
        return original(self)

    return handler


def install() -> None:
    from moto.cloudformation.responses import CloudFormationResponse

    for action in ACTIONS:
        patch(CloudFormationResponse, action, _limited)
