"""The public JSON of every command, declared key by key (see `twophase.cli.output`).

Each function maps a use case's result to a `Shape`; nothing here copies an object's fields
wholesale, so a field renamed or added inside twophase changes no output. Within a schema's
version a key is never removed nor renamed: a change that must do so is a new version.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from twophase.cli.output import Shape
from twophase.cli.shapes_alias import promote as promote
from twophase.cli.shapes_alias import promote_dry_run as promote_dry_run
from twophase.cli.shapes_alias import rollback as rollback
from twophase.cli.shapes_alias import rollback_dry_run as rollback_dry_run

if TYPE_CHECKING:
    from twophase.aws.logs import LogEvent
    from twophase.build import Artifact
    from twophase.config.scaffold import InitPlan
    from twophase.errors import TwophaseError
    from twophase.infra.apply import ServedConfiguration, UpResult
    from twophase.infra.down import DownResult
    from twophase.infra.environments import EnvironmentInfo, EnvPruneResult, Found
    from twophase.infra.plan import InfraPlan, PlannedChange
    from twophase.local.lifecycle import LocalStatus
    from twophase.release.access import PushRight
    from twophase.release.invoke import InvokeOutcome
    from twophase.release.prune import PruneOutcome, PruneReport
    from twophase.release.push import PushOutcome, PushReport
    from twophase.release.push_apply import PushResult
    from twophase.release.releases import Release, ReleasesResult
    from twophase.release.status import AliasStatus, FunctionStatus, StatusResult


# phase two ---------------------------------------------------------------------------------------
def push(report: PushReport) -> Shape:
    """A list: one object per function, with `plan` (dry run), `result` and `pruned`, or
    `error` and `exit_code`."""
    return Shape("twophase.push/1", [_push_outcome(o) for o in report.outcomes])


def _push_outcome(o: PushOutcome) -> dict[str, Any]:
    data: dict[str, Any] = {"function": o.function}
    if o.plan is not None:
        data["plan"] = o.plan.describe()
    if o.result is not None:
        data["result"] = _push_result(o.result)
        data["pruned"] = list(o.pruned)
    if o.error is not None:
        data |= _error(o.error)
    return data


def _push_result(r: PushResult) -> dict[str, Any]:
    return {
        "function": r.function,
        "physical": r.physical,
        "version": r.version,
        "alias": r.alias,
        "code_sha256": r.code_sha256,
        "size": r.size,
        "seconds": r.seconds,
        "unchanged": r.unchanged,
        "api_calls": r.api_calls,
        "previous_version": r.previous_version,
        "hexdigest": r.hexdigest,
        "code_changed": r.code_changed,
        "settings_changed": list(r.settings_changed),
    }


def releases(r: ReleasesResult) -> Shape:
    return Shape(
        "twophase.releases/1",
        {
            "function": r.function,
            "physical": r.physical,
            "releases": [_release(x) for x in r.releases],
        },
    )


def _release(r: Release) -> dict[str, Any]:
    return {
        "version": r.version,
        "code_sha256": r.code_sha256,
        "by": r.by,
        "at": r.at,
        "commit": r.commit,
        "dirty": r.dirty,
        "previous": r.previous,
        "aliases": [{"alias": a.alias, "weight": a.weight} for a in r.aliases],
        "dummy": r.dummy,
    }


def status(r: StatusResult) -> Shape:
    return Shape("twophase.status/1", {"functions": [_function_status(f) for f in r.functions]})


def _function_status(f: FunctionStatus) -> dict[str, Any]:
    return {
        "function": f.function,
        "physical": f.physical,
        "code": f.code,
        "latest_sha256": f.latest_sha256,
        "unpublished": f.unpublished,
        "aliases": [_alias_status(a) for a in f.aliases],
        "last_release": _release(f.last_release) if f.last_release is not None else None,
        "error": str(f.error) if f.error is not None else None,
        "latest_dummy": f.latest_dummy,
    }


def _alias_status(a: AliasStatus) -> dict[str, Any]:
    return {
        "alias": a.alias,
        "version": a.version,
        "weights": dict(a.weights),
        "dummy": a.dummy,
        "older_settings": list(a.older_settings),
    }


def prune(report: PruneReport, *, dry_run: bool) -> Shape:
    """A list: one object per function, with what was kept and deleted (or would be)."""
    return Shape("twophase.prune/1", [_prune_outcome(o, dry_run) for o in report.outcomes])


def _prune_outcome(o: PruneOutcome, dry_run: bool) -> dict[str, Any]:
    data: dict[str, Any] = {"function": o.function}
    if o.plan is not None:
        data["physical"] = o.plan.physical
        data["keep"] = o.plan.keep
        data["kept"] = [
            {"version": k.version, "reason": k.reason.name.lower(), "alias": k.alias}
            for k in o.plan.kept
        ]
        if dry_run:
            data["would_delete"] = [s.version for s in o.plan.steps]
    if o.result is not None:
        data["deleted"] = list(o.result.deleted)
        data["skipped"] = [{"version": s.version, "note": s.note} for s in o.result.skipped]
    if o.error is not None:
        data |= _error(o.error)
    return data


def invoke(o: InvokeOutcome) -> Shape:
    return Shape(
        "twophase.invoke/1",
        {
            "function": o.function,
            "qualifier": o.qualifier,
            "executed_version": o.executed_version,
            "function_error": o.function_error,
            "payload": o.answer,
            "log_tail": o.log_tail,
        },
    )


def logs(group: str, events: Sequence[LogEvent]) -> Shape:
    return Shape("twophase.logs/1", {"log_group": group, "events": [_log_event(e) for e in events]})


def log_event(e: LogEvent) -> Shape:
    """One line of `logs -f --output json`."""
    return Shape("twophase.logs.event/1", _log_event(e))


def _log_event(e: LogEvent) -> dict[str, Any]:
    return {
        "event_id": e.event_id,
        "timestamp_ms": e.timestamp_ms,
        "stream": e.stream,
        "message": e.message,
    }


def _error(error: TwophaseError) -> dict[str, Any]:
    return {"error": str(error), "exit_code": int(error.exit_status)}


# phase one ---------------------------------------------------------------------------------------
def infra_plan(plan: InfraPlan) -> Shape:
    return Shape(
        "twophase.infra.plan/1",
        {
            "stack": plan.stack,
            "exists": plan.stack_exists,
            "changes": [_change(c) for c in plan.changes],
            "refusals": list(plan.refusals),
            "held_mappings": list(plan.held_mappings),
        },
    )


def _change(c: PlannedChange) -> dict[str, Any]:
    return {
        "action": c.action,
        "logical_id": c.logical_id,
        "resource_type": c.resource_type,
        "replacement": c.replacement,
        "details": list(c.details),
        "danger": c.danger,
        "function": c.function,
        "risk": c.risk.value if c.risk is not None else None,
        "fix": c.fix,
    }


def infra_up(result: UpResult, outputs: Mapping[str, str]) -> Shape:
    """`outputs` as the user reaches them (locally, an HTTP API's URL is the local one)."""
    return Shape(
        "twophase.infra.up/1",
        {
            "stack": result.stack,
            "status": result.status,
            "changed": result.changed,
            "outputs": dict(outputs),
            "behind": [_behind(b) for b in result.behind],
        },
    )


def _behind(b: ServedConfiguration) -> dict[str, Any]:
    return {
        "function": b.function,
        "aliases": {alias: list(names) for alias, names in b.aliases},
        "latest_dummy": b.latest_dummy,
    }


def infra_down(r: DownResult) -> Shape:
    return Shape(
        "twophase.infra.down/1",
        {"stack": r.stack, "deleted": r.deleted, "purged_bucket": r.purged_bucket},
    )


# the rest ----------------------------------------------------------------------------------------
def env_list(found: Found) -> Shape:
    return Shape("twophase.env.list/1", {"environments": [_env(e) for e in found.environments]})


def _env(e: EnvironmentInfo) -> dict[str, Any]:
    return {
        "name": e.name,
        "kind": e.kind,
        "base": e.base,
        "stack": e.stack,
        "created": iso(e.created),
        "age_seconds": e.age_seconds,
        "ttl_seconds": e.ttl_seconds,
        "expires": iso(e.expires),
        "expired": e.expired,
        "last_push": e.last_push,
        "pushed_by": e.pushed_by,
    }


def env_prune(r: EnvPruneResult) -> Shape:
    data = {"dry_run": r.dry_run, "pruned": list(r.pruned), "kept": list(r.kept)}
    return Shape("twophase.env.prune/1", data)


def iso(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC, to the second, as release records write it: `2026-05-01T12:00:00Z`."""
    from twophase.release.release_record import utc_stamp

    return None if moment is None else utc_stamp(moment)


def build(function: str, artifact: Artifact, path: str | None) -> Shape:
    """`path`: where the artifact was written (`-o`), else the build cache's file."""
    return Shape(
        "twophase.build/1",
        {
            "function": function,
            "path": path,
            "kind": artifact.kind,
            "size": artifact.size,
            "code_sha256": artifact.code_sha256,
            "image_uri": artifact.image_uri,
        },
    )


def policy(function: str, policy_name: str, document: Mapping[str, Any]) -> Shape:
    return Shape(
        "twophase.policy/1",
        {"function": function, "policy_name": policy_name, "document": dict(document)},
    )


def whoami(caller: str, account: str, region: str, rights: Sequence[PushRight]) -> Shape:
    return Shape(
        "twophase.whoami/1",
        {
            "caller": caller,
            "account": account,
            "region": region,
            "functions": [
                {
                    "function": r.function,
                    "physical": r.physical,
                    "may_push": r.may_push,
                    "how": r.how,
                }
                for r in rights
            ],
        },
    )


def init(plan: InitPlan) -> Shape:
    return Shape(
        "twophase.init/1",
        {
            "path": str(plan.path),
            "app": plan.app,
            "functions": [
                {
                    "name": f.name,
                    "source": f.source,
                    "family": f.family,
                    "handler": f.handler,
                    "runtime": f.runtime,
                }
                for f in plan.functions
            ],
            "skipped": list(plan.skipped),
        },
    )


def local_start(st: LocalStatus) -> Shape:
    return Shape("twophase.local.start/1", _local(st))


def local_status(st: LocalStatus | None) -> Shape:
    """Null data: no embedded AWS runs."""
    return Shape("twophase.local.status/1", _local(st) if st is not None else None)


def _local(st: LocalStatus) -> dict[str, Any]:
    return {
        "endpoint": st.endpoint,
        "pid": st.pid,
        "started_at": st.started_at,
        "uptime_seconds": round(st.uptime, 1),
        "iam_enforcement": st.iam_enforcement,
    }


def local_stop(stopped: bool) -> Shape:
    return Shape("twophase.local.stop/1", {"stopped": stopped})
