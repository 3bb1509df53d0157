"""UMM-C / UMM-G parsing: every real record in the shared fixtures, and the values that matter."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from vstore_explorer.catalog.base import MalformedRecordError
from vstore_explorer.catalog.records import (
    BoundingBox,
    Collection,
    Granule,
    envelope,
    record_kind,
)

MUR_ID = "C1996881146-POCLOUD"


def _items(path: Path) -> list[dict[str, Any]]:
    data = json.loads(path.read_text())
    return data.get("items", [data])


def _all_records(fixtures: Path, kind: str) -> list[tuple[str, dict[str, Any]]]:
    files = sorted((fixtures / "cmr" / "responses").glob("*.json"))
    files += sorted((fixtures / "umm" / "records").glob("*.json"))
    return [(f.name, item) for f in files for item in _items(f) if record_kind(item) == kind]


@pytest.fixture(scope="module")
def mur_record(fixtures_dir: Path) -> dict[str, Any]:
    path = fixtures_dir / "umm" / "records" / "umm-c_C1996881146-POCLOUD_MUR-JPL-L4-GLOB-v4.1.json"
    return json.loads(path.read_text())


def test_every_real_umm_c_record_parses(fixtures_dir: Path) -> None:
    records = _all_records(fixtures_dir, "collection")
    # 1 GAMSSA + 1 GPM + 1 MUR + 20 POCLOUD page + 6 umm-c records
    assert len(records) == 29
    parsed = [Collection.from_umm(item) for _, item in records]
    assert all(c.short_name and c.title for c in parsed)
    assert all(c.time_start is not None and c.bboxes for c in parsed)
    bare = [c for (name, _), c in zip(records, parsed, strict=True) if c.concept_id is None]
    assert sorted(c.short_name for c in bare) == [
        "AIRX3STD",
        "CDDIS_GNSS_daily_data",
        "CollectionShortName",
    ]


def test_poc_cloud_page_of_20(fixtures_dir: Path) -> None:
    path = (
        fixtures_dir / "cmr" / "responses" / "collections_POCLOUD_cloud_hosted_page20.umm_json.json"
    )
    collections = [Collection.from_umm(item) for item in _items(path)]
    assert len(collections) == 20
    assert len({c.concept_id for c in collections}) == 20
    assert all(c.provider == "POCLOUD" and c.cloud_hosted for c in collections)
    assert all(c.s3 is not None and c.s3.region == "us-west-2" for c in collections)
    swot = next(c for c in collections if c.concept_id == "C2758162622-POCLOUD")
    assert swot.short_name == "SWOT_L2_HR_RiverSP_1.1"
    assert swot.time_start == datetime(2022, 12, 16, tzinfo=UTC)
    assert swot.time_end is None  # EndsAtPresentFlag false but no EndingDateTime: open
    ssh = next(c for c in collections if c.concept_id == "C2270392799-POCLOUD")
    assert ssh.bboxes == (BoundingBox(-180.0, -80.0, 180.0, 80.0),)
    # the POCLOUD page predates the VIRTUAL COLLECTION links: no stores there
    assert not any(c.stores or c.unknown_stores for c in collections)


def test_mur_values(mur_record: dict[str, Any]) -> None:
    c = Collection.from_umm(mur_record)
    assert (c.concept_id, c.short_name, c.version, c.provider) == (
        MUR_ID,
        "MUR-JPL-L4-GLOB-v4.1",
        "4.1",
        "POCLOUD",
    )
    assert (
        c.title
        == c.entry_title
        == ("GHRSST Level 4 MUR Global Foundation Sea Surface Temperature Analysis (v4.1)")
    )
    assert c.time_start == datetime(2002, 5, 31, 21, tzinfo=UTC)
    assert c.time_end is None and c.ongoing
    assert c.bbox == BoundingBox(-180, -90, 180, 90)
    assert c.doi == "10.5067/GHGMR-4FJ04"
    assert c.landing_page == "https://doi.org/10.5067/GHGMR-4FJ04"
    assert c.cloud_hosted is True
    assert c.s3 is not None
    assert c.s3.buckets == ("podaac-ops-cumulus-public", "podaac-ops-cumulus-protected")
    assert c.s3.credentials_url == "https://archive.podaac.earthdata.nasa.gov/s3credentials"
    assert c.revision_id == 59
    assert len(c.related_urls) == 20
    assert any("SEA SURFACE TEMPERATURE" in k for k in c.science_keywords)
    assert c.store_kinds == ("kerchunk-json", "kerchunk-parquet")
    json_store = c.stores[0]
    assert json_store.url.endswith("MUR-JPL-L4-GLOB-v4.1_combined-ref.json")
    assert json_store.requires_earthdata and json_store.provider == "POCLOUD"
    assert json_store.region == "us-west-2"
    assert c.unknown_stores == ()


def test_landing_page_prefers_related_url(fixtures_dir: Path) -> None:
    path = fixtures_dir / "umm" / "records" / "umm-c_C2723754864-GES_DISC_GPM_3IMERGDF.json"
    c = Collection.from_umm(json.loads(path.read_text()))
    assert c.landing_page == "https://disc.gsfc.nasa.gov/datacollection/GPM_3IMERGDF_07.html"
    assert c.time_end is None
    assert c.s3 is not None
    assert c.s3.bucket_prefixes == ("s3://gesdisc-cumulus-prod-protected/GPM_L3/GPM_3IMERGDF.07/",)
    assert c.s3.buckets == ("gesdisc-cumulus-prod-protected",)


def test_bare_umm_has_no_concept_id(fixtures_dir: Path) -> None:
    path = fixtures_dir / "umm" / "records" / "umm-c_GES_DISC_AIRX3STD_006.json"
    c = Collection.from_umm(json.loads(path.read_text()))
    assert c.concept_id is None and c.provider is None
    assert (c.short_name, c.version) == ("AIRX3STD", "006")
    assert c.cloud_hosted is False and c.s3 is None
    # the old UMM 1.2 record has a RelatedUrls entry without URL: it is skipped, not fatal
    cddis = Collection.from_umm(
        json.loads((path.parent / "umm-c_v1.2_CDDIS_example.json").read_text())
    )
    assert cddis.related_urls == ()


def test_round_trip_through_plain_dicts(mur_record: dict[str, Any]) -> None:
    c = Collection.from_umm(mur_record)
    data = json.loads(json.dumps(c.to_dict()))  # JSON-able
    back = Collection.from_dict(data)
    assert back == c
    assert back.umm["ShortName"] == "MUR-JPL-L4-GLOB-v4.1"
    assert data["time_start"] == "2002-05-31T21:00:00Z" and data["time_end"] is None
    assert "umm" not in c.to_dict(include_umm=False)


def test_umm_is_read_only(mur_record: dict[str, Any]) -> None:
    c = Collection.from_umm(mur_record)
    with pytest.raises(TypeError):
        c.umm["ShortName"] = "changed"  # type: ignore[index]
    assert isinstance(c.umm["RelatedUrls"], tuple)
    assert hash(c) == hash(Collection.from_umm(mur_record))


def test_summary_and_str(mur_record: dict[str, Any]) -> None:
    c = Collection.from_umm(mur_record)
    assert str(c) == c.summary()
    assert c.summary().startswith("MUR-JPL-L4-GLOB-v4.1 v4.1 [C1996881146-POCLOUD, POCLOUD] GHRSST")
    assert c.summary().endswith("| 2002-05-31 → present | kerchunk-json, kerchunk-parquet")


@pytest.mark.parametrize(
    ("umm", "message"),
    [
        ({"Version": "1"}, "ShortName is missing"),
        ({"ShortName": 42}, "ShortName is missing"),
        (
            {
                "ShortName": "X",
                "TemporalExtents": [{"RangeDateTimes": [{"BeginningDateTime": "nope"}]}],
            },
            "nope",
        ),
        (
            {
                "ShortName": "X",
                "SpatialExtent": {
                    "HorizontalSpatialDomain": {
                        "Geometry": {"BoundingRectangles": [{"WestBoundingCoordinate": "a"}]}
                    }
                },
            },
            "could not convert",
        ),
        ({"ShortName": "X", "RelatedUrls": "not a list"}, "RelatedUrls"),
    ],
)
def test_malformed_collections_name_the_record(umm: dict[str, Any], message: str) -> None:
    with pytest.raises(MalformedRecordError, match=message) as info:
        Collection.from_umm({"meta": {"concept-id": "C9-BAD"}, "umm": umm})
    assert "C9-BAD" in str(info.value)


def test_every_real_umm_g_record_parses(fixtures_dir: Path) -> None:
    records = _all_records(fixtures_dir, "granule")
    assert len(records) == 21  # 10 Daymet, LAADS, GPM, NLDAS, ATL03, ATL06, 2 GAMSSA, SSH, 3 UMM-G
    granules = [Granule.from_umm(item) for _, item in records]
    assert all(g.granule_ur and g.time_start is not None for g in granules)
    round_trip = [Granule.from_dict(json.loads(json.dumps(g.to_dict()))) for g in granules]
    assert round_trip == granules


def test_gamssa_granule_values(fixtures_dir: Path) -> None:
    path = fixtures_dir / "umm" / "records" / "umm-g_G3264876018-POCLOUD_GAMSSA_20241011.json"
    g = Granule.from_umm(json.loads(path.read_text()))
    assert g.concept_id == "G3264876018-POCLOUD"
    assert g.collection_concept_id == "C2036881735-POCLOUD"
    assert (g.collection_short_name, g.collection_version) == (
        "GAMSSA_28km-ABOM-L4-GLOB-v01",
        "1.0",
    )
    assert (g.time_start, g.time_end) == (
        datetime(2024, 10, 11, tzinfo=UTC),
        datetime(2024, 10, 12, tzinfo=UTC),
    )
    assert g.bbox == BoundingBox(-179.875, -89.875, 179.875, 89.875)
    assert g.size_bytes == 1036053 + 103
    name = "20241011120000-ABOM-L4_GHRSST-SSTfnd-GAMSSA_28km-GLOB-v02.0-fv01.0.nc"
    assert g.https_links == (
        f"https://archive.podaac.earthdata.nasa.gov/podaac-ops-cumulus-protected/"
        f"GAMSSA_28km-ABOM-L4-GLOB-v01/{name}",
    )
    assert g.s3_links == (f"s3://podaac-ops-cumulus-protected/GAMSSA_28km-ABOM-L4-GLOB-v01/{name}",)
    assert g.summary() == (
        f"G3264876018-POCLOUD {name.removesuffix('.nc')} | 2024-10-11T00:00:00Z → "
        "2024-10-12T00:00:00Z | 0.99 MiB | 1 https, 1 s3"
    )


def test_granule_geometries_and_sizes(fixtures_dir: Path) -> None:
    responses = fixtures_dir / "cmr" / "responses"
    laads = Granule.from_umm(_items(responses / "G1593453400-LAADS_umm.json")[0])
    assert laads.bbox == BoundingBox(-60.901471, 56.577721, 19.845911, 80.417613)  # from a GPolygon
    assert laads.size_bytes == 69035465
    gpm = Granule.from_umm(_items(responses / "GPM_3IMERGHH_umm.json")[0])
    assert gpm.size_bytes == round(10.07326889038086 * 1024**2)  # only Size + SizeUnit "MB"
    atl03 = Granule.from_umm(_items(responses / "atl03_umm.json")[0])
    assert atl03.footprint == () and atl03.bbox is None  # orbit only
    assert atl03.size_bytes is None  # SizeUnit "NA": unknown
    assert atl03.collection_entry_title == "ATLAS/ICESat-2 L2A Global Geolocated Photon Data V005"
    ssh = Granule.from_umm(_items(responses / "granules_SSH_ALT_GRIDS_page1.umm_json.json")[0])
    assert len(ssh.footprint) == 2 and ssh.bbox == BoundingBox(-180, -79.917, 180, 79.917)
    daymet = Granule.from_umm(_items(responses / "Daymet_Daily_V4R1_2129_umm.json")[0])
    assert len(daymet.https_links) == 2 and len(daymet.s3_links) == 1
    example = json.loads(
        (fixtures_dir / "umm" / "records" / "umm-g_v1.6_GranuleExample.json").read_text()
    )
    g = Granule.from_umm(example)
    assert g.concept_id is None
    # rectangle + polygon + line + points: 4 boxes; north 88 comes from a point
    assert len(g.footprint) == 4 and g.bbox is not None and g.bbox.north == 88
    # the zip's SizeInBytes (its inner Files are not counted again) + a separate 11 KB file
    assert g.size_bytes == 23552 + 11 * 1024


def test_granule_without_ur_is_malformed() -> None:
    with pytest.raises(MalformedRecordError, match="G1-BAD"):
        Granule.from_umm({"meta": {"concept-id": "G1-BAD"}, "umm": {"CollectionReference": {}}})


def test_record_kind() -> None:
    assert record_kind({"meta": {"concept-type": "granule"}, "umm": {}}) == "granule"
    assert record_kind({"meta": {"concept-id": "C1-X"}, "umm": {}}) == "collection"
    assert record_kind({"GranuleUR": "x"}) == "granule"
    assert record_kind({"ShortName": "x", "Version": "1", "EntryTitle": "t"}) == "collection"
    assert record_kind({"Name": "OPeNDAP", "Type": "OPeNDAP", "Version": "1"}) is None


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ((0, 0, 10, 10), (5, 5, 15, 15), True),
        ((0, 0, 10, 10), (11, 0, 20, 10), False),
        ((0, 0, 10, 10), (0, 11, 10, 20), False),
        ((170, -10, -170, 10), (175, 0, 179, 5), True),  # a crosses the antimeridian
        ((170, -10, -170, 10), (-175, 0, -172, 5), True),
        ((170, -10, -170, 10), (0, 0, 10, 5), False),
        ((170, -10, -170, 10), (160, -5, -160, 5), True),  # both cross
        ((-180, -90, 180, 90), (-1, -1, 1, 1), True),
    ],
)
def test_bbox_intersection(a: tuple, b: tuple, expected: bool) -> None:
    assert BoundingBox(*a).intersects(BoundingBox(*b)) is expected
    assert BoundingBox(*b).intersects(a) is expected


def test_envelopes() -> None:
    assert BoundingBox.around([(170, 0), (-170, 5)]) == BoundingBox(170, 0, -170, 5)
    assert BoundingBox.around([(-10, 0), (10, 5)]) == BoundingBox(-10, 0, 10, 5)
    crossing = envelope([BoundingBox(170, -10, -170, 10), BoundingBox(-100, 0, 100, 20)])
    assert crossing == BoundingBox(170, -10, 100, 20)  # leaves out only 100..170
    assert envelope([]) is None
