"""`infra down`: delete the app stack; keep data and the artifact bucket unless purging.

`env prune` deletes a preview the same way (`delete_app_stack`, then `purge_artifacts`)."""

from __future__ import annotations

from dataclasses import dataclass

from twophase.config.model import Config
from twophase.errors import AwsError, PreconditionError
from twophase.infra.apply import no_events, raise_if_failed
from twophase.infra.services import InfraServices, bucket_for
from twophase.names import artifact_stack_name


@dataclass(frozen=True)
class DownResult:
    stack: str
    deleted: bool
    purged_bucket: str = ""


def down(config: Config, env: str, svc: InfraServices, *, force: bool, purge: bool) -> DownResult:
    check_protected(config, env, force=force)
    stack_name = config.stack_name(env)
    deleted = delete_app_stack(stack_name, svc)
    purged = purge_artifacts(config, env, svc) if purge else ""
    return DownResult(stack_name, deleted, purged)


def check_protected(config: Config, env: str, *, force: bool) -> None:
    if config.environment(env).protected and not force:
        raise PreconditionError(
            f"environment {env} is protected: refusing to delete {config.stack_name(env)}",
            hint="pass --force if you really mean it",
        )


def delete_app_stack(stack_name: str, svc: InfraServices) -> bool:
    """Delete the stack and wait, reporting its events; False when there is none."""
    if svc.cfn.get_stack(stack_name) is None:
        return False
    svc.cfn.mark_events_seen(stack_name)
    svc.cfn.delete_stack(stack_name)
    final, events = svc.cfn.wait_stack(
        stack_name,
        lambda e: svc.reporter.info(f"  {e.status:<28} {e.logical_id}"),
        deleting=True,
    )
    if final is not None and final.status != "DELETE_COMPLETE":
        raise_if_failed(stack_name, final, events)
    return True


def purge_artifacts(config: Config, env: str, svc: InfraServices) -> str:
    """Delete the artifact bucket (by its name: it may have outlived its stack) and its stack,
    whatever state an interrupted run left that stack in. Returns the bucket deleted ('' if
    there was none)."""
    name = artifact_stack_name(config.app, env)
    bucket = bucket_for(config, env, svc)
    purged = ""
    if svc.s3.bucket_exists(bucket):
        svc.s3.empty_and_delete(bucket)
        purged = bucket
    if svc.cfn.get_stack(name) is not None:
        svc.cfn.delete_stack(name)
        final, _ = svc.cfn.wait_stack(name, no_events, deleting=True)
        if final is not None and final.status != "DELETE_COMPLETE":
            raise AwsError(f"could not delete {name}: {final.status} {final.reason}")
    return purged
