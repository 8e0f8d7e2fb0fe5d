"""CloudFormation reads a `TemplateURL` from S3 wherever that S3 is served.

AWS behaviour (CloudFormation API reference, CreateStack / CreateChangeSet / UpdateStack,
`TemplateURL`): a template over 51,200 bytes is passed as the URL of an S3 object, path style
(`https://s3.<region>.amazonaws.com/<bucket>/<key>`) or virtual-hosted style
(`https://<bucket>.s3.<region>.amazonaws.com/<key>`), and CloudFormation reads it from that
bucket. twophase uploads such templates to the artifact bucket and passes its S3 endpoint's URL.

moto 5.2.5 understands the two amazonaws.com forms and `localhost`, but reads any other host as
virtual-hosted: `http://127.0.0.1:PORT/<bucket>/<key>`, the embedded AWS's own address, names a
bucket `127`, and every large stack fails with "not found". Here a URL whose host is not
amazonaws.com is read path style, as the embedded AWS serves S3.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote, urlparse

_MARK = "_twophase_template_url"


def object_at(template_url: str) -> tuple[str, str] | None:
    """(bucket, key) of a path-style URL on a host other than amazonaws.com, else None."""
    url = urlparse(template_url)
    host = url.hostname or ""
    if host.endswith("amazonaws.com") or host.endswith("amazonaws.com.cn"):
        return None
    bucket, _, key = unquote(url.path).lstrip("/").partition("/")
    return (bucket, key) if bucket and key else None


def _reading_path_style(original: Callable[..., str]) -> Callable[..., str]:
    @functools.wraps(original)
    def get_stack_from_s3_url(self: Any, template_url: str) -> str:
        where = object_at(template_url)
        if where is None:
            return original(self, template_url)
        from moto.cloudformation.exceptions import ValidationError
        from moto.s3.models import s3_backends

        bucket, key = where
        try:
            found: Any = s3_backends[self.current_account][self.partition].get_object(bucket, key)
        except Exception:  # moto raises MissingBucket for a missing bucket
            found = None
        if found is None:  # as AWS answers a TemplateURL it cannot read: a 400, not retried
            raise ValidationError(message=f"S3 error: s3://{bucket}/{key} does not exist")
        return str(found.value.decode("utf-8"))

    return get_stack_from_s3_url


def install() -> None:
    from moto.cloudformation.responses import CloudFormationResponse

    if getattr(CloudFormationResponse, _MARK, False):
        return
    CloudFormationResponse._get_stack_from_s3_url = _reading_path_style(  # type: ignore[method-assign]
        CloudFormationResponse._get_stack_from_s3_url
    )
    setattr(CloudFormationResponse, _MARK, True)
