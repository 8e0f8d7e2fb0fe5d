"""The shop's nightly report, run by an EventBridge schedule."""

from __future__ import annotations

import json
import os
from typing import Any


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    report = {
        "kind": "nightly-report",
        "scheduled_at": event.get("time"),
        "table": os.environ.get("TABLE", ""),
    }
    print(json.dumps(report, sort_keys=True))
    return report
