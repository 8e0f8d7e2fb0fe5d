"""Lambda's control plane can refuse calls over a rate, as AWS does when an account calls too fast.

AWS behaviour (Lambda developer guide, "Lambda quotas", API request rate limits; Lambda API
reference, "TooManyRequestsException"): control-plane calls (every Lambda API call but Invoke)
are limited per account and region, a few tens of requests per second. A call over the limit is
refused with HTTP 429 `TooManyRequestsException`, body `{"Type": "User", "Reason":
"CallerRateLimitExceeded", "message": "Rate exceeded"}` and a `Retry-After` header; nothing
changes. Invocations have their own limits (concurrency) and are not counted here.

The embedded AWS never throttles by default. A rate makes it refuse every control-plane call
past that many in the last second (refused calls are not counted), per account and region:

- for a background server: the environment variable TWOPHASE_LOCAL_LAMBDA_RATE=20 where the
  server starts (`twophase local start` passes its environment on);
- in a test's process: `throttle_lambda(20)` (None turns it off).

CloudFormation's own changes to functions are not counted: they do not go through the API.
"""

from __future__ import annotations

import functools
import json
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

_MARK = "_twophase_lambda_throttling"
RATE_ENV = "TWOPHASE_LOCAL_LAMBDA_RATE"
WINDOW_SECONDS = 1.0
_DATA_PLANE = frozenset({"Invoke", "InvokeAsync", "InvokeWithResponseStream"})
_lock = threading.Lock()
_rate: int | None = None
_accepted: dict[tuple[str, str], deque[float]] = {}
_refused = 0


def throttle_lambda(calls_per_second: int | None) -> None:
    """Refuse control-plane calls past `calls_per_second` in any second (None: never)."""
    global _rate, _refused
    if calls_per_second is not None and calls_per_second < 1:
        raise ValueError(f"a rate must be at least 1 call per second: {calls_per_second}")
    with _lock:
        _rate = calls_per_second
        _accepted.clear()
        _refused = 0


def lambda_rate() -> int | None:
    return _rate


def refused_calls() -> int:
    """How many calls were refused since the rate was last set."""
    return _refused


def _over_rate(account: str, region: str) -> bool:
    """Whether one more call now would be past the rate; if not, the call is counted."""
    global _refused
    with _lock:
        if _rate is None:
            return False
        now = time.monotonic()
        calls = _accepted.setdefault((account, region), deque())
        while calls and calls[0] <= now - WINDOW_SECONDS:
            calls.popleft()
        if len(calls) >= _rate:
            _refused += 1
            return True
        calls.append(now)
        return False


def _too_many_requests() -> tuple[int, dict[str, str], str]:
    body = {"Type": "User", "Reason": "CallerRateLimitExceeded", "message": "Rate exceeded"}
    headers = {
        "Content-Type": "application/json",
        "x-amzn-ErrorType": "TooManyRequestsException",
        "Retry-After": "1",
    }
    return 429, headers, json.dumps(body)


def _throttled(original: Callable[[Any], Any]) -> Callable[[Any], Any]:
    @functools.wraps(original)
    def call_action(self: Any) -> Any:
        counted = _rate is not None and self._get_action() not in _DATA_PLANE
        if counted and _over_rate(self.current_account, self.region):
            return _too_many_requests()
        return original(self)

    return call_action


def install() -> None:
    import os

    from moto.awslambda.responses import LambdaResponse

    if getattr(LambdaResponse, _MARK, False):
        return
    configured = os.environ.get(RATE_ENV)
    throttle_lambda(int(configured) if configured else None)
    setattr(LambdaResponse, "call_action", _throttled(LambdaResponse.call_action))  # noqa: B010
    setattr(LambdaResponse, _MARK, True)
