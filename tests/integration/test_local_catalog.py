"""LocalCatalog over the real fixture records and small records written into tmp_path."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vstore_explorer.catalog.base import MalformedRecordWarning
from vstore_explorer.catalog.local import LocalCatalog

MUR_ID = "C1996881146-POCLOUD"
GAMSSA_ID = "C2036881735-POCLOUD"


@pytest.fixture(scope="module")
def fixture_catalog(fixtures_dir: Path) -> LocalCatalog:
    return LocalCatalog(fixtures_dir)


def _collection(
    short_name: str,
    *,
    bbox: tuple[float, float, float, float] = (-180, -90, 180, 90),
    start: str = "2020-01-01T00:00:00Z",
    end: str | None = None,
    related: list[dict[str, Any]] | None = None,
    concept_id: str | None = None,
    abstract: str = "",
    keywords: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    rng = {"BeginningDateTime": start} | ({"EndingDateTime": end} if end else {})
    umm = {
        "ShortName": short_name,
        "Version": "1",
        "EntryTitle": f"{short_name} demo collection",
        "Abstract": abstract,
        "ScienceKeywords": keywords or [],
        "TemporalExtents": [{"RangeDateTimes": [rng], "EndsAtPresentFlag": end is None}],
        "SpatialExtent": {
            "HorizontalSpatialDomain": {
                "Geometry": {
                    "CoordinateSystem": "CARTESIAN",
                    "BoundingRectangles": [
                        dict(
                            zip(
                                (
                                    "WestBoundingCoordinate",
                                    "SouthBoundingCoordinate",
                                    "EastBoundingCoordinate",
                                    "NorthBoundingCoordinate",
                                ),
                                bbox,
                                strict=True,
                            )
                        )
                    ],
                }
            }
        },
        "RelatedUrls": related or [],
    }
    meta = {
        "concept-id": concept_id or f"C{abs(hash(short_name)) % 10**8}-DEMO",
        "provider-id": "DEMO",
        "concept-type": "collection",
        "revision-id": 1,
    }
    return {"meta": meta, "umm": umm}


def _granule(ur: str, short_name: str, start: str, end: str, link: str) -> dict[str, Any]:
    return {
        "GranuleUR": ur,
        "CollectionReference": {"ShortName": short_name, "Version": "1"},
        "TemporalExtent": {"RangeDateTime": {"BeginningDateTime": start, "EndingDateTime": end}},
        "SpatialExtent": {
            "HorizontalSpatialDomain": {
                "Geometry": {
                    "BoundingRectangles": [
                        {
                            "WestBoundingCoordinate": 0,
                            "SouthBoundingCoordinate": 0,
                            "EastBoundingCoordinate": 10,
                            "NorthBoundingCoordinate": 10,
                        }
                    ]
                }
            }
        },
        "DataGranule": {"ArchiveAndDistributionInformation": [{"Name": ur, "SizeInBytes": 1000}]},
        "RelatedUrls": [{"URL": link, "Type": "GET DATA"}],
    }


def _write(path: Path, data: Any) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data))
    return path


@pytest.fixture
def demo_dir(tmp_path: Path) -> Path:
    """A demo-shaped catalog: records/collections/*.json and records/granules/<name>/*.json."""
    records = tmp_path / "demo" / "records"
    icechunk_link = {
        "URL": "../../stores/sst.icechunk",
        "Type": "GET DATA",
        "Subtype": "VIRTUAL COLLECTION",
        "Format": "Zarr",
        "Description": "Icechunk repository of the demo SST granules.",
    }
    _write(
        records / "collections" / "sst.json",
        _collection(
            "DEMO_SST",
            bbox=(-30, -60, 60, 70),
            end="2020-12-31T23:59:59Z",
            concept_id="C1-DEMO",
            related=[icechunk_link],
            abstract="Daily sea surface temperature, made up.",
            keywords=[
                {"Category": "EARTH SCIENCE", "Topic": "OCEANS", "Term": "OCEAN TEMPERATURE"}
            ],
        ),
    )
    _write(
        records / "collections" / "pacific.json",
        _collection(
            "DEMO_PACIFIC",
            bbox=(150, -20, -120, 20),
            start="2021-01-01T00:00:00Z",
            concept_id="C2-DEMO",
            related=[
                {"URL": "refs/pacific.json", "Type": "GET DATA", "Subtype": "VIRTUAL COLLECTION"}
            ],
            abstract="Wind speed over the Pacific (crosses the antimeridian).",
        ),
    )
    _write(
        records / "collections" / "rain.json",
        _collection(
            "DEMO_RAIN",
            bbox=(-10, 35, 30, 60),
            start="2019-06-01T00:00:00Z",
            end="2019-08-31T00:00:00Z",
            concept_id="C3-DEMO",
            abstract="Precipitation over Europe; no virtual store.",
        ),
    )
    for day in (3, 1, 2):
        _write(
            records / "granules" / "DEMO_SST" / f"g{day}.json",
            _granule(
                f"sst_2020010{day}",
                "DEMO_SST",
                f"2020-01-0{day}T00:00:00Z",
                f"2020-01-0{day}T23:59:59Z",
                f"../../../granules/sst_2020010{day}.nc",
            ),
        )
    return records


def test_fixture_records_parse_and_dedupe(fixture_catalog: LocalCatalog) -> None:
    collections = fixture_catalog.collections
    ids = [c.concept_id for c in collections if c.concept_id]
    assert len(ids) == len(set(ids)) == 22  # MUR, GAMSSA and GPM appear 2-3 times in the files
    mur = next(c for c in collections if c.concept_id == MUR_ID)
    assert mur.revision_id == 59 and mur.store_kinds == ("kerchunk-json", "kerchunk-parquet")
    assert len(collections) == 25  # 22 with concept ids + 3 bare UMM-C records


def test_keyword_matches_title_abstract_and_keywords(fixture_catalog: LocalCatalog) -> None:
    results = fixture_catalog.search("Sea Surface Temperature")
    assert sorted(c.short_name for c in results) == [
        "AIRX3STD",
        "AMSR2-REMSS-L2P-v8.2",
        "AMSR2-REMSS-L2P_RT-v8.2",
        "CMC0.1deg-CMC-L4-GLOB-v3.0",
        "GAMSSA_28km-ABOM-L4-GLOB-v01",
        "MUR-JPL-L4-GLOB-v4.1",
    ]
    assert results.hits == 6 and results.hits_exact
    assert [c.short_name for c in fixture_catalog.search("CYGNSS_L1_V?.1")] == [
        "CYGNSS_L1_V2.1",
        "CYGNSS_L1_V3.1",
    ]
    assert list(fixture_catalog.search("no-such-word-anywhere")) == []


def test_filters_on_real_records(fixture_catalog: LocalCatalog) -> None:
    assert [c.concept_id for c in fixture_catalog.search(has_virtual_store=True)] == [MUR_ID]
    assert len(list(fixture_catalog.search(provider="pocloud"))) == 21
    assert [c.provider for c in fixture_catalog.search(provider="GES_DISC")] == ["GES_DISC"]
    not_cloud = fixture_catalog.search(cloud_hosted=False)
    assert sorted(c.short_name for c in not_cloud) == [
        "AIRX3STD",
        "CDDIS_GNSS_daily_data",
        "CollectionShortName",
    ]
    both = fixture_catalog.search(concept_id=[MUR_ID, GAMSSA_ID])
    assert sorted(c.concept_id for c in both) == [MUR_ID, GAMSSA_ID]
    assert [c.concept_id for c in fixture_catalog.search(short_name="mur-jpl-l4-glob-v4.1")] == [
        MUR_ID
    ]
    # CYGNSS spans 40S-40N: a box at 60-70N misses it; GAMSSA starts in 2008
    north = fixture_catalog.search("cygnss", bbox=(0, 60, 10, 70))
    assert list(north) == []
    old = fixture_catalog.search("GHRSST Level 4", temporal=(None, "2005-01-01"))
    assert [c.short_name for c in old] == ["MUR-JPL-L4-GLOB-v4.1"]
    limited = fixture_catalog.search(provider="POCLOUD", limit=4)
    assert len(list(limited)) == 4 and limited.hits == 21


def test_granules_by_collection_reference(fixture_catalog: LocalCatalog) -> None:
    (granule,) = list(fixture_catalog.granules(GAMSSA_ID))
    assert granule.concept_id == "G3264876018-POCLOUD"
    daymet = fixture_catalog.granules("Daymet_Daily_V4R1_2129", temporal=("1951-06-01", None))
    assert [g.granule_ur for g in daymet] == [  # same start time: then by granule UR
        "Daymet_Daily_V4R1.daymet_v4_daily_pr_prcp_1951.nc",
        "Daymet_Daily_V4R1.daymet_v4_daily_pr_tmax_1951.nc",
        "Daymet_Daily_V4R1.daymet_v4_daily_pr_vp_1951.nc",
    ]
    test_collection = next(
        c for c in fixture_catalog.collections if c.short_name == "CollectionShortName"
    )
    by_ref = [g.granule_ur for g in fixture_catalog.granules(test_collection)]
    assert by_ref == ["Unique_Granule_UR_v1.6", "Unique_Granule_UR_v1.6"]  # ShortName + Version 1.6


def test_demo_shaped_folder(demo_dir: Path) -> None:
    catalog = LocalCatalog(demo_dir)
    sst = catalog.search("sea surface temperature").first()
    assert sst is not None and sst.short_name == "DEMO_SST"
    (store,) = sst.stores
    assert store.kind == "icechunk"
    assert store.url == (demo_dir.parent / "stores" / "sst.icechunk").resolve().as_uri()
    assert store.anonymous is True and store.requires_earthdata is False
    pacific = catalog.search(short_name="DEMO_PACIFIC").first()
    assert pacific is not None
    assert pacific.stores[0].url == (demo_dir / "collections" / "refs" / "pacific.json").as_uri()
    assert pacific.stores[0].kind == "kerchunk-json"
    granules = list(catalog.granules(sst))
    assert [g.granule_ur for g in granules] == ["sst_20200101", "sst_20200102", "sst_20200103"]
    assert granules[0].file_links == (
        (demo_dir.parent / "granules" / "sst_20200101.nc").resolve().as_uri(),
    )
    assert [
        g.granule_ur for g in catalog.granules("C1-DEMO", temporal=("2020-01-02", "2020-01-02"))
    ] == ["sst_20200102"]
    assert list(catalog.granules(sst, bbox=(20, 20, 30, 30))) == []


@pytest.mark.parametrize(
    ("bbox", "expected"),
    [
        ((170, -5, 175, 5), ["DEMO_PACIFIC"]),  # inside the antimeridian-crossing box
        ((-130, -5, -125, 5), ["DEMO_PACIFIC"]),  # on its other side
        ((175, -5, -175, 5), ["DEMO_PACIFIC"]),  # the query crosses too
        ((0, 40, 10, 50), ["DEMO_RAIN", "DEMO_SST"]),
        ((100, -80, 120, -70), []),
    ],
)
def test_bbox_intersection_incl_antimeridian(
    demo_dir: Path, bbox: tuple[float, ...], expected: list[str]
) -> None:
    found = LocalCatalog(demo_dir).search(bbox=bbox)
    assert sorted(c.short_name for c in found) == expected


@pytest.mark.parametrize(
    ("temporal", "expected"),
    [
        (("2019-07-01", "2019-07-02"), ["DEMO_RAIN"]),
        (("2020-06-01", None), ["DEMO_PACIFIC", "DEMO_SST"]),  # PACIFIC is ongoing
        ((None, "2019-05-31"), []),
        (("2019-08-31", "2019-08-31"), ["DEMO_RAIN"]),  # touching its last day
        (("2030-01-01", None), ["DEMO_PACIFIC"]),
    ],
)
def test_temporal_overlap(demo_dir: Path, temporal: tuple[Any, Any], expected: list[str]) -> None:
    found = LocalCatalog(demo_dir).search(temporal=temporal)
    assert sorted(c.short_name for c in found) == expected


def test_single_json_file_and_result_pages(fixtures_dir: Path) -> None:
    page = (
        fixtures_dir / "cmr" / "responses" / "collections_POCLOUD_cloud_hosted_page20.umm_json.json"
    )
    catalog = LocalCatalog(page)
    assert catalog.search().hits == 20
    bare = LocalCatalog(fixtures_dir / "umm" / "records" / "umm-c_GES_DISC_AIRX3STD_006.json")
    (airs,) = list(bare.search())
    assert airs.short_name == "AIRX3STD" and airs.concept_id is None


def test_malformed_records_and_files_are_skipped_with_warnings(tmp_path: Path) -> None:
    good = _collection("GOOD", concept_id="C10-DEMO")
    bad = _collection("BAD", concept_id="C11-DEMO")
    bad["umm"]["SpatialExtent"]["HorizontalSpatialDomain"]["Geometry"]["BoundingRectangles"][0][
        "NorthBoundingCoordinate"
    ] = "north-ish"
    _write(tmp_path / "page.json", {"hits": 2, "items": [bad, good]})
    (tmp_path / "broken.json").write_text("{ not json")
    with pytest.warns(MalformedRecordWarning) as caught:
        results = list(LocalCatalog(tmp_path).search())
    messages = [str(w.message) for w in caught]
    assert any("C11-DEMO" in m and "north-ish" in m for m in messages)
    assert any("broken.json" in m for m in messages)
    assert [c.short_name for c in results] == ["GOOD"]


def test_errors_are_clear(tmp_path: Path, fixture_catalog: LocalCatalog) -> None:
    with pytest.raises(FileNotFoundError, match="does not exist"):
        LocalCatalog(tmp_path / "nowhere")
    with pytest.raises(ValueError, match="bbox south"):
        fixture_catalog.search(bbox=(0, 10, 10, 0))
    with pytest.raises(ValueError, match="collection must be"):
        fixture_catalog.granules("  ")
