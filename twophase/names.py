"""Logical ids of generated resources and outputs, derived from the function's short name.

`order-worker` gives `OrderWorkerFunction`, `OrderWorkerRole`, `OrderWorkerAliasLive`... The ids
never depend on the environment, so a stack keeps its resources across renders. The loader uses
`resource_ids` / `output_ids` to refuse collisions with the shared template before rendering.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from twophase.config.model import ResolvedFunction
from twophase.config.rules import camel

ARTIFACT_BUCKET_OUTPUT = "ArtifactBucket"


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


def route_ids(ids: FunctionIds, routes: list[str]) -> dict[str, str]:
    """Route -> logical id; a clash between two routes' ids falls back to a numbered id."""
    out: dict[str, str] = {}
    for index, route in enumerate(routes, start=1):
        logical_id = ids.route(route)
        out[route] = logical_id if logical_id not in out.values() else f"{logical_id}{index}"
    return out


def resource_ids(fn: ResolvedFunction, aliases: list[str]) -> list[str]:
    """The logical ids of every resource rendered for `fn`."""
    ids = ids_for(fn.name)
    out = [ids.role, ids.log_group, ids.function, ids.version]
    out += [ids.alias(a) for a in aliases]
    kind = fn.trigger.kind if fn.trigger else None
    if kind == "http" and fn.trigger and fn.trigger.http:
        out += [ids.http_api, ids.http_integration, ids.http_stage, ids.http_permission]
        out += list(route_ids(ids, fn.trigger.http.routes).values())
    elif kind == "queue" and fn.trigger and fn.trigger.queue:
        if fn.trigger.queue.queue is None:
            out += [ids.queue, ids.dead_letter_queue]
        out.append(ids.event_source_mapping)
    elif kind == "schedule":
        out += [ids.schedule, ids.schedule_permission]
    return out


def output_ids(fn: ResolvedFunction) -> list[str]:
    """The logical ids of every output rendered for `fn`."""
    ids = ids_for(fn.name)
    out = [ids.out_function_name, ids.out_function_arn, ids.out_aliases]
    kind = fn.trigger.kind if fn.trigger else None
    if kind == "http":
        out.append(ids.out_api_endpoint)
    if kind == "queue" and fn.trigger and fn.trigger.queue and fn.trigger.queue.queue is None:
        out.append(ids.out_queue_url)
    return out
