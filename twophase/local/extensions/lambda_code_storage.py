"""Every function version keeps its deployment package, stored on disk and read only when used.

AWS behaviour (Lambda developer guide, "Lambda quotas": function and layer storage, 75 GB per
Region; Lambda API reference, GetFunction): Lambda stores the package of `$LATEST` and of every
published version until the version is deleted. GetFunction answers, with the configuration,
`Code.RepositoryType: S3` and `Code.Location`, "a presigned URL that you can use to download the
deployment package", valid for 10 minutes; downloading it returns the package's bytes, whose
SHA-256 is the configuration's `CodeSha256`.

moto 5.2.5 holds each package in memory twice (the request's base64 text in the function's `code`
dictionary and the decoded bytes in `code_bytes`), for `$LATEST` and for each version, and answers
a `Code.Location` on a made-up S3 host nobody can fetch. Here, once a server runs
(`twophase.local.code_store`), `code_bytes` is a file in the server's private code folder named by
its SHA-256: versions of the same code share one file, the base64 text is dropped, and the bytes
are read again only when Invoke runs them or the package is downloaded. `Code.Location` is a
signed URL of the embedded AWS that serves the package for 10 minutes.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twophase.local import code_store

_MARK = "_twophase_code_storage"
_FILE = "_twophase_code_file"  # where a function's package is (set when a store is in use)
_INLINE = "_twophase_code_inline"  # the package itself, without a store


class _StoredCode:
    """`LambdaFunction.code_bytes`, kept in the store's file when there is a store."""

    def __set__(self, fn: Any, package: bytes) -> None:
        store = code_store.current()
        state = fn.__dict__
        state.pop(_FILE, None)
        state.pop(_INLINE, None)
        if store is not None and package:
            state[_FILE] = str(store.put(bytes(package)))
        else:
            state[_INLINE] = package

    def __get__(self, fn: Any, owner: type | None = None) -> Any:
        if fn is None:
            return self
        stored = fn.__dict__.get(_FILE)
        if stored is not None:
            return Path(stored).read_bytes()
        return fn.__dict__.get(_INLINE, b"")


def package_file(fn: Any) -> Path | None:
    """The file holding a function version's package, or None (no store, or no zip package)."""
    stored = fn.__dict__.get(_FILE)
    return Path(stored) if stored is not None else None


def _dropping_base64(original: Callable[..., None]) -> Callable[..., None]:
    @functools.wraps(original)
    def set_function_code(self: Any, updated_spec: dict[str, Any]) -> None:
        original(self, updated_spec)
        if package_file(self) is not None:
            self.code.pop("ZipFile", None)  # the package is in the store; the text is a copy

    return set_function_code


def _located(original: Callable[[Any], dict[str, Any]]) -> Callable[[Any], dict[str, Any]]:
    @functools.wraps(original)
    def get_code(self: Any) -> dict[str, Any]:
        response = original(self)
        stored, store = package_file(self), code_store.current()
        if stored is not None and store is not None and store.endpoint:
            response["Code"] = {"RepositoryType": "S3", "Location": store.location(stored)}
        return response

    return get_code


def install() -> None:
    from moto.awslambda.models import LambdaFunction

    if getattr(LambdaFunction, _MARK, False):
        return
    LambdaFunction.code_bytes = _StoredCode()  # type: ignore[assignment]
    LambdaFunction._set_function_code = _dropping_base64(LambdaFunction._set_function_code)  # type: ignore[method-assign]
    LambdaFunction.get_code = _located(LambdaFunction.get_code)  # type: ignore[method-assign,assignment]
    setattr(LambdaFunction, _MARK, True)
