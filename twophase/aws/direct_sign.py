"""Signature Version 4, for the direct reads (`direct.py`): the standard library only.

AWS authenticates every request by an HMAC-SHA256 signature over a canonical form of the request
(method, path, query, signed headers, payload digest), under a key derived from the secret key,
the day, the region and the service. This module computes exactly what botocore's `SigV4Auth`
computes for the same request (`tests/unit/test_direct_sign.py` checks it does), so a request
signed here is accepted wherever a boto3 one is. Reference: "Create a signed AWS API request",
https://docs.aws.amazon.com/IAM/latest/UserGuide/create-signed-request.html
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import quote

ALGORITHM = "AWS4-HMAC-SHA256"
UNRESERVED = "-_.~"  # what a query key or value, or a path segment, leaves unencoded
# Sent but never signed, as botocore (SIGNED_HEADERS_BLACKLIST): they may change on the way.
UNSIGNED = frozenset({"user-agent", "x-amzn-trace-id", "expect", "connection", "keep-alive"})


@dataclass(frozen=True)
class Credentials:
    """Static keys (and the session token of temporary ones)."""

    access_key: str
    secret_key: str = field(repr=False)
    token: str | None = field(default=None, repr=False)


def encode_query(params: Sequence[tuple[str, str]]) -> str:
    """The query string of `params`, each key and value percent-encoded as AWS canonicalises."""
    return "&".join(f"{quote(k, safe=UNRESERVED)}={quote(v, safe=UNRESERVED)}" for k, v in params)


def encode_segment(value: str) -> str:
    """One path parameter (a function name or ARN): everything but the unreserved encoded."""
    return quote(value, safe=UNRESERVED)


def signed_headers(
    *,
    method: str,
    host: str,
    path: str,
    query: str,
    body: bytes,
    headers: Mapping[str, str],
    credentials: Credentials,
    region: str,
    service: str,
    amz_date: str,
) -> dict[str, str]:
    """`headers` plus `Host`, `X-Amz-Date`, the session token and `Authorization`: what to send.

    `path` and `query` are as they go on the wire (already encoded); `amz_date` is the request's
    UTC time as `YYYYMMDDTHHMMSSZ`, which AWS accepts within 5 minutes of its own clock.
    """
    out = {"Host": host, "X-Amz-Date": amz_date, **headers}
    if credentials.token:
        out["X-Amz-Security-Token"] = credentials.token
    to_sign = {k.lower(): " ".join(v.split()) for k, v in out.items() if k.lower() not in UNSIGNED}
    names = ";".join(sorted(to_sign))
    canonical = "\n".join(
        [
            method,
            quote(path or "/", safe="/~"),  # the wire path encoded once more, as AWS does
            _canonical_query(query),
            "".join(f"{k}:{to_sign[k]}\n" for k in sorted(to_sign)),
            names,
            hashlib.sha256(body).hexdigest(),
        ]
    )
    day = amz_date[:8]
    scope = f"{day}/{region}/{service}/aws4_request"
    digest = hashlib.sha256(canonical.encode()).hexdigest()
    string_to_sign = f"{ALGORITHM}\n{amz_date}\n{scope}\n{digest}"
    key = _signing_key(credentials.secret_key, day, region, service)
    signature = hmac.new(key, string_to_sign.encode(), hashlib.sha256).hexdigest()
    out["Authorization"] = (
        f"{ALGORITHM} Credential={credentials.access_key}/{scope}, "
        f"SignedHeaders={names}, Signature={signature}"
    )
    return out


def _canonical_query(query: str) -> str:
    """The encoded pairs sorted by key, then value."""
    if not query:
        return ""
    pairs = sorted(pair.partition("=")[::2] for pair in query.split("&"))
    return "&".join(f"{k}={v}" for k, v in pairs)


def _signing_key(secret: str, day: str, region: str, service: str) -> bytes:
    key = f"AWS4{secret}".encode()
    for part in (day, region, service, "aws4_request"):
        key = hmac.new(key, part.encode(), hashlib.sha256).digest()
    return key
