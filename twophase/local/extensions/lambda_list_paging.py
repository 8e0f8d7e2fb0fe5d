"""Lambda's ListVersionsByFunction and ListAliases answer in pages, as AWS pages them.

AWS behaviour (Lambda API reference, ListVersionsByFunction and ListAliases,
https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html,
https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html):

- `MaxItems` (1 to 10000) bounds a page; ListVersionsByFunction returns at most 50 items in a
  response whatever `MaxItems` says, and ListAliases answers 50 when `MaxItems` is not given. A
  value outside the range is refused before anything is read: 400 `ValidationException`.
- `NextMarker`, opaque to the caller, is present while items remain; passing it back as `Marker`
  continues the listing after the last item returned. A marker the service did not issue is a
  400 `InvalidParameterValueException`.
- ListAliases' `FunctionVersion` keeps only the aliases that point to that version, before paging.
- `FunctionName` is the name, the function ARN or a partial ARN (`123456789012:function:NAME`).

moto 5.2.5 ignores `MaxItems`, `Marker` and `FunctionVersion`, answers every item on one page, and
looks the path's function segment up without decoding it, so an ARN (sent percent-encoded) is a
404. Versions come `$LATEST` first then in ascending order; aliases in moto's order (by name).

A marker names the listing and the key of the last item returned, not a position, so a page read
after a version or alias was deleted still continues where the previous one stopped.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

from twophase.local.extensions._cfn_common import patch, split_function

MAX_ITEMS = 10000
DEFAULT_PAGE = 50
VERSIONS_PAGE_CAP = 50

# An item's place in its listing: (version number, "") or (0, alias name). `$LATEST` is 0.
Key = tuple[int, str]


@dataclass(frozen=True)
class Listing:
    """One list operation: its answer's collection, page cap and the order key of its items."""

    kind: str  # "versions" or "aliases": the marker is valid only for the listing that issued it
    collection: str
    cap: int
    key: Callable[[Any], Key]


def _version_key(version: Any) -> Key:
    """`$LATEST` first, then the published versions by number."""
    return (0 if version.version == "$LATEST" else int(version.version), "")


def _alias_key(alias: Any) -> Key:
    """moto lists aliases by name."""
    return (0, str(alias.name))


VERSIONS = Listing("versions", "Versions", VERSIONS_PAGE_CAP, _version_key)
ALIASES = Listing("aliases", "Aliases", MAX_ITEMS, _alias_key)


def _validation_error(value: str, constraint: str) -> Exception:
    from moto.awslambda.exceptions import LambdaClientError

    return LambdaClientError(
        "ValidationException",
        f"1 validation error detected: Value '{value}' at 'maxItems' failed to satisfy "
        f"constraint: {constraint}",
    )


def _invalid_marker() -> Exception:
    from moto.awslambda.exceptions import InvalidParameterValueException

    return InvalidParameterValueException("Invalid Marker: the pagination token is not valid")


def page_size(raw: str | None, listing: Listing) -> int:
    """The number of items a page holds: `MaxItems` (validated) within the listing's cap."""
    if raw is None or raw == "":
        return min(DEFAULT_PAGE, listing.cap)
    try:
        wanted = int(raw)
    except ValueError:
        raise _validation_error(raw, "Member must be a number") from None
    if wanted < 1:
        raise _validation_error(raw, "Member must have value greater than or equal to 1")
    if wanted > MAX_ITEMS:
        raise _validation_error(raw, f"Member must have value less than or equal to {MAX_ITEMS}")
    return min(wanted, listing.cap)


def encode_marker(listing: Listing, function: str, last: Key) -> str:
    """An opaque marker: the listing, the function and the key of the last item returned."""
    text = json.dumps({"l": listing.kind, "f": function, "k": list(last)}, separators=(",", ":"))
    return base64.urlsafe_b64encode(text.encode()).decode()


def decode_marker(marker: str, listing: Listing, function: str) -> Key:
    """The key after which the page starts; a marker this listing did not issue is refused."""
    try:
        fields = json.loads(base64.urlsafe_b64decode(marker.encode("ascii")))
    except (binascii.Error, UnicodeError, ValueError):
        raise _invalid_marker() from None
    if not isinstance(fields, dict) or (fields.get("l"), fields.get("f")) != (
        listing.kind,
        function,
    ):
        raise _invalid_marker()
    match fields.get("k"):
        case [int() as number, str() as name] if not isinstance(number, bool):
            return (number, name)
    raise _invalid_marker()


def page(
    items: Sequence[Any], listing: Listing, function: str, marker: str | None, size: int
) -> tuple[list[Any], str | None]:
    """The items of one page and the marker of the next (None on the last page)."""
    if marker:
        last = decode_marker(marker, listing, function)
        items = [item for item in items if listing.key(item) > last]
    chosen = list(items[:size])
    if len(items) <= size:
        return chosen, None
    return chosen, encode_marker(listing, function, listing.key(chosen[-1]))


def _param(response: Any, name: str) -> str | None:
    values = response.querystring.get(name) or [None]
    value = values[0]
    return None if value is None else str(value)


def function_of(response: Any, segment: int) -> str:
    """The function's name from the path's (percent-encoded) name, ARN or partial ARN."""
    encoded = response.path.split("?")[0].rstrip("/").split("/")[segment]
    name, _qualifier = split_function(unquote(encoded))
    return name


def _answer(
    response: Any, listing: Listing, function: str, items: Sequence[Any]
) -> tuple[int, dict[str, str], str]:
    size = page_size(_param(response, "MaxItems"), listing)
    chosen, next_marker = page(items, listing, function, _param(response, "Marker"), size)
    if listing is VERSIONS:
        rendered = [version.get_configuration() for version in chosen]
    else:
        rendered = [alias.to_json() for alias in chosen]
    body: dict[str, Any] = {listing.collection: rendered}
    if next_marker:
        body["NextMarker"] = next_marker
    return 200, {}, json.dumps(body)


def list_versions_by_function(self: Any) -> tuple[int, dict[str, str], str]:
    """Replacement for moto's `LambdaResponse.list_versions_by_function`."""
    page_size(_param(self, "MaxItems"), VERSIONS)  # validated before the function is looked up
    function = function_of(self, -2)
    versions = list(self.backend.list_versions_by_function(function))
    return _answer(self, VERSIONS, function, sorted(versions, key=_version_key))


def list_aliases(self: Any) -> tuple[int, dict[str, str], str]:
    """Replacement for moto's `LambdaResponse.list_aliases`."""
    page_size(_param(self, "MaxItems"), ALIASES)
    function = function_of(self, -2)
    aliases = list(self.backend.list_aliases(function))
    version = _param(self, "FunctionVersion")
    if version:
        aliases = [alias for alias in aliases if alias.function_version == version]
    return _answer(self, ALIASES, function, aliases)


def install() -> None:
    from moto.awslambda.responses import LambdaResponse

    patch(LambdaResponse, "list_versions_by_function", lambda _original: list_versions_by_function)
    patch(LambdaResponse, "list_aliases", lambda _original: list_aliases)
