"""Deployer policies in phase one's template: per owner, exactly what phase two needs, nothing else.

Every owner (a role, user or group under a function's `owners`) gets, for all the functions it
owns in the environment, the fewest `AWS::IAM::ManagedPolicy` resources IAM's limits allow
(`twophase.infra.deployer_packing`), each attached to it and its ARN exported
(`<stack>-<id>Arn`). Their documents (`twophase.infra.deployer_documents`) grant what the
functions' own documents grant together, plus `whoami`'s simulation of the owner itself.

Who gets none: a function without owners (`twophase policy FUNCTION` prints its document, for IAM
code of one's own), and an IAM Identity Center role, which takes no attachment (AWS alone changes
it): its permission set takes the documents `twophase policy --owner` prints. Locally the
policies are rendered as on AWS but attached to nobody, as the owners name principals of a real
account: their sizes and the number each owner would hold are still checked
(`twophase.infra.limits`).

Everything here is pure: no AWS calls, same input, same dict.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from twophase.config.model import Config
from twophase.infra.deployer_documents import PARTITION_VAR, owner_document
from twophase.infra.deployer_documents import deployer_policy as deployer_policy
from twophase.infra.deployer_packing import OwnerPolicy, owner_policies, pack
from twophase.infra.owners import Owner, owned_functions

_ATTACH = {"role": "Roles", "user": "Users", "group": "Groups"}
_NOT_PSEUDO = re.compile(r"\$\{(?!AWS::)")  # an IAM policy variable, `${aws:username}`


def deployer_policy_sections(
    config: Config, env: str, *, artifact_bucket: str | None = None, attach_owners: bool = True
) -> list[tuple[str, dict[str, dict[str, Any]]]]:
    """What phase one renders for the deployer policies, as (config entry it comes from,
    `Resources` and `Outputs`) pairs, one per policy: the collision check names the entry
    (`functions.api.owners`, for the first function the policy holds)."""
    out = []
    for policy in owner_policies(config, env):
        if not policy.owner.attachable:
            continue
        resource = owner_policy_resource(
            config, env, policy, artifact_bucket=artifact_bucket, attach_owners=attach_owners
        )
        sections = {
            "Resources": {policy.logical_id: resource},
            "Outputs": {policy.output_id: owner_policy_output(config, env, policy)},
        }
        out.append((f"functions.{policy.functions[0]}.owners", sections))
    return out


def owner_policy_resource(
    config: Config,
    env: str,
    policy: OwnerPolicy,
    *,
    artifact_bucket: str | None = None,
    attach_owners: bool = True,
) -> dict[str, Any]:
    """One of an owner's policies; region, account and partition come from Fn::Sub. With
    `attach_owners` it is attached to the owner, which must exist: CloudFormation fails the
    stack on a missing role, user or group. Name and description say nothing of the functions
    it holds: a change of either would replace the policy."""
    document = owner_document(
        config,
        env,
        policy.owner,
        policy.functions,
        first=policy.first,
        partition=PARTITION_VAR,
        artifact_bucket=artifact_bucket,
    )
    owner = policy.owner
    properties: dict[str, Any] = {
        "ManagedPolicyName": policy.name(config, env),
        "Description": (
            f"Push rights of {owner} in {config.stack_name(env)}: the code, versions and aliases "
            f"of the functions it owns, nothing else (twophase phase two; twophase policy "
            f"--owner {owner.name} -e {env} prints them)"
        ),
        "PolicyDocument": substitute(document),
    }
    if attach_owners and owner.attachable:
        properties[_ATTACH[owner.kind]] = [owner.name]
    return {"Type": "AWS::IAM::ManagedPolicy", "Properties": properties}


def owner_policy_output(config: Config, env: str, policy: OwnerPolicy) -> dict[str, Any]:
    """The policy's ARN, exported as `<stack>-<id>Arn`."""
    return {
        "Description": f"Deployer policy {policy.number} of {policy.owner}",
        "Value": {"Ref": policy.logical_id},
        "Export": {"Name": {"Fn::Sub": f"${{AWS::StackName}}-{policy.output_id}"}},
    }


def policies_of(config: Config, env: str, owner: Owner) -> list[OwnerPolicy]:
    """`owner`'s policies in `env` (none when it owns no function)."""
    config.environment(env)
    return pack(config, env, owner, owned_functions(config).get(owner, ()))


def policies_holding(config: Config, env: str, function: str) -> list[OwnerPolicy]:
    """The rendered policies that grant pushing `function`, one per owner that takes one."""
    config.function(function)  # refuses an undeclared function
    return [
        p for p in owner_policies(config, env) if function in p.functions and p.owner.attachable
    ]


def substitute(value: Any) -> Any:
    """Wrap every string holding a pseudo parameter (`${AWS::Region}`) in Fn::Sub, recursively;
    an IAM policy variable in it (`${aws:username}`) is escaped (`${!aws:username}`), which
    Fn::Sub gives back as it was."""
    if isinstance(value, str):
        return {"Fn::Sub": _NOT_PSEUDO.sub("${!", value)} if "${AWS::" in value else value
    if isinstance(value, Mapping):
        return {k: substitute(v) for k, v in value.items()}
    if isinstance(value, list):
        return [substitute(v) for v in value]
    return value
