"""Lambda's ListVersionsByFunction and ListAliases page as AWS pages them, seen alike through boto3
and the direct client (twophase.aws.direct)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from tests.conftest import LocalAwsHandle
from tests.local.test_lambda_revision_id import code, create_function
from twophase.aws.direct import DirectLambda, Transport
from twophase.aws.direct_credentials import direct_target
from twophase.aws.errors import ServiceError

ARN = "arn:aws:lambda:us-east-1:123456789012:function:fn"
PARTIAL_ARN = "123456789012:function:fn"


class Readers:
    """boto3's Lambda client and the direct one, on the same embedded AWS."""

    def __init__(self, local_aws: LocalAwsHandle) -> None:
        clients = local_aws.clients()
        target = direct_target(clients.target)
        assert target is not None  # the embedded AWS's keys are plain
        self.boto = clients.client("lambda")
        self.direct = DirectLambda(Transport(target, "lambda"))
        create_function(clients)

    def publish(self, count: int, start: int = 0) -> None:
        """Publish `count` versions, each of new code."""
        for n in range(start, start + count):
            self.boto.update_function_code(
                FunctionName="fn", ZipFile=code(f"r={n}\n"), Publish=True
            )

    def pages(self, operation: str, **params: Any) -> list[dict[str, Any]]:
        """Every page, following NextMarker by hand, identical through both clients."""
        theirs = _pages(getattr(self.boto, operation), params)
        ours = _pages(getattr(self.direct, operation), params)
        assert ours == theirs
        return theirs


def _pages(call: Callable[..., dict[str, Any]], params: dict[str, Any]) -> list[dict[str, Any]]:
    pages = [_clean(call(**params))]
    while "NextMarker" in pages[-1]:
        assert len(pages) < 200, "the markers never end"
        pages.append(_clean(call(**params, Marker=pages[-1]["NextMarker"])))
    return pages


def _clean(answer: Any) -> Any:
    """The answer without ResponseMetadata and null members (botocore leaves both out)."""
    if isinstance(answer, dict):
        return {
            k: _clean(v) for k, v in answer.items() if v is not None and k != "ResponseMetadata"
        }
    if isinstance(answer, list):
        return [_clean(item) for item in answer]
    return answer


@pytest.fixture
def readers(local_aws: LocalAwsHandle) -> Readers:
    return Readers(local_aws)


def _sizes(pages: list[dict[str, Any]], collection: str) -> list[int]:
    return [len(page[collection]) for page in pages]


def _expected_sizes(total: int, size: int) -> list[int]:
    full, rest = divmod(total, size)
    return [size] * full + ([rest] if rest or not full else [])


def test_versions_page_by_max_items_up_to_fifty(readers: Readers) -> None:
    """ListVersionsByFunction: `MaxItems` (1–10000) bounds a page, which never holds more than
    50 items ("returns a maximum of 50 items in each response, even if you set the number
    higher"); `NextMarker` is present while versions remain and, passed as `Marker`, continues
    the listing; `$LATEST` comes first, then the versions in ascending order.
    https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html"""
    published = 0
    for count in (0, 1, 49, 50, 51, 120):  # one function, published up to each count in turn
        readers.publish(count - published, start=published)
        published = count
        everything = ["$LATEST", *(str(n) for n in range(1, count + 1))]
        for max_items, size in ((None, 50), (1, 1), (7, 7), (50, 50), (10000, 50)):
            if max_items == 1 and count > 1:
                continue  # one-item pages chain at 1 version; more would only repeat it
            params = {"FunctionName": "fn"} | ({"MaxItems": max_items} if max_items else {})
            pages = readers.pages("list_versions_by_function", **params)

            listed = [v["Version"] for page in pages for v in page["Versions"]]
            assert listed == everything, (count, max_items)
            assert _sizes(pages, "Versions") == _expected_sizes(len(everything), size)
            assert "NextMarker" not in pages[-1]

    boto_pages = readers.boto.get_paginator("list_versions_by_function").paginate(FunctionName="fn")
    direct_pages = readers.direct.get_paginator("list_versions_by_function").paginate(
        FunctionName="fn"
    )
    assert [len(page["Versions"]) for page in boto_pages] == [50, 50, 21]
    assert [v["Version"] for p in direct_pages for v in p["Versions"]] == everything


@pytest.fixture
def aliased(readers: Readers) -> Readers:
    """`fn` with three versions and 60 aliases, `a00`…`a59`, on versions 1, 2, 3 in turn."""
    readers.publish(3)
    for n in range(60):
        readers.boto.create_alias(
            FunctionName="fn", Name=f"a{n:02}", FunctionVersion=str(n % 3 + 1)
        )
    return readers


def test_aliases_page_by_max_items(aliased: Readers) -> None:
    """ListAliases: the default page holds 50 aliases; `MaxItems` (1–10000) limits the aliases
    returned (the 50-item cap is documented for ListVersionsByFunction, not for ListAliases);
    `NextMarker`/`Marker` continue the listing.
    https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html"""
    everything = [f"a{n:02}" for n in range(60)]
    for max_items, sizes in ((None, [50, 10]), (7, [7] * 8 + [4]), (10000, [60])):
        params = {"FunctionName": "fn"} | ({"MaxItems": max_items} if max_items else {})
        pages = aliased.pages("list_aliases", **params)

        assert [a["Name"] for page in pages for a in page["Aliases"]] == everything
        assert _sizes(pages, "Aliases") == sizes


def test_the_function_version_filter_holds_across_pages(aliased: Readers) -> None:
    """ListAliases' `FunctionVersion` lists only the aliases that point at that version, and the
    pages hold only those (a page is not a filtered page of all aliases).
    https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html"""
    for max_items in (None, 1, 7):
        params = {"FunctionName": "fn", "FunctionVersion": "2"}
        pages = aliased.pages(
            "list_aliases", **params | ({"MaxItems": max_items} if max_items else {})
        )

        listed = [a["Name"] for page in pages for a in page["Aliases"]]
        assert listed == [f"a{n:02}" for n in range(60) if n % 3 == 1]
        assert {a["FunctionVersion"] for page in pages for a in page["Aliases"]} == {"2"}
        assert _sizes(pages, "Aliases") == _expected_sizes(20, max_items or 50)


def test_an_arn_or_partial_arn_names_the_function(readers: Readers) -> None:
    """`FunctionName` is the name, the function ARN or a partial ARN
    (`123456789012:function:my-function`), in the path of both calls.
    https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html,
    https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html"""
    readers.publish(4)
    for n in range(6):
        readers.boto.create_alias(FunctionName="fn", Name=f"a{n}", FunctionVersion=str(n % 2 + 1))
    for name in (ARN, PARTIAL_ARN):
        for operation, params in (
            ("list_versions_by_function", {"MaxItems": 2}),
            ("list_aliases", {"MaxItems": 2, "FunctionVersion": "2"}),
        ):
            by_name = readers.pages(operation, FunctionName="fn", **params)
            assert readers.pages(operation, FunctionName=name, **params) == by_name, name
            assert len(by_name) > 1


def _refusals(readers: Readers, operation: str, **params: Any) -> tuple[ServiceError, ClientError]:
    with pytest.raises(ServiceError) as ours:
        getattr(readers.direct, operation)(FunctionName="fn", **params)
    with pytest.raises(ClientError) as theirs:
        getattr(readers.boto, operation)(FunctionName="fn", **params)
    assert ours.value.response["Error"] == theirs.value.response["Error"]
    return ours.value, theirs.value


OPERATIONS = ("list_versions_by_function", "list_aliases")


def test_a_marker_not_issued_is_invalid(readers: Readers) -> None:
    """A `Marker` that no previous response returned is a 400 InvalidParameterValueException
    (Errors: "One of the parameters in the request is not valid").
    https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html#API_ListVersionsByFunction_Errors,
    https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html#API_ListAliases_Errors"""
    for operation in OPERATIONS:
        for marker in ("not-a-marker", "eyJ4IjoxfQ==", "%%%"):
            _, theirs = _refusals(readers, operation, Marker=marker)

            assert theirs.response["Error"]["Code"] == "InvalidParameterValueException"
            assert theirs.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_max_items_outside_its_range_is_a_validation_error(readers: Readers) -> None:
    """`MaxItems` has the valid range 1–10000; outside it the request fails validation with a 400
    ValidationException naming the bound (botocore itself refuses a value under the minimum
    before sending).
    https://docs.aws.amazon.com/lambda/latest/api/API_ListVersionsByFunction.html,
    https://docs.aws.amazon.com/lambda/latest/api/API_ListAliases.html"""
    for operation in OPERATIONS:
        _, theirs = _refusals(readers, operation, MaxItems=10001)
        assert theirs.response["Error"]["Code"] == "ValidationException"
        assert theirs.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert "less than or equal to 10000" in theirs.response["Error"]["Message"]

        with pytest.raises(ParamValidationError):
            getattr(readers.boto, operation)(FunctionName="fn", MaxItems=0)
        with pytest.raises(ServiceError) as ours:
            getattr(readers.direct, operation)(FunctionName="fn", MaxItems=0)
        assert ours.value.response["Error"]["Code"] == "ValidationException"
        assert ours.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert "greater than or equal to 1" in ours.value.response["Error"]["Message"]
