"""What phase one works with: its AWS clients, the artifact bucket's name, and the change sets
it makes (named from their template, inlined or staged in the bucket, removed when a run fails)."""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from twophase import names
from twophase.aws.cloudformation import CloudFormation, TemplateSource
from twophase.aws.lambda_client import LambdaClient
from twophase.aws.s3_client import ArtifactStore
from twophase.aws.sts import Sts
from twophase.config.model import Config
from twophase.names import artifact_bucket_name, template_key
from twophase.reporter import Reporter

MAX_INLINE_TEMPLATE = 51_200


@dataclass
class InfraServices:
    """The AWS clients phase one uses, and where progress goes."""

    cfn: CloudFormation
    s3: ArtifactStore
    lambdas: LambdaClient
    sts: Sts
    reporter: Reporter

    @classmethod
    def from_clients(
        cls, clients: Any, reporter: Reporter, sleep: Callable[[float], None] = time.sleep
    ) -> InfraServices:
        return cls(
            cfn=CloudFormation(clients.client("cloudformation"), sleep=sleep),
            s3=ArtifactStore(clients.client("s3")),
            lambdas=LambdaClient(clients.client("lambda"), sleep=sleep),
            sts=Sts(clients.client("sts")),
            reporter=reporter,
        )


def bucket_for(config: Config, env: str, svc: InfraServices) -> str:
    ident = svc.sts.identity
    region = svc.cfn.client.meta.region_name
    return artifact_bucket_name(config.app, env, ident.account, region)


@contextlib.contextmanager
def removed_on_failure(
    svc: InfraServices, stack: str, change_set: str, *, shell: bool = False
) -> Iterator[None]:
    """Delete the change set (by name: an interrupted CreateChangeSet never gave its id) if the
    block fails or is interrupted, and with `shell` the stack too if it is only a shell
    (REVIEW_IN_PROGRESS). Best effort: the error at hand wins."""
    try:
        yield
    except BaseException:
        discard(svc, stack, change_set, shell=shell)
        raise


def discard(svc: InfraServices, stack: str, change_set: str | None, *, shell: bool) -> None:
    """Delete a change set this run made and, with `shell`, the stack if it is only the shell
    its CREATE change set made (REVIEW_IN_PROGRESS). Best effort: the error at hand wins."""
    with contextlib.suppress(Exception):
        if change_set:
            svc.cfn.delete_change_set(change_set, stack)
        current = svc.cfn.get_stack(stack)
        if shell and current is not None and current.status == "REVIEW_IN_PROGRESS":
            svc.cfn.delete_stack(stack)


def template_arg(svc: InfraServices, bucket: str, body: str) -> TemplateSource:
    """Inline up to CloudFormation's 51,200 bytes; larger templates go through the bucket."""
    if len(body.encode()) <= MAX_INLINE_TEMPLATE:
        return TemplateSource(body=body)
    key = template_key(hashlib.sha256(body.encode()).hexdigest())
    if not svc.s3.exists(bucket, key):
        svc.s3.put_bytes(bucket, key, body.encode())
    return TemplateSource(url=svc.s3.url(bucket, key))


def change_set_name(body: str) -> str:
    digest = hashlib.sha256(body.encode()).hexdigest()[:12]
    return names.change_set_name(int(time.time()), digest)
