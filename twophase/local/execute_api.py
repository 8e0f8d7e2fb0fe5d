"""Where the embedded AWS serves API Gateway HTTP APIs: one base URL per API, on its own endpoint.

On AWS an HTTP API answers at `https://<api-id>.execute-api.<region>.amazonaws.com`, a name that
does not lead to this machine. The embedded AWS serves the same API at
`<endpoint>/_aws/execute-api/<api-id>` (the path LocalStack uses too), so `curl` reaches it on
loopback with no DNS, proxy or Host header; what follows that prefix is the path AWS would see
(`/health`, or `/<stage>/health` for a stage other than `$default`). `http://<api-id>.execute-api.
localhost:<port>/…` works as well, for clients that resolve `*.localhost` to loopback (curl does).

`local_url` turns the URL CloudFormation reports (an `ApiEndpoint` output) into the one that
reaches the embedded AWS, for display: templates keep AWS's URL, byte for byte.
"""

from __future__ import annotations

import re

PATH_PREFIX = "/_aws/execute-api/"
_AWS_URL = re.compile(
    r"^https://(?P<api>[a-z0-9]+)\.execute-api\.[a-z0-9-]+\.amazonaws\.com(?:\.cn)?(?P<rest>/.*)?$"
)
_LOCAL_HOST = re.compile(r"^(?P<api>[a-z0-9]+)\.execute-api\.localhost(?::\d+)?$")


def api_url(endpoint_url: str, api_id: str) -> str:
    """The base URL of HTTP API `api_id` on the embedded AWS at `endpoint_url`."""
    return f"{endpoint_url.rstrip('/')}{PATH_PREFIX}{api_id}"


def local_url(endpoint_url: str, value: str) -> str:
    """`value` as is, unless it is an execute-api URL: then the URL of the same API (and path) on
    the embedded AWS at `endpoint_url`."""
    found = _AWS_URL.match(value)
    if found is None:
        return value
    return api_url(endpoint_url, found["api"]) + (found["rest"] or "")


def split_path(path: str) -> tuple[str, str] | None:
    """`/_aws/execute-api/<api-id>/rest/of/path` → (api id, `/rest/of/path`); None for any other
    path. The API's own path is `/` when nothing follows the id."""
    if not path.startswith(PATH_PREFIX):
        return None
    api_id, slash, rest = path[len(PATH_PREFIX) :].partition("/")
    return (api_id, slash + rest or "/") if api_id else None


def host_api(host: str) -> str | None:
    """The API id a `<api-id>.execute-api.localhost[:port]` Host header names, else None."""
    found = _LOCAL_HOST.match(host.lower())
    return found["api"] if found else None
