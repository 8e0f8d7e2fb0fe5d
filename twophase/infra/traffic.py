"""Phase one never moves traffic (invariant 8): what every trigger serves, before and after.

A trigger (HTTP integration, event source mapping, schedule rule target, invoke permission) calls
an alias; an alias serves a version (and maybe a weighted second one) that phase two moved there,
out of band. CloudFormation knows none of that: it applies the template's `FunctionVersion` on any
update of an alias resource, and creates a new alias where the template says. So the preflight
judges each change by its effect, with the aliases' real targets read from Lambda:

- a new alias starts where the traffic it takes over is served today (`new_alias_targets`, which
  the renderer writes into the template), never at the dummy;
- a change set that updates an existing alias resource is refused (it would reset the alias);
- a change set that points a trigger at an alias serving other code than the trigger reaches now
  (removing or reordering the serving alias) is refused, with the commands that make it safe.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from twophase.aws.cloudformation import ResourceChange
from twophase.aws.lambda_client import AliasState
from twophase.errors import NotFoundError
from twophase.infra.plan import owning_function

ALIAS = "AWS::Lambda::Alias"
# Where each trigger type names what it calls.
TRIGGER_TYPES = {
    "AWS::ApiGatewayV2::Integration": "IntegrationUri",
    "AWS::Lambda::EventSourceMapping": "FunctionName",
    "AWS::Lambda::Permission": "FunctionName",
    "AWS::Events::Rule": "Targets",
    "AWS::SNS::Subscription": "Endpoint",
}


@dataclass(frozen=True)
class Target:
    """What an alias serves: a version, and the other versions' shares of its traffic."""

    version: str
    weights: tuple[tuple[str, float], ...] = ()

    @classmethod
    def of(cls, alias: AliasState) -> Target:
        return cls(alias.function_version, tuple(sorted(alias.weights.items())))

    def describe(self) -> str:
        split = "".join(f" +v{v} {w:.0%}" for v, w in self.weights)
        return f"v{self.version}{split}"

    def routing_config(self) -> dict[str, Any] | None:
        """CloudFormation's `RoutingConfig` for these weights (None when there are none)."""
        if not self.weights:
            return None
        return {
            "AdditionalVersionWeights": [
                {"FunctionVersion": v, "FunctionWeight": w} for v, w in self.weights
            ]
        }


DUMMY = Target("dummy")  # a new alias at the function's dummy version


class AliasLister(Protocol):
    """What the reader needs of Lambda (twophase.aws.lambda_client.LambdaClient has it)."""

    def list_aliases(self, function: str) -> list[AliasState]: ...


class AliasReader:
    """The aliases of deployed functions, read from Lambda once per function per run."""

    def __init__(self, lambdas: AliasLister) -> None:
        self._lambdas = lambdas
        self._read: dict[str, dict[str, Target]] = {}

    def targets(self, physical: str) -> dict[str, Target]:
        if physical not in self._read:
            try:
                found = self._lambdas.list_aliases(physical)
            except NotFoundError:
                found = []
            self._read[physical] = {a.name: Target.of(a) for a in found}
        return self._read[physical]


@dataclass(frozen=True)
class TrafficRisk:
    """A change that would move traffic: refused, whatever flag is given."""

    function: str  # the physical function name
    logical_id: str
    reason: str
    fix: str


def new_alias_targets(
    chains: Mapping[str, tuple[list[str], list[str], str]], reader: AliasReader
) -> dict[str, dict[str, Target]]:
    """For each deployed function (name → (deployed chain, new chain, physical name)) whose chain
    gains aliases: where each new alias starts. That is where the traffic it takes over is served
    today: the deployed serving alias's target (the last of the deployed chain)."""
    out: dict[str, dict[str, Target]] = {}
    for name, (before, after, physical) in sorted(chains.items()):
        added = [a for a in after if a not in before]
        if not added or not before:
            continue
        serving = reader.targets(physical).get(before[-1])
        if serving is not None:
            out[name] = {alias: serving for alias in added}
    return out


def traffic_risks(
    changes: tuple[ResourceChange, ...],
    deployed: Mapping[str, Any],
    template: Mapping[str, Any],
    reader: AliasReader,
) -> tuple[TrafficRisk, ...]:
    """Every change that would make a trigger reach other code than now, or reset an alias."""
    view = _Aliases(deployed, template, reader)
    risks: list[TrafficRisk] = []
    for change in changes:
        if change.resource_type == ALIAS and change.action == "Modify":
            risks.extend(view.reset(change.logical_id))
        elif change.resource_type in TRIGGER_TYPES and change.action in ("Add", "Modify"):
            risks.extend(view.moved(change))
    return tuple(risks)


class _Aliases:
    """The aliases a trigger calls, in the deployed and in the new template, and their targets."""

    def __init__(
        self, deployed: Mapping[str, Any], template: Mapping[str, Any], reader: AliasReader
    ) -> None:
        self.old = deployed.get("Resources") or {}
        self.new = template.get("Resources") or {}
        self.reader = reader

    def reset(self, logical_id: str) -> Iterator[TrafficRisk]:
        now = self._now(logical_id)
        if now is None:
            return
        physical, name, target = now
        yield TrafficRisk(
            physical,
            logical_id,
            f"updating alias {name} of {physical} would apply the template's version to it, "
            f"moving it off {target.describe()}",
            "keep the alias's properties as deployed (twophase.yml edits never need this)",
        )

    def moved(self, change: ResourceChange) -> Iterator[TrafficRisk]:
        after = {lid: self._after(lid) for lid in _called(self.new.get(change.logical_id))}
        before = {lid: self._now(lid) for lid in _called(self.old.get(change.logical_id))}
        now = {b[2] for b in before.values() if b is not None}
        for lid, target in after.items():
            if target is None:
                continue
            physical, alias = self._names(self.new, lid)
            if change.action == "Modify" and now and target not in now:
                old = next(b for b in before.values() if b is not None)
                yield TrafficRisk(
                    physical,
                    change.logical_id,
                    f"{change.logical_id} would call {alias} ({target.describe()}) instead of "
                    f"{old[1]} ({old[2].describe()}): its traffic would reach other code",
                    f"make both serve the same release first (`twophase alias promote "
                    f"FUNCTION --from {alias} --to {old[1]}` or the reverse), or keep {old[1]} "
                    "last in `aliases:`",
                )
            elif target == DUMMY and self.reader.targets(physical):
                # new_alias_targets gives a deployed function's new aliases a real target, so
                # a dummy here means the function exists but its serving alias was not found
                yield TrafficRisk(
                    physical,
                    change.logical_id,
                    f"{change.logical_id} would call {alias} of {physical} at its dummy",
                    "run `twophase infra up` again once the deployed aliases can be read",
                )

    def _now(self, logical_id: str) -> tuple[str, str, Target] | None:
        """(physical, alias name, target) of a deployed alias resource, read from Lambda."""
        resource = self.old.get(logical_id) or {}
        if resource.get("Type") != ALIAS:
            return None
        physical, alias = self._names(self.old, logical_id)
        target = self.reader.targets(physical).get(alias) if physical else None
        return (physical, alias, target) if target is not None else None

    def _after(self, logical_id: str) -> Target | None:
        """What an alias resource of the new template will serve once the update is done."""
        resource = self.new.get(logical_id) or {}
        if resource.get("Type") != ALIAS:
            return None
        kept = self._now(logical_id)
        if kept is not None and self._names(self.new, logical_id) == kept[:2]:
            return kept[2]  # an existing alias keeps its target (an update of it is refused)
        props = resource.get("Properties") or {}
        version = props.get("FunctionVersion")
        if not isinstance(version, str):
            return DUMMY  # the template's dummy version (Fn::GetAtt)
        weights = (props.get("RoutingConfig") or {}).get("AdditionalVersionWeights") or []
        return Target(
            version,
            tuple(sorted((str(w["FunctionVersion"]), float(w["FunctionWeight"])) for w in weights)),
        )

    def _names(self, resources: Mapping[str, Any], logical_id: str) -> tuple[str, str]:
        props = (resources.get(logical_id) or {}).get("Properties") or {}
        physical = owning_function({"Resources": resources}, logical_id)
        return physical, str(props.get("Name", ""))


def _called(resource: Mapping[str, Any] | None) -> list[str]:
    """The logical ids a trigger resource calls through `Ref` (aliases, functions)."""
    if not resource:
        return []
    value = (resource.get("Properties") or {}).get(TRIGGER_TYPES.get(resource.get("Type", ""), ""))
    if resource.get("Type") == "AWS::Events::Rule":
        return [lid for t in value or [] for lid in _refs(t.get("Arn"))]
    return _refs(value)


def _refs(value: Any) -> list[str]:
    if isinstance(value, Mapping) and isinstance(value.get("Ref"), str):
        return [value["Ref"]]
    return []
