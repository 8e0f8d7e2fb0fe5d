"""Every version keeps its package; the embedded AWS keeps it on disk, one file per SHA-256.

AWS behaviour (Lambda developer guide, "Lambda quotas", function and layer storage; Lambda API
reference, GetFunction): Lambda stores the package of `$LATEST` and of each published version;
GetFunction's `Code.Location` is a presigned URL, valid for 10 minutes, that downloads the package,
whose SHA-256 is the configuration's `CodeSha256`. Here the packages are files in the server's
private code folder, read only when used; versions of the same code share one file.
"""

from __future__ import annotations

import base64
import hashlib
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from moto.awslambda.models import lambda_backends

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_invoke import ROLE, create, payload, role_arn
from twophase.build.detzip import Entry, build_zip
from twophase.local import code_store
from twophase.local.extensions.lambda_code_storage import package_file

HANDLER = "def handler(event, context):\n    return {!r}\n"


@pytest.fixture
def lam(local_aws: LocalAwsHandle) -> Any:
    clients = local_aws.clients()
    assert role_arn(clients) == ROLE
    return clients.client("lambda")


def _zip(answer: str) -> bytes:
    return build_zip([Entry("app.py", HANDLER.format(answer).encode())])


def _packages(local_aws: LocalAwsHandle) -> Path:
    assert local_aws.server.code_dir is not None
    return local_aws.server.code_dir / "packages"


def _function(name: str, version: str = "$LATEST") -> Any:
    backend = lambda_backends["123456789012"]["us-east-1"]
    return backend.get_function(name, None if version == "$LATEST" else version)


def _download(location: str) -> bytes:
    with urllib.request.urlopen(location, timeout=10) as response:
        return bytes(response.read())


def test_each_version_keeps_its_code_in_one_file_per_content(
    lam: Any, local_aws: LocalAwsHandle
) -> None:
    create(lam, "api", {"app.py": HANDLER.format("one")})
    first = lam.publish_version(FunctionName="api")["Version"]
    lam.update_function_code(FunctionName="api", ZipFile=_zip("two"))
    second = lam.publish_version(FunctionName="api")["Version"]
    lam.update_function_code(FunctionName="api", ZipFile=_zip("one"))  # the first code again
    lam.update_function_configuration(FunctionName="api", MemorySize=256)
    third = lam.publish_version(FunctionName="api")["Version"]

    files = {f.name for f in _packages(local_aws).iterdir() if not f.name.startswith(".")}
    assert files >= {hashlib.sha256(_zip(a)).hexdigest() for a in ("one", "two")}
    assert package_file(_function("api", first)) == package_file(_function("api", third))
    assert package_file(_function("api", second)) != package_file(_function("api", first))
    for version in (first, second, third, "$LATEST"):
        fn = _function("api", version)
        assert "ZipFile" not in fn.code  # no second copy held as base64 text
        assert "_twophase_code_inline" not in vars(fn)
    answers = {v: payload(lam.invoke(FunctionName="api", Qualifier=v)) for v in (first, second)}
    assert answers == {first: "one", second: "two"}


def test_get_function_location_downloads_the_package_for_ten_minutes(lam: Any) -> None:
    create(lam, "api", {"app.py": HANDLER.format("one")})
    lam.update_function_code(FunctionName="api", ZipFile=_zip("two"))
    version = lam.publish_version(FunctionName="api")["Version"]

    got = lam.get_function(FunctionName="api", Qualifier=version)
    assert got["Code"]["RepositoryType"] == "S3"
    package = _download(got["Code"]["Location"])
    sha = base64.b64encode(hashlib.sha256(package).digest()).decode()
    assert sha == got["Configuration"]["CodeSha256"]
    assert package == _zip("two")

    store = code_store.current()
    assert store is not None
    stored = package_file(_function("api", version))
    assert stored is not None
    expired = store.location(stored, now=0)
    forged = got["Code"]["Location"].replace("signature=", "signature=0")
    for refused in (expired, forged):
        with pytest.raises(urllib.error.HTTPError) as error:
            _download(refused)
        assert error.value.code == 403
