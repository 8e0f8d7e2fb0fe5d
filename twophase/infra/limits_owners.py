"""The owners' side of the limits check (`twophase.infra.limits`): how many deployer policies each
owner would hold, and which owner or CodeDeploy service role and which functions each generated
policy is for (what the line of a policy too long names).

IAM attaches at most 10 managed policies to a role, user or group ("IAM and AWS STS quotas",
https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html; a role's or user's
quota can be raised to 20, a group's cannot). An owner holds one deployer policy per document its
functions fill (`twophase.infra.deployer_packing`). It is counted in every environment, the local
one too, where nothing is attached: a config that cannot deploy to an account is refused where
it is first tried. An Identity Center role takes no attachment and is not counted. A CodeDeploy
service role is not counted either: a set of owners whose functions need more than 10 managed
policies gets another role (`twophase.infra.render.codedeploy_role`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from twophase.config.model import Config
from twophase.infra.deployer_packing import OwnerPolicy, owner_policies
from twophase.infra.limits import POLICIES_PER_OWNER, POLICY_CHARACTERS, RAISED_POLICIES_PER_OWNER
from twophase.infra.owners import Owner
from twophase.infra.render.codedeploy_role import service_roles

_SHOWN = 5  # functions an owner's line names before "..."


def too_many_policies(config: Config, env: str) -> Iterator[str]:
    """One line per owner whose functions need more deployer policies than IAM attaches (a
    CodeDeploy service role never does: a set of owners gets one more role instead)."""
    held: dict[Owner, list[OwnerPolicy]] = defaultdict(list)
    for policy in owner_policies(config, env):
        if policy.owner.attachable:
            held[policy.owner].append(policy)
    for owner, policies in sorted(held.items()):
        if len(policies) > POLICIES_PER_OWNER:
            functions = [f for p in policies for f in p.functions]
            yield _too_many(config, env, owner, len(policies), functions)


def deployer_labels(config: Config, env: str) -> dict[str, str]:
    """Each generated deployer policy's logical id -> who and what it is for, as a limit's line
    names it (`owner role web-team: its deployer policy 1 (api, worker)`), and each CodeDeploy
    service role's policy likewise."""
    labels = {
        p.logical_id: f"owner {p.owner}: its deployer policy {p.number} ({', '.join(p.functions)})"
        for p in owner_policies(config, env)
        if p.owner.attachable
    }
    for role in service_roles(config, env):
        for number, functions in enumerate(role.policies, start=1):
            labels[role.policy_id(number)] = (
                f"the CodeDeploy service role of {role}: its policy {number} "
                f"({', '.join(functions)})"
            )
    return labels


def _too_many(config: Config, env: str, owner: Owner, count: int, functions: list[str]) -> str:
    shown = ", ".join(functions[:_SHOWN]) + (", ..." if len(functions) > _SHOWN else "")
    raise_note = (
        f" (AWS can raise a {owner.kind}'s quota to {RAISED_POLICIES_PER_OWNER}, which "
        "twophase.yml cannot declare yet)"
        if owner.kind != "group" and count <= RAISED_POLICIES_PER_OWNER
        else ""
    )
    return (
        f"owner {owner}: its {len(functions)} functions in {config.stack_name(env)} ({shown}) "
        f"need {count} deployer policies of at most {POLICY_CHARACTERS:,} characters, over "
        f"IAM's {POLICIES_PER_OWNER} managed policies per {owner.kind} (policies the account "
        "attaches already, and other environments in the same account, count too): give some "
        "of these functions another owner (one role per team or service), or make the owner an "
        "IAM Identity Center permission set and add to it what `twophase policy --owner "
        f"{owner.name} -e {env}` prints{raise_note}"
    )
