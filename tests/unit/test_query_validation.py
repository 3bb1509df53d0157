"""Filter validation: bad bbox / temporal / limit are clear ValueErrors raised before any request."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest

from vstore_explorer.catalog.base import (
    SearchQuery,
    SearchResults,
    validate_bbox,
    validate_limit,
    validate_temporal,
)
from vstore_explorer.catalog.cmr import CMRCatalog, resolve_base_url


@pytest.mark.parametrize(
    ("bbox", "expected"),
    [
        ((-10, 20, 30, 40), (-10.0, 20.0, 30.0, 40.0)),
        ("-10, 20,30 ,40", (-10.0, 20.0, 30.0, 40.0)),
        ([170, -10, -170, 10], (170.0, -10.0, -170.0, 10.0)),  # crosses the antimeridian
        (("-180", "-90", "180", "90"), (-180.0, -90.0, 180.0, 90.0)),
        (None, None),
    ],
)
def test_valid_bboxes(bbox: object, expected: object) -> None:
    assert validate_bbox(bbox) == expected  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ((1, 2, 3), "exactly 4 numbers"),
        ("1,2,3,4,5", "exactly 4 numbers"),
        ("a,2,3,4", "not a number"),
        ((-181, 0, 10, 10), "west longitude -181.0 is outside"),
        ((0, 0, 180.5, 10), "east longitude 180.5 is outside"),
        ((0, -91, 10, 10), "south latitude -91.0 is outside"),
        ((0, 0, 10, 95), "north latitude 95.0 is outside"),
        ((0, 10, 10, 10), "south .* must be less than north"),
        ((0, 20, 10, 10), "south .* must be less than north"),
        ((0, float("nan"), 10, 10), "finite"),
    ],
)
def test_invalid_bboxes(bbox: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_bbox(bbox)  # type: ignore[arg-type]


def test_temporal_forms() -> None:
    start, end = validate_temporal(("2020-01-01", "2020-12-31"))  # type: ignore[misc]
    assert start == datetime(2020, 1, 1, tzinfo=UTC)
    assert end == datetime(2020, 12, 31, 23, 59, 59, 999999, tzinfo=UTC)  # whole last day
    assert validate_temporal("2020-01-01T06:00:00Z,") == (datetime(2020, 1, 1, 6, tzinfo=UTC), None)
    assert validate_temporal((None, date(2021, 3, 1))) == (
        None,
        datetime(2021, 3, 1, 23, 59, 59, 999999, tzinfo=UTC),
    )
    naive = datetime(2020, 5, 1, 12)
    aware = datetime(2020, 5, 1, 14, tzinfo=UTC)
    assert validate_temporal((naive, aware)) == (naive.replace(tzinfo=UTC), aware)
    assert validate_temporal(None) is None


@pytest.mark.parametrize(
    ("temporal", "message"),
    [
        (("2020-12-31", "2020-01-01"), "after its end"),
        ("2020-01-01", r"\(start, end\) pair"),
        (("2020-01-01",), r"\(start, end\) pair"),
        (("yesterday", None), "not an ISO 8601"),
        ((None, None), "neither a start nor an end"),
        ((20200101, None), "must be a string, date, datetime"),
    ],
)
def test_invalid_temporal(temporal: object, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_temporal(temporal)  # type: ignore[arg-type]


@pytest.mark.parametrize("limit", [0, -1, 1.5, True, "10"])
def test_invalid_limits(limit: object) -> None:
    with pytest.raises(ValueError, match="limit must be a positive integer"):
        validate_limit(limit)  # type: ignore[arg-type]


def test_valid_limits() -> None:
    assert validate_limit(1) == 1 and validate_limit(None) is None


def test_search_query_checks_every_filter() -> None:
    q = SearchQuery.build(keyword="  sst ", concept_id="C1996881146-POCLOUD", cloud_hosted=True)
    assert (q.keyword, q.concept_id, q.cloud_hosted) == ("sst", ("C1996881146-POCLOUD",), True)
    with pytest.raises(ValueError, match="not a collection concept id"):
        SearchQuery.build(concept_id="G3264876018-POCLOUD")
    with pytest.raises(ValueError, match="has_virtual_store must be True, False or None"):
        SearchQuery.build(has_virtual_store="yes")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="keyword must be a string"):
        SearchQuery.build(keyword=3)  # type: ignore[arg-type]


@pytest.fixture
def listening_socket() -> Iterator[socket.socket]:
    """A socket that accepts connections but never answers: any request would hang and fail."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield sock
    sock.close()


@pytest.mark.parametrize(
    "kwargs",
    [
        {"bbox": (0, 20, 10, 10)},
        {"temporal": ("2021-01-01", "2020-01-01")},
        {"limit": 0},
    ],
)
def test_bad_filters_fail_before_any_request(
    listening_socket: socket.socket, kwargs: dict[str, object]
) -> None:
    port = listening_socket.getsockname()[1]
    catalog = CMRCatalog(f"http://127.0.0.1:{port}", timeout=0.5, retries=0)
    listening_socket.settimeout(0.2)
    with pytest.raises(ValueError):
        catalog.search("sst", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(ValueError):
        catalog.granules("C1-X", **kwargs)  # type: ignore[arg-type]
    with pytest.raises(TimeoutError):  # nobody connected
        listening_socket.accept()


def test_base_urls() -> None:
    assert resolve_base_url("ops") == "https://cmr.earthdata.nasa.gov/search/"
    assert resolve_base_url("UAT") == "https://cmr.uat.earthdata.nasa.gov/search/"
    assert resolve_base_url("http://127.0.0.1:9000/") == "http://127.0.0.1:9000/search/"
    assert resolve_base_url("https://cmr.example/x/search") == "https://cmr.example/x/search/"
    with pytest.raises(ValueError, match="'ops', 'uat', 'sit' or an http"):
        resolve_base_url("ftp://cmr.example")
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        CMRCatalog("ops", timeout=0)
    with pytest.raises(ValueError, match="page_size must be in 1..2000"):
        CMRCatalog("ops", page_size=5000)


def test_search_results_are_lazy_and_cached() -> None:
    pulled: list[int] = []

    def items() -> Iterator[int]:
        for i in range(10):
            pulled.append(i)
            yield i

    results = SearchResults(items(), count=lambda: 10, limit=3)
    assert pulled == []  # nothing fetched before iterating
    assert results.first() == 0 and pulled == [0]
    assert list(results) == [0, 1, 2] and list(results) == [0, 1, 2]
    assert pulled == [0, 1, 2]  # the limit stops pulling; a second pass uses the cache
    assert results.hits == 10 and results.fetched == 3
