"""CMRCatalog against a real HTTP server on 127.0.0.1 replaying recorded CMR responses."""

from __future__ import annotations

import json
import socket
import time
from datetime import UTC, datetime
from pathlib import Path

import cmr
import pytest

from tests.plugins.cmr_server import LoopbackCMR
from vstore_explorer.catalog.base import MalformedRecordWarning
from vstore_explorer.catalog.cmr import (
    CMRCatalog,
    CMRError,
    CMRTimeoutError,
    CMRUnavailableError,
)

MUR_ID = "C1996881146-POCLOUD"
GAMSSA_ID = "C2036881735-POCLOUD"


def test_search_by_short_name(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url()
    catalog = CMRCatalog(base, timeout=5)
    results = catalog.search(short_name="MUR-JPL-L4-GLOB-v4.1")
    (mur,) = list(results)
    assert (mur.concept_id, mur.version, mur.provider) == (MUR_ID, "4.1", "POCLOUD")
    assert mur.store_kinds == ("kerchunk-json", "kerchunk-parquet")
    assert results.hits == 1 and results.hits_exact
    (first, last) = cmr_server.requests_for(base)  # one page, then the empty page
    assert first.params["short_name"] == ("MUR-JPL-L4-GLOB-v4.1",)
    assert first.returned == (MUR_ID,) and last.returned == ()
    assert last.search_after is not None


def test_hits_come_from_a_page_size_zero_request(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url()
    results = CMRCatalog(base, timeout=5).search(provider="POCLOUD")
    assert cmr_server.requests_for(base) == []  # lazy: nothing requested yet
    assert results.hits == 21  # the recorded POCLOUD page of 20 + GAMSSA
    (request,) = cmr_server.requests_for(base)
    assert request.params["page_size"] == ("0",) and request.returned == ()


def test_paging_returns_each_record_exactly_once(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url()
    catalog = CMRCatalog(base, timeout=5, page_size=3)
    results = catalog.search(provider="POCLOUD", cloud_hosted=True)
    ids = [c.concept_id for c in results]
    assert len(ids) == 21 and len(set(ids)) == 21
    requests = cmr_server.requests_for(base)
    assert len(requests) == 7 + 1  # 21 / 3 pages, then the empty page that ends paging
    assert [len(r.returned) for r in requests] == [3, 3, 3, 3, 3, 3, 3, 0]
    assert requests[0].search_after is None
    assert all(r.search_after for r in requests[1:])  # the cursor is echoed back
    assert all(r.params["page_size"] == ("3",) for r in requests)
    assert all(r.params["cloud_hosted"] == ("true",) for r in requests)
    assert [i for r in requests for i in r.returned] == ids
    assert results.hits == 21 and len(cmr_server.requests_for(base)) == 8  # no extra request


def test_limit_stops_paging(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url()
    results = CMRCatalog(base, timeout=5, page_size=3).search(provider="POCLOUD", limit=5)
    assert len(list(results)) == 5
    assert [len(r.returned) for r in cmr_server.requests_for(base)] == [3, 3]


def test_has_virtual_store_is_filtered_client_side(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url()
    results = CMRCatalog(base, timeout=5, page_size=4).search(
        "sea surface temperature", has_virtual_store=True, limit=1
    )
    assert [c.concept_id for c in results] == [MUR_ID]
    assert not results.hits_exact and results.hits == 5  # CMR's count, before our filter
    requests = cmr_server.requests_for(base)
    assert all("has_virtual_store" not in r.params for r in requests)
    assert requests[0].params["keyword"] == ("sea surface temperature",)
    without = CMRCatalog(base, timeout=5).search("sea surface temperature", has_virtual_store=False)
    assert MUR_ID not in [c.concept_id for c in without] and len(list(without)) == 4


def test_bbox_temporal_and_concept_ids_reach_cmr(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url()
    catalog = CMRCatalog(base, timeout=5)
    results = catalog.search(
        concept_id=[MUR_ID, GAMSSA_ID, "C2183155461-POCLOUD"],
        bbox=(170, 45, -170, 60),  # crosses the antimeridian; CYGNSS stops at 40N
        temporal=("2005-01-01", "2005-12-31"),  # GAMSSA starts in 2008
    )
    assert [c.concept_id for c in results] == [MUR_ID]
    request = cmr_server.requests_for(base)[0]
    assert request.params["bounding_box"] == ("170.0,45.0,-170.0,60.0",)
    assert request.params["temporal"] == ("2005-01-01T00:00:00Z,2005-12-31T23:59:59Z",)
    assert request.params["concept_id"] == (MUR_ID, GAMSSA_ID, "C2183155461-POCLOUD")


def test_granules_of_a_collection(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url()
    catalog = CMRCatalog(base, timeout=5)
    gamssa = catalog.search(concept_id=GAMSSA_ID).first()
    assert gamssa is not None
    (granule,) = list(catalog.granules(gamssa, temporal=("2024-10-11", "2024-10-11")))
    assert granule.concept_id == "G3264876018-POCLOUD"
    assert granule.time_start == datetime(2024, 10, 11, tzinfo=UTC)
    assert granule.size_bytes == 1036156 and len(granule.s3_links) == 1
    assert list(catalog.granules(GAMSSA_ID, temporal=("2025-01-01", None))) == []
    by_name = catalog.granules("Daymet_Daily_V4R1_2129", bbox=(-70, 15, -60, 20), limit=4)
    assert len(list(by_name)) == 4 and by_name.hits == 10
    granule_requests = [r for r in cmr_server.requests_for(base) if r.route == "granules"]
    assert granule_requests[0].params["collection_concept_id"] == (GAMSSA_ID,)
    assert granule_requests[-1].params["short_name"] == ("Daymet_Daily_V4R1_2129",)


def test_cmr_400_carries_cmr_message(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url()
    catalog = CMRCatalog(base, timeout=5)
    query = cmr.CollectionQuery().mode(catalog.base_url).platform("Terra")  # unknown to the server
    with pytest.raises(CMRError) as info:
        list(catalog.run(query))
    assert info.value.status == 400
    assert info.value.errors == ("Parameter [platform] was not recognized.",)
    assert "Parameter [platform] was not recognized." in str(info.value)
    assert not isinstance(info.value, CMRUnavailableError)
    assert len(cmr_server.requests_for(base)) == 1  # a 400 is not retried


def test_503_once_then_success(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url(fault="flaky503", times=1)
    results = CMRCatalog(base, timeout=5, retries=2, backoff=0.05).search(concept_id=MUR_ID)
    assert [c.concept_id for c in results] == [MUR_ID]
    assert [r.status for r in cmr_server.requests_for(base)] == [503, 200, 200]


def test_persistent_5xx_gives_up_naming_the_url(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url(fault="error500")
    catalog = CMRCatalog(base, timeout=5, retries=2, backoff=0.01)
    with pytest.raises(CMRUnavailableError, match="HTTP 500") as info:
        list(catalog.search(concept_id=MUR_ID))
    assert base in str(info.value) and "--catalog" in str(info.value)
    assert info.value.errors == ("An Internal Error has occurred.",)
    assert len(cmr_server.requests_for(base)) == 3


def test_429_is_retried_after_retry_after(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url(fault="ratelimit", times=1, retry_after=1)
    catalog = CMRCatalog(base, timeout=5, retries=1, backoff=0.01)
    started = time.monotonic()
    assert catalog.search(concept_id=MUR_ID).hits == 1
    assert time.monotonic() - started >= 0.95  # waited for Retry-After, not the 0.01 s backoff
    assert [r.status for r in cmr_server.requests_for(base)] == [429, 200]


def test_slow_cmr_times_out_naming_the_url(cmr_server: LoopbackCMR) -> None:
    base = cmr_server.url(fault="slow", delay=1.5)
    catalog = CMRCatalog(base, timeout=0.3, retries=1, backoff=0.01)
    started = time.monotonic()
    with pytest.raises(CMRTimeoutError) as info:
        list(catalog.search(concept_id=MUR_ID))
    assert time.monotonic() - started < 1.4
    message = str(info.value)
    assert catalog.base_url in message and "0.3 s" in message and "2 attempt(s)" in message
    assert "--catalog" in message


def test_unreachable_cmr_names_url_and_suggests_catalog() -> None:
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    catalog = CMRCatalog(f"http://127.0.0.1:{port}", timeout=2, retries=1, backoff=0.01)
    with pytest.raises(CMRUnavailableError) as info:
        _ = catalog.search("sst").hits
    message = str(info.value)
    assert f"http://127.0.0.1:{port}/search/collections.umm_json" in message
    assert "--catalog PATH" in message and "connection error" in message
    assert isinstance(info.value, CMRError) and isinstance(info.value, RuntimeError)


def test_malformed_record_is_skipped_with_a_warning(
    cmr_server: LoopbackCMR, fixtures_dir: Path
) -> None:
    good = json.loads(
        (
            fixtures_dir / "umm" / "records" / "umm-c_C1996881146-POCLOUD_MUR-JPL-L4-GLOB-v4.1.json"
        ).read_text()
    )
    bad = {
        "meta": {"concept-id": "C999-BROKEN", "provider-id": "TEST"},
        "umm": {
            "ShortName": "BROKEN",
            "TemporalExtents": [
                {"RangeDateTimes": [{"BeginningDateTime": "the day after tomorrow"}]}
            ],
        },
    }
    cmr_server.add_dataset("with-bad-record", collections=[bad, good])
    base = cmr_server.url(dataset="with-bad-record")
    with pytest.warns(MalformedRecordWarning, match="C999-BROKEN"):
        results = list(CMRCatalog(base, timeout=5).search())
    assert [c.concept_id for c in results] == [MUR_ID]
