"""Every name twophase generates: stacks, functions, logical ids, policies, the bucket and its keys.

Names are derived from the app, the environment and the function's short name only, so that any
command (phase one or phase two, on any machine) finds the same thing under the same name, and a
stack keeps its resources across renders: `order-worker` gives `OrderWorkerFunction`,
`OrderWorkerRole`, `OrderWorkerAliasLive`... whatever the environment.

The template builder, both phases and the AWS clients ask this module and spell no name
themselves. Only the config, below it, keeps the three names it validates (the stack and function
names, whose length Lambda limits, and the `camel` stem); they are re-exported here.

Every name stays within AWS's limit for it: a name that would not fit is shortened with a stable
8-hex hash of the whole name (`shorten`); a name that fits is never changed. Previews make this
matter: their names come from a branch or pull request, not from whoever wrote twophase.yml.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

from twophase.config.rules import HASH_CHARS, MAX_FUNCTION_NAME, MAX_STACK_NAME, shorten
from twophase.config.rules import camel as camel
from twophase.config.rules import function_name as function_name
from twophase.config.rules import stack_name as stack_name

ARTIFACT_BUCKET_OUTPUT = "ArtifactBucket"  # the app stack's output naming the artifact bucket
METADATA_KEY = "Twophase"  # the template's Metadata entry phase one records its functions in
MAX_BUCKET_NAME = 63  # S3's limit
_ACCOUNT_ID_LENGTH = 12
_LONGEST_REGION = 15  # us-isof-south-1 (botocore's endpoints)


# --- functions -----------------------------------------------------------------------------------


def log_group_name(app: str, env: str, function: str) -> str:
    """Where every version and alias of the function logs (Lambda's own convention)."""
    return lambda_log_group(function_name(app, env, function))


def lambda_log_group(physical: str) -> str:
    """The log group Lambda writes a function's logs to, by its physical name."""
    return f"/aws/lambda/{physical}"


def function_name_prefix(app: str, env: str) -> str:
    """What every function name of the environment starts with (`function_name`): `<app>-<env>-`,
    or, for an app and environment too long for that to survive shortening, the part that does."""
    return name_prefix(f"{app}-{env}", MAX_FUNCTION_NAME)


def name_prefix(stem: str, limit: int) -> str:
    """What every name `shorten(f"{stem}-…", limit)` gives starts with: `<stem>-`, or, for a
    stem too long for that to survive shortening, the part of it that does."""
    kept = limit - HASH_CHARS - 1  # what `shorten` keeps of a long name
    return f"{stem}-" if len(stem) < kept else stem[:kept].rstrip("-")


def deployer_policy_name(app: str, env: str, function: str) -> str:
    """The name of one function's own deployer document, `<app>-<env>-<fn>-deployer`: what
    `twophase policy FUNCTION` calls it, for IAM code that creates it itself (phase one renders
    its owners' policies instead, `owner_policy_name`)."""
    return f"{function_name(app, env, function)}-deployer"


# --- an owner's deployer policies ----------------------------------------------------------------

MAX_MANAGED_POLICY_NAME = 128  # IAM's limit
_OWNER_STEM_WORDS = 64  # the readable part of an owner's logical-id stem


def owner_policy_name(app: str, env: str, kind: str, owner: str, number: int) -> str:
    """The `number`th (from 1) deployer policy of an owner (`kind` role, user or group, `owner`
    its name): `<app>-<env>-<kind>-<owner>-deployer-<n>`, shortened with a hash past IAM's 128."""
    name = f"{stack_name(app, env)}-{kind}-{owner}-deployer-{number}"
    return shorten(name, MAX_MANAGED_POLICY_NAME)


def owner_stem(kind: str, owner: str) -> str:
    """`role`, `web-team` -> `RoleWebTeam` and an 8-hex hash of both: IAM names may hold
    `+=,.@_-`, which logical ids may not, so two owners whose names differ only there (or in
    the case of a letter) would meet without the hash."""
    words = re.split(r"[^A-Za-z0-9]+", owner)
    readable = "".join(w[:1].upper() + w[1:] for w in words if w)[:_OWNER_STEM_WORDS]
    digest = hashlib.sha256(f"{kind}/{owner}".encode()).hexdigest()[:8]
    return f"{kind.capitalize()}{readable}{digest}"


def owner_policy_id(kind: str, owner: str, number: int) -> str:
    """An owner's `number`th deployer policy's logical id: `RoleWebTeam1a2b3c4dDeployerPolicy1`."""
    return f"{owner_stem(kind, owner)}DeployerPolicy{number}"


def owner_policy_output(kind: str, owner: str, number: int) -> str:
    """The output (exported as `<stack>-<id>`) holding that policy's ARN."""
    return f"{owner_policy_id(kind, owner, number)}Arn"


# --- the artifact bucket -------------------------------------------------------------------------


def artifact_stack_name(app: str, env: str) -> str:
    """The artifact bucket's own stack, `<app>-<env>-artifacts`: `infra down` keeps it."""
    return shorten(f"{app}-{env}-artifacts", MAX_STACK_NAME)


def artifact_bucket_name(app: str, env: str, account: str, region: str) -> str:
    """Deterministic and globally unique per account and region; shortened with a hash if long.

    Anyone who knows the account and region can derive it: no stack has to be read to learn it."""
    name = f"{app}-{env}-artifacts-{account}-{region}"
    if len(name) <= MAX_BUCKET_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:10]
    return f"{name[: MAX_BUCKET_NAME - 11].rstrip('-')}-{digest}"


def artifact_bucket_name_is_plain(app: str, env: str) -> bool:
    """Whether the bucket's name is never hashed, whatever the account and region: only then can
    a template spell it with `${AWS::AccountId}` and `${AWS::Region}`."""
    return len(_longest_bucket_spelling(app, env)) <= MAX_BUCKET_NAME


def artifact_bucket_name_max_length(app: str, env: str) -> int:
    """The longest the bucket's name can be, whatever the account and region (a deployer
    policy's size is measured with it)."""
    return min(len(_longest_bucket_spelling(app, env)), MAX_BUCKET_NAME)


def _longest_bucket_spelling(app: str, env: str) -> str:
    return f"{app}-{env}-artifacts-{'0' * _ACCOUNT_ID_LENGTH}-{'x' * _LONGEST_REGION}"


def artifact_prefix(app: str, env: str, function: str) -> str:
    """The function's own prefix in the bucket: its deployer may read and write under it only."""
    return f"{app}/{env}/{function}/"


def artifact_key(app: str, env: str, function: str, hexdigest: str) -> str:
    """A pushed artifact, content-addressed under the function's prefix."""
    return f"{artifact_prefix(app, env, function)}{hexdigest}.zip"


def dummy_key(family: str, hexdigest: str) -> str:
    """A dummy artifact, content-addressed per runtime family (shared by every function)."""
    return f"dummies/{family}/{hexdigest}.zip"


def functions_stack_id(number: int) -> str:
    """The logical id of the root's nested stack number `number` (from 1) of functions."""
    return f"FunctionsStack{number}"


def template_key(hexdigest: str) -> str:
    """A template too large to send inline, content-addressed."""
    return f"templates/{hexdigest}.json"


# --- the app stack's tags (how `env list` and `env prune` find an app's environments) ------------

TAG_APP = "twophase:app"
TAG_ENV = "twophase:env"
TAG_KIND = "twophase:kind"  # declared | preview
TAG_BASE = "twophase:base"  # a preview's declared environment
TAG_TTL = "twophase:ttl"  # a preview's lifetime, seconds


# --- change sets ---------------------------------------------------------------------------------

CHANGE_SET_PREFIX = "twophase-"  # what a run finds the change sets an interrupted run left by


def change_set_name(seconds: int, digest: str) -> str:
    """A change set twophase makes: when (epoch seconds) and what (its template's digest)."""
    return f"{CHANGE_SET_PREFIX}{seconds}-{digest}"


# --- gradual promotion on CodeDeploy --------------------------------------------------------------

CODEDEPLOY_APPLICATION_ID = "CodeDeployApplication"  # the app stack's logical id
MAX_CODEDEPLOY_NAME = 100  # applications, deployment groups and configurations
MAX_ALARM_NAME = 255
MAX_ROLE_NAME = 64  # IAM's limit
OwnerKey = tuple[str, str]  # an owner's kind (role, user, group) and name


def codedeploy_application(app: str, env: str) -> str:
    """The environment's CodeDeploy application (compute platform Lambda): the stack's name."""
    return shorten(stack_name(app, env), MAX_CODEDEPLOY_NAME)


def deployment_group_name(app: str, env: str, function: str) -> str:
    """A function's deployment group: its physical name (one group per function, so the deployer
    policy can name exactly that group)."""
    return shorten(function_name(app, env, function), MAX_CODEDEPLOY_NAME)


def deployment_config_name(app: str, env: str, kind: str, percent: int, minutes: int) -> str:
    """A time-based configuration for `--canary`/`--linear P --interval T`, named by its schedule
    (`shop-prod-canary-10pct-5min`), so its name says what it does and is the same for everyone.
    Configurations are per account and region: the app and environment keep apps apart."""
    return shorten(f"{stack_name(app, env)}-{kind}-{percent}pct-{minutes}min", MAX_CODEDEPLOY_NAME)


def deployment_config_prefix(app: str, env: str) -> str:
    """What every schedule-named configuration of the environment starts with."""
    return name_prefix(stack_name(app, env), MAX_CODEDEPLOY_NAME)


def owner_set_stem(owners: Sequence[OwnerKey]) -> str:
    """The part of logical ids that names a set of owners (kind, name): `Platform` for none
    (functions only the platform may promote), the owner's own stem for one
    (`RoleWebTeam1a2b3c4d`, `owner_stem`), `Owners` and a hash of them all for several."""
    if not owners:
        return "Platform"
    if len(owners) == 1:
        return owner_stem(*owners[0])
    return f"Owners{_owner_set_digest(owners)}"


def _owner_set_label(owners: Sequence[OwnerKey]) -> str:
    """`platform`, `role-web-team`, or `owners-<hash>`: what a service role's name says."""
    if not owners:
        return "platform"
    if len(owners) == 1:
        return "-".join(owners[0])
    return f"owners-{_owner_set_digest(owners)}"


def _owner_set_digest(owners: Sequence[OwnerKey]) -> str:
    """8 hex of the set, whatever order it is given in."""
    spelled = "\n".join(sorted(f"{kind}/{name}" for kind, name in owners))
    return hashlib.sha256(spelled.encode()).hexdigest()[:8]


def codedeploy_role_id(owners: Sequence[OwnerKey], part: int = 1) -> str:
    """The logical id of the CodeDeploy service role of the functions `owners` own together
    (`part` 2, 3… when they are more than one role's ten policies hold)."""
    return f"CodeDeployRole{owner_set_stem(owners)}{_part(part, 'Part')}"


def codedeploy_role_policy_id(owners: Sequence[OwnerKey], number: int, part: int = 1) -> str:
    """That role's `number`th (from 1) managed policy."""
    return f"{codedeploy_role_id(owners, part)}Policy{number}"


def codedeploy_role_name(app: str, env: str, owners: Sequence[OwnerKey], part: int = 1) -> str:
    """`<app>-<env>-codedeploy-<owners>` (`shop-prod-codedeploy-role-web-team`, then `-part2`…),
    shortened with a hash past IAM's 64."""
    label = f"{_owner_set_label(owners)}{_part(part, '-part')}"
    return shorten(f"{stack_name(app, env)}-codedeploy-{label}", MAX_ROLE_NAME)


def codedeploy_role_policy_name(
    app: str, env: str, owners: Sequence[OwnerKey], number: int, part: int = 1
) -> str:
    """The role's `number`th managed policy: `<app>-<env>-codedeploy-<owners>-<n>`."""
    label = f"{_owner_set_label(owners)}{_part(part, '-part')}"
    return shorten(f"{stack_name(app, env)}-codedeploy-{label}-{number}", MAX_MANAGED_POLICY_NAME)


def _part(part: int, spelled: str) -> str:
    """Nothing for a set's first role (its names stay as they were), `<spelled><n>` after."""
    return "" if part == 1 else f"{spelled}{part}"


def errors_alarm_name(app: str, env: str, function: str) -> str:
    """The alarm on the function's Lambda `Errors` that stops a gradual promotion."""
    return shorten(f"{function_name(app, env, function)}-errors", MAX_ALARM_NAME)


def http_errors_alarm_name(app: str, env: str, function: str) -> str:
    """The alarm on an HTTP function's API 5xx responses that stops a gradual promotion."""
    return shorten(f"{function_name(app, env, function)}-5xx", MAX_ALARM_NAME)


# --- logical ids ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FunctionIds:
    """Every logical id generated for one function."""

    stem: str

    @property
    def role(self) -> str:
        return f"{self.stem}Role"

    @property
    def log_group(self) -> str:
        return f"{self.stem}LogGroup"

    @property
    def function(self) -> str:
        return f"{self.stem}Function"

    @property
    def version(self) -> str:
        return f"{self.stem}Version"

    def alias(self, alias: str) -> str:
        return f"{self.stem}Alias{camel(alias)}"

    @property
    def http_api(self) -> str:
        return f"{self.stem}HttpApi"

    @property
    def http_integration(self) -> str:
        return f"{self.stem}HttpIntegration"

    @property
    def http_stage(self) -> str:
        return f"{self.stem}HttpStage"

    @property
    def http_permission(self) -> str:
        return f"{self.stem}HttpPermission"

    def route(self, route: str) -> str:
        if route == "$default":
            return f"{self.stem}RouteDefault"
        method, _, path = route.partition(" ")
        words = re.split(r"[^A-Za-z0-9]+", path.replace("+", " Greedy "))
        stem = f"{self.stem}Route{method.capitalize()}"
        return stem + "".join(w[:1].upper() + w[1:] for w in words if w)

    @property
    def queue(self) -> str:
        return f"{self.stem}Queue"

    @property
    def dead_letter_queue(self) -> str:
        return f"{self.stem}DeadLetterQueue"

    @property
    def event_source_mapping(self) -> str:
        return f"{self.stem}EventSourceMapping"

    @property
    def schedule(self) -> str:
        return f"{self.stem}Schedule"

    @property
    def schedule_permission(self) -> str:
        return f"{self.stem}SchedulePermission"

    # gradual promotion on CodeDeploy
    @property
    def deployment_group(self) -> str:
        return f"{self.stem}DeploymentGroup"

    @property
    def errors_alarm(self) -> str:
        return f"{self.stem}ErrorsAlarm"

    @property
    def http_errors_alarm(self) -> str:
        return f"{self.stem}Http5xxAlarm"

    # outputs
    @property
    def out_function_name(self) -> str:
        return f"{self.stem}FunctionName"

    @property
    def out_function_arn(self) -> str:
        return f"{self.stem}FunctionArn"

    @property
    def out_aliases(self) -> str:
        return f"{self.stem}Aliases"

    @property
    def out_api_endpoint(self) -> str:
        return f"{self.stem}ApiEndpoint"

    @property
    def out_queue_url(self) -> str:
        return f"{self.stem}QueueUrl"


def ids_for(function: str) -> FunctionIds:
    return FunctionIds(camel(function))


def route_ids(ids: FunctionIds, routes: list[str] | tuple[str, ...]) -> dict[str, str]:
    """Route -> logical id; a clash between two routes' ids falls back to a numbered id."""
    out: dict[str, str] = {}
    for index, route in enumerate(routes, start=1):
        logical_id = ids.route(route)
        out[route] = logical_id if logical_id not in out.values() else f"{logical_id}{index}"
    return out
