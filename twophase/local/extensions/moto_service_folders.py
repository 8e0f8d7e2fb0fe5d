"""The embedded AWS routes a request without listing its own package folder twice per request.

This changes no answer of the embedded AWS, only its speed. moto 5.2.5's server picks the service
for each request in `get_backend_for_host`, which first asks whether the host names one of moto's
service packages: `host in backends.list_of_moto_modules()`, a generator that lists moto's folder
and stats every entry, about 180 `stat` calls, twice per request. That was two fifths of the
server's time for a ListAliases (issue "Performance past the small case": `status` and every
end-to-end test pay it on each call). The folder's packages are fixed once moto is installed, so
they are listed once here, in the same sorted order.
"""

from __future__ import annotations

from collections.abc import Iterator

_listed: tuple[str, ...] = ()


def install() -> None:
    global _listed
    from moto import backends

    if not _listed:
        _listed = tuple(backends.list_of_moto_modules())
        backends.list_of_moto_modules = listed


def listed() -> Iterator[str]:
    """moto's service packages, as `list_of_moto_modules` lists them, read once."""
    return iter(_listed)
