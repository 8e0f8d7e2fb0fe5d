"""`AWS::CloudFormation::Stack` makes a nested stack: a stack of its own, deleted with its parent.

AWS behaviour (CloudFormation user guide, "Nested stacks",
https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/using-cfn-nested-stacks.html, and
AWS::CloudFormation::Stack,
https://docs.aws.amazon.com/AWSCloudFormation/latest/TemplateReference/aws-resource-cloudformation-stack.html):

- the resource creates a stack named `<parent>-<LogicalId>-<random uppercase letters and digits>`
  from the template its `TemplateURL` names (an S3 object, path or virtual-hosted style) and its
  `Parameters` (strings; the template's defaults fill the rest); its physical id, and its `Ref`,
  is that stack's ARN; `Fn::GetAtt [Child, Outputs.Name]` is the nested stack's output;
  DescribeStacks and ListStacks list nested stacks with the others, with `ParentId` (the parent's
  stack id) and `RootId` (the top-level stack's id);
- every nested template is a template of its own: the quotas (500 resources, 200 outputs, ...)
  apply to each, and one read from S3 may be up to 1 MB; past one, the parent's resource fails
  with the quota's message;
- a nested stack that fails to create rolls back, its resource in the parent fails with
  "Embedded stack <arn> was not successfully created: The following resource(s) failed to
  create: [...]", and the parent's rollback deletes it;
- deleting the parent deletes its nested stacks; DeleteStack on a nested stack is allowed.

moto 5.2.5 names a nested stack after its logical id, gives its name as physical id, raises its
failures to the caller, and has no `Outputs.` attribute, ParentId or RootId.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import unquote, urlparse

from twophase.local.extensions._cfn_common import patch, set_attr
from twophase.local.extensions.cfn_review_in_progress import live_stack
from twophase.local.extensions.cfn_template_limits import check_counts, check_url_body
from twophase.local.extensions.cfn_template_url import object_at

STACK_TYPE = "AWS::CloudFormation::Stack"


class NestedStackFailed(Exception):
    """A nested stack did not reach the state its parent asked for."""


@dataclass(frozen=True)
class Planned:
    """What an executing change set planned for one nested stack: its template and, for a new
    one, the stack waiting in REVIEW_IN_PROGRESS for it."""

    template: str
    stack: Any = None


Plan = dict[tuple[str, str], Planned]  # (parent stack id, logical id) -> planned
_PLAN: ContextVar[Plan | None] = ContextVar("twophase_nested_plan", default=None)


@contextmanager
def following(plan: Plan) -> Iterator[None]:
    """Within this block nested stacks take their templates from `plan` (a change set with
    nested change sets being executed), not from S3, and only the planned ones change."""
    token = _PLAN.set(plan)
    try:
        yield
    finally:
        _PLAN.reset(token)


def planning() -> Plan | None:
    """The plan being followed, None outside the execution of nested change sets."""
    return _PLAN.get()


def validation(message: str) -> Exception:
    from moto.cloudformation.exceptions import ValidationError

    return ValidationError(message=message)


def backend_of(account_id: str, region_name: str) -> Any:
    from moto.cloudformation.models import cloudformation_backends

    return cloudformation_backends[account_id][region_name]


def is_stack(resource: Any) -> bool:
    from moto.cloudformation.models import Stack

    return isinstance(resource, Stack)


def nest(child: Any, parent: Any) -> None:
    """Record where `child` sits (DescribeStacks `ParentId` and `RootId`)."""
    child.parent_id = parent.stack_id
    child.root_id = getattr(parent, "root_id", None) or parent.stack_id


def bucket_and_key(url: str) -> tuple[str, str]:
    """The S3 object a TemplateURL names, in any of the styles S3 answers to."""
    where = object_at(url)
    if where is not None:
        return where
    parsed = urlparse(url)
    host, path = parsed.hostname or "", unquote(parsed.path).lstrip("/")
    if host.startswith(("s3.", "s3-")):
        bucket, _, key = path.partition("/")
        return bucket, key
    return host.split(".s3", 1)[0], path


def read_template(url: str, account_id: str, region_name: str) -> str:
    from moto.s3.models import s3_backends
    from moto.utilities.utils import get_partition

    bucket, key = bucket_and_key(url)
    try:
        found = s3_backends[account_id][get_partition(region_name)].get_object(bucket, key)
    except Exception:  # moto raises MissingBucket / MissingKey
        found = None
    if found is None:
        raise validation("TemplateURL must reference a valid S3 object to which you have access.")
    return str(found.value.decode("utf-8"))


def parse(template: str) -> Any:
    """A template as a dict: JSON first (far faster for a large one), else YAML."""
    from moto.cloudformation.models import Stack

    try:
        return json.loads(template)
    except ValueError:
        return Stack.parse_template(template)


def _text(value: Any) -> str:
    return ",".join(str(v) for v in value) if isinstance(value, list) else str(value)


def nested_parameters(template: str, props: dict[str, Any]) -> dict[str, str]:
    """The parameters a nested stack gets: the `Parameters` property as strings, and the
    template's defaults for the ones it leaves out (DescribeStacks lists both)."""
    given = {k: _text(v) for k, v in (props.get("Parameters") or {}).items()}
    try:
        declared = parse(template).get("Parameters") or {}
    except Exception:
        declared = {}
    defaults = {
        k: _text(spec["Default"])
        for k, spec in declared.items()
        if isinstance(spec, dict) and "Default" in spec and k not in given
    }
    return {**given, **defaults}


def fetch_target(props: dict[str, Any], account_id: str, region: str) -> tuple[str, dict[str, str]]:
    """The template (checked against the quotas) and the parameters `props` ask for."""
    url = props.get("TemplateURL")
    if not isinstance(url, str) or not url:
        raise validation("TemplateURL must be a supported URL.")
    body = read_template(url, account_id, region)
    check_url_body(body)
    check_counts(body)
    return body, nested_parameters(body, props)


def same_as(stack: Any, template: Any, parameters: dict[str, str]) -> bool:
    """Whether `stack` already has `template` and `parameters`."""
    wanted = parse(template) if isinstance(template, str) else template
    return bool(stack.template_dict == wanted and dict(stack.parameters or {}) == parameters)


def failed_resources(stack: Any, status: str) -> str:
    names = [
        e.logical_resource_id
        for e in stack.events
        if e.resource_status == status and e.logical_resource_id != stack.name
    ]
    return ", ".join(dict.fromkeys(names)) or "unknown"


def _new_stack(backend: Any, parent: Any, name: str, body: Any, parameters: dict[str, str]) -> Any:
    from moto.cloudformation.models import Stack
    from moto.cloudformation.utils import generate_stack_id

    stack = cast(Any, Stack)(
        stack_id=generate_stack_id(name, backend.region_name, backend.account_id),
        name=name,
        template=body,
        parameters=parameters,
        account_id=backend.account_id,
        region_name=backend.region_name,
        tags=dict(parent.tags or {}),
        cross_stack_resources=backend.exports,
    )
    nest(stack, parent)
    backend.stacks[stack.stack_id] = stack
    return stack


def review_stack(backend: Any, parent: Any, name: str, parameters: dict[str, str]) -> Any:
    """A nested stack without a template yet, REVIEW_IN_PROGRESS until its change set runs."""
    stack = _new_stack(backend, parent, name, {}, parameters)
    stack.status = "REVIEW_IN_PROGRESS"
    stack._add_stack_event("REVIEW_IN_PROGRESS", resource_status_reason="User Initiated")
    return stack


def launch(
    backend: Any, parent: Any, name: str, body: str, params: dict[str, str], reviewed: Any = None
) -> Any:
    """Create the nested stack `name` (or run the one waiting for review) under `parent`."""
    if reviewed is None:
        stack = _new_stack(backend, parent, name, body, params)
    else:
        stack = reviewed
        stack.template, stack.parameters = body, params
        stack.cross_stack_resources = backend.exports
        stack._parse_template()
        stack.resource_map = stack._create_resource_map()
        stack.output_map = stack._create_output_map()
    stack._add_stack_event("CREATE_IN_PROGRESS", resource_status_reason="User Initiated")
    stack.create_resources()  # a failure rolls the nested stack back (cfn_rollback)
    if stack.status != "CREATE_COMPLETE":
        failed = failed_resources(stack, "CREATE_FAILED")
        backend.delete_stack(stack.stack_id)  # what the parent's rollback does to it
        raise NestedStackFailed(
            f"Embedded stack {stack.stack_id} was not successfully created: "
            f"The following resource(s) failed to create: [{failed}]. "
        )
    for export in stack.exports:
        backend.exports[export.name] = export
    return stack


def _create(_original: Any) -> Any:
    def create_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> Any:
        backend = backend_of(account_id, region_name)
        parent = backend.stacks[str(kwargs.get("StackId"))]
        props = cloudformation_json["Properties"]
        plan = planning() or {}
        planned = plan.get((parent.stack_id, str(kwargs.get("LogicalId", ""))))
        if planned is None:
            body, params = fetch_target(props, account_id, region_name)
            return launch(backend, parent, resource_name, body, params)
        name = resource_name if planned.stack is None else planned.stack.name
        params = nested_parameters(planned.template, props)
        return launch(backend, parent, name, planned.template, params, planned.stack)

    return classmethod(create_from_cloudformation_json)


def _delete(_original: Any) -> Any:
    def delete_from_cloudformation_json(
        cls: Any,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> None:
        backend = backend_of(account_id, region_name)
        stack = live_stack(backend, resource_name)
        if stack is None:
            return  # deleted already (DeleteStack on the nested stack itself)
        backend.delete_stack(stack.stack_id)
        if stack.stack_id in backend.stacks:  # left DELETE_FAILED (cfn_stack_delete)
            why = getattr(stack, "stack_status_reason", None) or stack.status
            raise NestedStackFailed(
                f"Embedded stack {stack.stack_id} was not successfully deleted: {why}"
            )

    return classmethod(delete_from_cloudformation_json)


def _output(self: Any, attribute_name: str) -> Any:
    """`Fn::GetAtt [Child, Outputs.Name]`: the nested stack's output."""
    key = attribute_name[len("Outputs.") :] if attribute_name.startswith("Outputs.") else None
    if key is None or key not in list(self.output_map.outputs):
        logical = getattr(self, "logical_resource_id", self.name)
        raise validation(
            f"Template error: resource {logical} does not support attribute type "
            f"{attribute_name} in Fn::GetAtt"
        )
    output = self.output_map[key]
    return None if output is None else output.value


def install() -> None:
    from moto.cloudformation.models import Stack

    patch(Stack, "create_from_cloudformation_json", _create)
    patch(Stack, "delete_from_cloudformation_json", _delete)
    set_attr(Stack, "physical_resource_id", property(lambda self: self.stack_id))
    set_attr(Stack, "get_cfn_attribute", _output)
