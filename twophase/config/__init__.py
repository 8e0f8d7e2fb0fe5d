"""twophase.yml: the validated model and its loader."""

from twophase.config.model import (
    Config,
    Defaults,
    Environment,
    Function,
    HttpTrigger,
    QueueTrigger,
    ResolvedFunction,
    Trigger,
)

__all__ = [
    "Config",
    "Defaults",
    "Environment",
    "Function",
    "HttpTrigger",
    "QueueTrigger",
    "ResolvedFunction",
    "Trigger",
]
