"""Helpers shared by the CloudFormation extensions (not an extension itself: no `install`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

_MARK = "__twophase_patched__"


def patch(owner: Any, name: str, build: Callable[[Any], Any]) -> None:
    """Replace `owner.name` with `build(original)`, once per `build`: patching again with the same
    `build` is a no-op, while another extension's `build` wraps the patched method in turn."""
    current = owner.__dict__.get(name) if isinstance(owner, type) else getattr(owner, name)
    inner = current.__func__ if isinstance(current, classmethod | staticmethod) else current
    applied: frozenset[str] = getattr(inner, _MARK, frozenset())
    key = f"{build.__module__}.{build.__qualname__}"
    if key in applied:
        return
    original = getattr(owner, name)
    replacement = build(original)
    target = replacement.__func__ if isinstance(replacement, classmethod) else replacement
    setattr(target, _MARK, applied | {key})
    setattr(owner, name, replacement)


def patch_lifecycle(
    owner: Any,
    build: Callable[[dict[str, Any], str, str], Any],
    remove: Callable[[Any, str, str], None],
    keep: Callable[[Any, Any], bool] = lambda new, old: False,
) -> None:
    """Have CloudFormation create `owner` resources with `build(properties, account, region)`,
    and update one by building its replacement and then `remove`-ing the old one, unless
    `keep(new, old)` says the two are the same."""

    def create(_original: Any) -> Any:
        def create_from_cloudformation_json(
            cls: Any,
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> Any:
            return build(cloudformation_json["Properties"], account_id, region_name)

        return classmethod(create_from_cloudformation_json)

    def update(_original: Any) -> Any:
        def update_from_cloudformation_json(
            cls: Any,
            original_resource: Any,
            new_resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> Any:
            replacement = build(cloudformation_json["Properties"], account_id, region_name)
            if not keep(replacement, original_resource):
                remove(original_resource, account_id, region_name)
            return replacement

        return classmethod(update_from_cloudformation_json)

    patch(owner, "create_from_cloudformation_json", create)
    patch(owner, "update_from_cloudformation_json", update)


def set_attr(owner: Any, name: str, value: Any) -> None:
    """Add or replace an attribute on a moto class."""
    setattr(owner, name, value)


def refresh_model_map() -> None:
    """Let moto's CloudFormation see model classes defined after its type map was cached."""
    from moto.cloudformation import parsing

    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


def split_function(name_or_arn: str) -> tuple[str, str | None]:
    """`fn`, `fn:alias`, `arn:…:function:fn[:qualifier]` -> (name, qualifier or None)."""
    parts = name_or_arn.split(":")
    if "function" in parts:
        rest = parts[parts.index("function") + 1 :]
        return rest[0], (rest[1] if len(rest) > 1 and rest[1] else None)
    if len(parts) == 2:
        return parts[0], parts[1] or None
    return name_or_arn, None


def lambda_backend(account_id: str, region_name: str) -> Any:
    from moto.awslambda.models import lambda_backends
    from moto.utilities.utils import get_partition

    return lambda_backends[account_id][region_name] if get_partition(region_name) else None


def function_arn(account_id: str, region_name: str, name: str, qualifier: str | None) -> str:
    from moto.utilities.utils import get_partition

    arn = f"arn:{get_partition(region_name)}:lambda:{region_name}:{account_id}:function:{name}"
    return f"{arn}:{qualifier}" if qualifier else arn
