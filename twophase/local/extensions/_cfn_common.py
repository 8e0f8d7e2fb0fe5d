"""Helpers shared by the CloudFormation extensions (not an extension itself: no `install`)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
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
    and update one by building its replacement and then `remove`-ing the old one (in the update's
    cleanup phase, see `defer_cleanup`), unless `keep(new, old)` says the two are the same."""

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
                defer_cleanup(
                    original_resource, lambda: remove(original_resource, account_id, region_name)
                )
            return replacement

        return classmethod(update_from_cloudformation_json)

    patch(owner, "create_from_cloudformation_json", create)
    patch(owner, "update_from_cloudformation_json", update)


CreateCheck = Callable[[dict[str, Any], str, str], None]  # (properties, account, region)
UpdateCheck = Callable[[Any, dict[str, Any], str, str], None]  # (old resource, new properties, …)


def check_before_create(check: CreateCheck) -> Callable[[Any], Any]:
    """A `patch` builder: CloudFormation's create of the resource runs `check` first, so a refusal
    fails the resource before moto makes anything. Keyed by `check`, so that several checks on one
    class each apply once."""

    def build(original: Any) -> Any:
        def create_from_cloudformation_json(
            cls: Any,
            resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
            **kwargs: Any,
        ) -> Any:
            check(cloudformation_json.get("Properties", {}), account_id, region_name)
            return original.__func__(
                cls, resource_name, cloudformation_json, account_id, region_name
            )

        return classmethod(create_from_cloudformation_json)

    build.__module__, build.__qualname__ = check.__module__, f"{check.__qualname__}:create"
    return build


def check_before_update(check: UpdateCheck) -> Callable[[Any], Any]:
    """`check_before_create` for CloudFormation's update of the resource."""

    def build(original: Any) -> Any:
        def update_from_cloudformation_json(
            cls: Any,
            original_resource: Any,
            new_resource_name: str,
            cloudformation_json: dict[str, Any],
            account_id: str,
            region_name: str,
        ) -> Any:
            check(original_resource, cloudformation_json["Properties"], account_id, region_name)
            return original.__func__(
                cls,
                original_resource,
                new_resource_name,
                cloudformation_json,
                account_id,
                region_name,
            )

        return classmethod(update_from_cloudformation_json)

    build.__module__, build.__qualname__ = check.__module__, f"{check.__qualname__}:update"
    return build


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


_SUB_VARIABLE = re.compile(r"\$\{([^!}][^}]*)\}")


def references(value: Any) -> set[str]:
    """The logical ids a resource's JSON refers to: Ref, Fn::GetAtt, Fn::Sub, DependsOn."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "Ref" and isinstance(inner, str):
                found.add(inner)
            elif key == "Fn::GetAtt":
                target = inner.split(".", 1)[0] if isinstance(inner, str) else inner[0]
                found.add(str(target))
            elif key == "Fn::Sub":
                text = inner if isinstance(inner, str) else inner[0]
                found.update(v.split(".", 1)[0] for v in _SUB_VARIABLE.findall(str(text)))
                found |= references(inner if isinstance(inner, str) else inner[1:])
            elif key == "DependsOn":
                found.update([inner] if isinstance(inner, str) else inner)
            else:
                found |= references(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= references(inner)
    return found


def dependents_first(resources: dict[str, Any]) -> list[str]:
    """The logical ids of `resources` in the order CloudFormation deletes them: every resource
    before the resources it refers to (the reverse of creation order)."""
    deps = {name: references(body) & set(resources) - {name} for name, body in resources.items()}
    created: list[str] = []
    seen: set[str] = set()

    def visit(name: str, path: frozenset[str]) -> None:
        if name in seen or name in path:
            return
        for dep in sorted(deps[name]):
            visit(dep, path | {name})
        seen.add(name)
        created.append(name)

    for name in resources:
        visit(name, frozenset())
    return list(reversed(created))


_PREVIOUS = "_twophase_previous_resources"


def remember_previous(resources_map: Any, previous: dict[str, Any]) -> None:
    """Record, during a stack update, the Resources section the update started from."""
    resources_map.__dict__[_PREVIOUS] = previous


def previous_resource(resources_map: Any, logical_id: str) -> dict[str, Any] | None:
    """The JSON `logical_id` had before the update in progress (None outside an update)."""
    found = resources_map.__dict__.get(_PREVIOUS, {}).get(logical_id)
    return found if isinstance(found, dict) else None


Cleanup = list[tuple[Any, Callable[[], None]]]
_CLEANUP: ContextVar[Cleanup | None] = ContextVar("twophase_cfn_cleanup", default=None)


@contextmanager
def collecting_cleanup() -> Iterator[Cleanup]:
    """Within this block, `defer_cleanup` collects removals instead of running them."""
    pending: Cleanup = []
    token = _CLEANUP.set(pending)
    try:
        yield pending
    finally:
        _CLEANUP.reset(token)


def keep_replaced() -> None:
    """The `remove` to defer for a replaced resource that `UpdateReplacePolicy: Retain` keeps:
    the cleanup records it as skipped and deletes nothing."""


def defer_cleanup(old_resource: Any, remove: Callable[[], None]) -> None:
    """Remove a replaced resource in the stack update's cleanup phase (now, outside an update)."""
    pending = _CLEANUP.get()
    if pending is None:
        if remove is not keep_replaced:
            remove()
    else:
        pending.append((old_resource, remove))


def delete_resource(rm: Any, resource: Any, resource_json: dict[str, Any]) -> None:
    """Delete one resource of `rm` as moto's ResourceMap._delete_resource does, without the
    stack events the tracked version records (the caller records them)."""
    from moto.cloudformation.parsing import parse_and_delete_resource

    try:
        resource.delete(rm._account_id, rm._region_name)
    except (TypeError, AttributeError):
        parse_and_delete_resource(
            getattr(resource, "physical_resource_id", ""),
            resource_json,
            rm._account_id,
            rm._region_name,
        )
