"""The limits AWS holds a deploy to, checked on the rendered template before anything changes.

Without this check, AWS meets them late: a change set or a stack update fails part-way and rolls
back. Here `check_limits` runs at the end of the template builder (`infra render`, `infra plan` and
`infra up` all build the template before any remote change) and refuses with one `ConfigError`
(exit 2) listing every limit the template breaks, one line each, naming the function, owner or
stack and the fix. The limits, as AWS documents and measures them:

- CloudFormation ("CloudFormation quotas",
  https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html):
  500 resources, 200 outputs, 200 parameters and 200 mappings per template; a template read from
  S3 (twophase sends one over 51,200 bytes through the artifact bucket) at most 1,000,000 bytes.
- Lambda ("Lambda quotas", https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html):
  a function's environment variables 4 KB in aggregate, measured on the variables as compact JSON;
  a resource-based policy 20 KB, and a function and each of its aliases have a policy of their
  own. The policy is estimated from the `AWS::Lambda::Permission` resources that target it, one
  statement each, as Lambda stores them.
- IAM ("IAM and AWS STS quotas",
  https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html): a managed policy
  at most 6,144 characters, white space not counted; at most 10 managed policies attached to a
  role, user or group (a role's or user's quota can be raised to 20, a group's cannot). An owner
  holds as many deployer policies as its functions fill (`twophase.infra.limits_owners`).
- API Gateway ("Quotas for configuring and running an HTTP API in API Gateway",
  https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html): 300 routes
  per API.

Values are measured as AWS would see them where twophase can know them: a pseudo parameter
(`${AWS::Region}`...) counts at its longest anywhere, as the template must deploy in any partition
and region; a parameter at its value for the environment; a value another resource gives (a
table's name) is unknown before deploying and counts as nothing, so what is refused would
certainly fail. Owners are counted in every environment, the local one too (where no policy is
attached): a config that cannot deploy to an account is refused where it is first tried.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from twophase.config.model import Config
from twophase.errors import ConfigError
from twophase.names import ids_for

SECTION_LIMITS = (("Resources", 500), ("Outputs", 200), ("Parameters", 200), ("Mappings", 200))
TEMPLATE_BYTES = 1_000_000
ENVIRONMENT_BYTES = 4096
POLICY_CHARACTERS = 6144
POLICIES_PER_OWNER = 10
RAISED_POLICIES_PER_OWNER = 20  # roles and users, after a quota raise
ROUTES_PER_API = 300
RESOURCE_POLICY_BYTES = 20_480
# The longest value of each pseudo parameter: botocore's partitions and regions (aws-us-gov,
# us-isof-south-1), a 12-digit account, the China partition's URL suffix.
LONGEST_PSEUDO = {
    "AWS::Partition": "aws-us-gov",
    "AWS::Region": "us-isof-south-1",
    "AWS::AccountId": "0" * 12,
    "AWS::URLSuffix": "amazonaws.com.cn",
}
_PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
_STATEMENT_ID = 100  # Lambda's limit; CloudFormation names a permission <stack>-<id>-<suffix>
_SPLIT = (
    "give the functions to two apps (two twophase.yml, two stacks) or move shared resources "
    "to a stack of their own"
)


def check_limits(
    config: Config,
    env: str,
    template: Mapping[str, Any],
    *,
    stacks: Mapping[str, Mapping[str, Any]] | None = None,
    sizes: Mapping[str, int] | None = None,
) -> None:
    """Refuse a template AWS would refuse part-way, with every violation on its own line.
    `stacks` are the templates it deploys as (the root's under '', each nested child's under its
    logical id), `sizes` their sizes as sent; by default the template is one stack."""
    problems = violations(config, env, template, stacks=stacks, sizes=sizes)
    if not problems:
        return
    more = len(problems) - 1
    if not more:
        raise ConfigError(problems[0])
    plural = "s" if more > 1 else ""
    raise ConfigError(f"{problems[0]} (and {more} more limit{plural})", problems=tuple(problems))


def violations(
    config: Config,
    env: str,
    template: Mapping[str, Any],
    *,
    stacks: Mapping[str, Mapping[str, Any]] | None = None,
    sizes: Mapping[str, int] | None = None,
) -> list[str]:
    """One line per limit the rendered template for `env` breaks, naming who and the fix."""
    known = _Known.of(config, env, template)
    per_stack = stacks if stacks is not None else {"": template}
    measured = sizes if sizes is not None else {c: _dumped_size(t) for c, t in per_stack.items()}
    return [
        *(
            line
            for c, t in per_stack.items()
            for line in _sections(config, env, t, c, nested=len(per_stack) > 1)
        ),
        *(line for c, size in measured.items() for line in _size(config, env, size, c)),
        *_environments(known, template),
        *_policy_sizes(config, env, known, template),
        *_attachments(config, env),
        *_routes(known, template),
        *_resource_policies(known, template),
    ]


# --- what twophase can know of the values AWS will measure ---------------------------------------


@dataclass(frozen=True)
class _Known:
    """Values known before deploying, and who each generated logical id belongs to."""

    values: Mapping[str, str]  # pseudo parameters at their longest, parameters at their value
    stack: str
    labels: Mapping[str, str] = field(default_factory=dict)  # logical id -> "function api"
    functions: Mapping[str, tuple[str, str | None]] = field(default_factory=dict)  # -> name, alias

    @classmethod
    def of(cls, config: Config, env: str, template: Mapping[str, Any]) -> _Known:
        stack = config.stack_name(env)
        values = {**LONGEST_PSEUDO, "AWS::StackName": stack}
        for name, parameter in (template.get("Parameters") or {}).items():
            if isinstance(parameter, Mapping) and "Default" in parameter:
                values[name] = str(parameter["Default"])
        values.update(config.environment(env).parameters)
        labels: dict[str, str] = {}
        functions: dict[str, tuple[str, str | None]] = {}
        for name in config.functions:
            ids, physical = ids_for(name), config.function_name(env, name)
            for logical_id in (ids.function, ids.http_api):
                labels[logical_id] = f"function {name}"
            functions[ids.function] = (physical, None)
            for alias in config.aliases:
                labels[ids.alias(alias)] = f"function {name} (alias {alias})"
                functions[ids.alias(alias)] = (physical, alias)
        return cls(values, stack, labels, functions)

    def label(self, logical_id: str) -> str:
        return self.labels.get(logical_id, f"{logical_id} of the shared template")

    def text(self, value: Any) -> str:
        """A template value as the text AWS would see (unknown parts count as nothing)."""
        if isinstance(value, str):
            return value
        if isinstance(value, bool | int | float):
            return json.dumps(value)
        if not (isinstance(value, Mapping) and len(value) == 1):
            return ""
        [(key, argument)] = value.items()
        if key == "Ref":
            return self.values.get(str(argument), "")
        if key == "Fn::Sub":
            return self._sub(argument)
        if key == "Fn::Join" and isinstance(argument, list) and len(argument) == 2:
            separator, items = argument
            return str(separator).join(self.text(item) for item in items or [])
        return ""

    def _sub(self, argument: Any) -> str:
        text, variables = argument if isinstance(argument, list) else (argument, {})
        known = {**self.values, **{k: self.text(v) for k, v in dict(variables).items()}}

        def value(match: re.Match[str]) -> str:
            name = match[1]
            return "${" + name[1:] + "}" if name.startswith("!") else known.get(name, "")

        return _PLACEHOLDER.sub(value, str(text))

    def resolved(self, value: Any) -> Any:
        """`value` with every intrinsic function replaced by its text."""
        if isinstance(value, Mapping):
            if len(value) == 1 and _is_intrinsic(next(iter(value))):
                return self.text(value)
            return {key: self.resolved(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.resolved(item) for item in value]
        return value

    def function_arn(self, target: str) -> str:
        """The ARN a permission on `target` (a logical id or a name) has as its Resource."""
        physical, alias = self.functions.get(target, (target, None))
        if physical.startswith("arn:"):
            return physical
        partition, region = self.values["AWS::Partition"], self.values["AWS::Region"]
        arn = f"arn:{partition}:lambda:{region}:{self.values['AWS::AccountId']}:function:"
        return f"{arn}{physical}:{alias}" if alias else f"{arn}{physical}"


def _is_intrinsic(key: str) -> bool:
    return key == "Ref" or key.startswith("Fn::")


def _compact(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _resources(template: Mapping[str, Any], kind: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """The logical id and properties of each resource of type `kind`."""
    for logical_id, body in sorted((template.get("Resources") or {}).items()):
        if isinstance(body, Mapping) and body.get("Type") == kind:
            properties = body.get("Properties")
            yield logical_id, properties if isinstance(properties, Mapping) else {}


def _logical_id(value: Any) -> str | None:
    """The logical id a `Ref` or `Fn::GetAtt` names, or None."""
    if not isinstance(value, Mapping) or len(value) != 1:
        return None
    [(key, argument)] = value.items()
    if key == "Ref":
        return str(argument)
    if key == "Fn::GetAtt":
        return str(argument[0] if isinstance(argument, list) else argument).split(".")[0]
    return None


# --- CloudFormation ------------------------------------------------------------------------------


def _sections(
    config: Config, env: str, template: Mapping[str, Any], child: str, *, nested: bool
) -> Iterator[str]:
    shared = config.shared_template()
    for section, limit in SECTION_LIMITS:
        count = len(template.get(section) or {})
        if count <= limit:
            continue
        if child:
            yield (
                f"stack {config.stack_name(env)}, nested stack {child}: {count} "
                f"{section.lower()}, over CloudFormation's {limit}: its functions grew past the "
                f"room a nested stack keeps; {_SPLIT}"
            )
            continue
        own = len(shared.get(section) or {})
        where = "in the root template" if nested else "in one template"
        parts = f"{count - own} generated by twophase, {own} from the shared template"
        yield (
            f"stack {config.stack_name(env)}: {count} {section.lower()} {where} ({parts}), "
            f"over CloudFormation's {limit}: {_SPLIT}"
        )


def _dumped_size(template: Mapping[str, Any]) -> int:
    # imported here: the template builder imports this module
    from twophase.infra.render.template import dump_template

    return len(dump_template(template).encode())


def _size(config: Config, env: str, size: int, child: str) -> Iterator[str]:
    if size > TEMPLATE_BYTES:
        where = f", nested stack {child}" if child else ""
        yield (
            f"stack {config.stack_name(env)}{where}: the template takes {size:,} bytes, over "
            f"CloudFormation's {TEMPLATE_BYTES:,}: {_SPLIT}"
        )


# --- Lambda --------------------------------------------------------------------------------------


def _environments(known: _Known, template: Mapping[str, Any]) -> Iterator[str]:
    for logical_id, properties in _resources(template, "AWS::Lambda::Function"):
        variables = (properties.get("Environment") or {}).get("Variables") or {}
        if not isinstance(variables, Mapping):
            continue
        size = len(_compact({k: known.text(v) for k, v in variables.items()}).encode())
        if size > ENVIRONMENT_BYTES:
            yield (
                f"{known.label(logical_id)}: environment variables take {size:,} bytes as JSON, "
                f"over Lambda's {ENVIRONMENT_BYTES:,}: keep large values in SSM Parameter Store, "
                "Secrets Manager or S3 and pass their names"
            )


def _resource_policies(known: _Known, template: Mapping[str, Any]) -> Iterator[str]:
    """Lambda's policy of each function or alias, one statement per permission targeting it."""
    policies: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for logical_id, properties in _resources(template, "AWS::Lambda::Permission"):
        name = properties.get("FunctionName")
        target = _logical_id(name) or known.text(name)
        policies[target].append(_statement(known, logical_id, properties, target))
    for target, statements in sorted(policies.items()):
        policy = {"Version": "2012-10-17", "Id": "default", "Statement": statements}
        size = len(_compact(policy).encode())
        if size > RESOURCE_POLICY_BYTES:
            yield (
                f"{known.label(target)}: its resource-based policy would take about {size:,} "
                f"bytes ({len(statements)} permissions), over Lambda's {RESOURCE_POLICY_BYTES:,}: "
                "grant fewer permissions on it (one SourceArn with a wildcard covers many sources)"
            )


def _statement(
    known: _Known, logical_id: str, properties: Mapping[str, Any], target: str
) -> dict[str, Any]:
    """The statement Lambda stores for one `AWS::Lambda::Permission`."""
    principal = known.text(properties.get("Principal"))
    sid = f"{known.stack}-{logical_id}-{'X' * 12}"[:_STATEMENT_ID]
    statement: dict[str, Any] = {
        "Sid": sid,
        "Effect": "Allow",
        "Principal": {"Service" if principal.endswith(".amazonaws.com") else "AWS": principal},
        "Action": known.text(properties.get("Action")),
        "Resource": known.function_arn(target),
    }
    condition: dict[str, Any] = {}
    if "SourceArn" in properties:
        condition["ArnLike"] = {"AWS:SourceArn": known.text(properties["SourceArn"])}
    if "SourceAccount" in properties:
        condition["StringEquals"] = {"AWS:SourceAccount": known.text(properties["SourceAccount"])}
    if condition:
        statement["Condition"] = condition
    return statement


# --- IAM -----------------------------------------------------------------------------------------


def _policy_sizes(
    config: Config, env: str, known: _Known, template: Mapping[str, Any]
) -> Iterator[str]:
    """Every managed policy of the template. A deployer policy holds as many functions as fit
    (`twophase.infra.deployer_packing`): one is too long only for a function too long alone.
    Who each generated policy is for is found only when one is too long."""
    deployers: Mapping[str, str] | None = None
    for logical_id, properties in _resources(template, "AWS::IAM::ManagedPolicy"):
        document = properties.get("PolicyDocument")
        if isinstance(document, str):
            try:
                document = json.loads(document)
            except ValueError:
                continue
        size = len(_compact(known.resolved(document)))
        if size <= POLICY_CHARACTERS:
            continue
        if deployers is None:
            deployers = _deployer_labels(config, env)
        deployer = deployers.get(logical_id)
        what = deployer or f"managed policy {logical_id} of the shared template"
        fix = (
            "shorten the app, environment or function name (the policy spells them)"
            if deployer
            else "split it into two managed policies"
        )
        yield (
            f"{what} takes {size:,} characters without white space in the longest partition and "
            f"region, over IAM's {POLICY_CHARACTERS:,} per managed policy: {fix}"
        )


def _deployer_labels(config: Config, env: str) -> dict[str, str]:
    from twophase.infra.limits_owners import deployer_labels  # see `_attachments`

    return deployer_labels(config, env)


def _attachments(config: Config, env: str) -> Iterator[str]:
    # imported here: the deployer policies' packing measures with this module's limits
    from twophase.infra.limits_owners import too_many_policies

    return too_many_policies(config, env)


# --- API Gateway ---------------------------------------------------------------------------------


def _routes(known: _Known, template: Mapping[str, Any]) -> Iterator[str]:
    apis: dict[str, int] = defaultdict(int)
    for _, properties in _resources(template, "AWS::ApiGatewayV2::Route"):
        api = properties.get("ApiId")
        apis[_logical_id(api) or known.text(api)] += 1
    for api, count in sorted(apis.items()):
        if count > ROUTES_PER_API:
            yield (
                f"{known.label(api)}: {count} routes on one HTTP API, over API Gateway's "
                f"{ROUTES_PER_API} per API: use a greedy route (ANY /{{proxy+}}) and route in "
                "the code, or split the routes over two functions"
            )
