"""UMM-C / UMM-G writers: records validate against the real CMR schemas, with the right content.

The schemas are read from the shared fixtures (never copied into the project); UMM-C's ``$ref``s into
UMM-CMN are resolved with a ``referencing.Registry``.
"""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.plugins.umm import assert_valid, schema_errors
from vstore_explorer.build.umm import (
    STORE_FORMATS,
    UMM_JSON_FORMAT,
    cmr_datetime,
    cmr_item,
    collection_umm,
    concept_ids,
    granule_umm,
    store_description,
    store_kind_for_format,
)
from vstore_explorer.catalog.links import StoreLink

GAMSSA_UMM_G = Path("umm") / "records" / "umm-g_G3264876018-POCLOUD_GAMSSA_20241011.json"
REAL_UMM_C = (
    Path("umm") / "records" / "umm-c_C2036881735-POCLOUD_GAMSSA_28km-ABOM-L4-GLOB-v01.json",
    Path("umm") / "records" / "umm-c_C1996881146-POCLOUD_MUR-JPL-L4-GLOB-v4.1.json",
)
SST_KEYWORD = "EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE > SEA SURFACE TEMPERATURE"
MD5 = "ed46e0dae99d7c5a84c4b659ebbdb2f0"  # the real GAMSSA granule's checksum
SHA256 = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08"


# ---------------------------------------------------------------------------------------------
# validator helpers


# ---------------------------------------------------------------------------------------------
# record builders used by several tests


def sst_collection(**overrides) -> dict:
    args = dict(
        short_name="GHRSST_DEMO_L4",
        version="1.0",
        entry_title="Demo GHRSST-like Level 4 daily global SST analysis (0.25 degree)",
        abstract="Synthetic daily sea surface temperature in the layout of GHRSST L4 files.",
        provider="VSTOREDEMO",
        processing_level="4",
        temporal=(datetime(2024, 1, 1), datetime(2024, 12, 31, 23, 59, 59)),
        bbox=(-180.0, -90.0, 180.0, 90.0),
        stores=[StoreLink(url="s3://demo-bucket/sst/store.icechunk/", kind="icechunk")],
        science_keywords=[SST_KEYWORD],
    )
    args.update(overrides)
    return collection_umm(**args)


def sst_granule(**overrides) -> dict:
    args = dict(
        granule_ur="20241011120000-VSTOREDEMO-L4_GHRSST-SSTfnd-DEMO_25km-GLOB-v02.0-fv01.0",
        short_name="GHRSST_DEMO_L4",
        version="1.0",
        begin=datetime(2024, 10, 11),
        end=datetime(2024, 10, 12),
        bbox=(-179.875, -89.875, 179.875, 89.875),
        size_bytes=1_036_053,
        data_url="https://data.example.org/sst/20241011120000-VSTOREDEMO-L4_GHRSST.nc",
    )
    args.update(overrides)
    return granule_umm(**args)


# ---------------------------------------------------------------------------------------------
# UMM-C


EXPECTED_STORE_LINKS = {
    "icechunk": (
        "s3://demo-bucket/sst/store.icechunk/",
        "Icechunk",
        "Not provided",
        "Icechunk repository (virtual Zarr store built with VirtualiZarr), branch main.",
    ),
    "kerchunk-json": (
        "https://data.example.org/sst/refs.json",
        "Kerchunk JSON",
        "application/json",
        "Kerchunk JSON reference file (virtual Zarr store built with VirtualiZarr).",
    ),
    "kerchunk-parquet": (
        "file:///var/cache/vstore/sst/refs.parquet",
        "Kerchunk Parquet",
        "application/octet-stream",
        "Kerchunk Parquet reference store (virtual Zarr store built with VirtualiZarr).",
    ),
    "zarr": ("s3://demo-bucket/sst/store.zarr", "Zarr", "Not provided", "Zarr store."),
}


@pytest.mark.parametrize("kind", sorted(EXPECTED_STORE_LINKS))
def test_collection_links_each_store_kind_and_validates(umm_c_validator, kind):
    url, fmt, mime, description = EXPECTED_STORE_LINKS[kind]
    record = sst_collection(stores=[StoreLink(url=url, kind=kind)])

    assert_valid(umm_c_validator, record)
    assert record["RelatedUrls"][0] == {
        "URL": url,
        "URLContentType": "DistributionURL",
        "Type": "GET DATA",
        "Subtype": "VIRTUAL COLLECTION",
        "Description": description,
        "GetData": {"Format": fmt, "MimeType": mime, "Size": 0, "Unit": "MB"},
    }
    assert store_kind_for_format(fmt) == kind
    assert record["MetadataSpecification"] == {
        "URL": "https://cdn.earthdata.nasa.gov/umm/collection/v1.18.6",
        "Name": "UMM-C",
        "Version": "1.18.6",
    }


def test_collection_with_several_stores_and_full_metadata(umm_c_validator):
    icechunk = StoreLink(
        url="/var/cache/vstore/demo sst/store.icechunk",
        kind="icechunk",
        branch="dev",
        title="Daily SST 2024",
    )
    refs = StoreLink(
        url="https://data.example.org/sst/refs.json",
        kind="kerchunk-json",
        description="Open with fsspec reference:// and engine zarr.",
    )
    record = sst_collection(
        stores=[icechunk, refs],
        store_sizes={icechunk.url: 2_202_009, refs.url: 512},
        variables=[
            {"name": "analysed_sst", "long_name": "analysed sea surface temperature", "units": "K"},
            "analysis_error",
            "sea_ice_fraction",
        ],
        platforms=[("Aqua", ["MODIS", "AMSR-E"]), {"ShortName": "BUOYS", "Type": "In Situ"}],
        doi="https://doi.org/10.5067/GHGAM-4FA1A",
        resolution_deg=0.25,
        average_file_size_bytes=2_350_000,
        metadata_date=datetime(2024, 10, 12, 8, 33, 12, 691000),
        data_center="NASA/JPL/PODAAC",
    )
    assert_valid(umm_c_validator, record)

    stores = [r for r in record["RelatedUrls"] if r.get("Subtype") == "VIRTUAL COLLECTION"]
    assert [s["URL"] for s in stores] == [
        "file:///var/cache/vstore/demo%20sst/store.icechunk",
        "https://data.example.org/sst/refs.json",
    ]
    assert stores[0]["Description"] == (
        "Icechunk repository (virtual Zarr store built with VirtualiZarr), branch dev: "
        "Daily SST 2024."
    )
    assert stores[0]["GetData"] == {
        "Format": "Icechunk",
        "MimeType": "Not provided",
        "Size": 2.1,
        "Unit": "MB",
    }
    assert stores[1]["Description"] == (
        "Kerchunk JSON reference file (virtual Zarr store built with VirtualiZarr). "
        "Open with fsspec reference:// and engine zarr."
    )
    assert stores[1]["GetData"]["Size"] == 0.5 and stores[1]["GetData"]["Unit"] == "KB"
    assert record["DOI"] == {"DOI": "10.5067/GHGAM-4FA1A", "Authority": "https://doi.org"}
    assert record["RelatedUrls"][-1] == {
        "URL": "https://doi.org/10.5067/GHGAM-4FA1A",
        "URLContentType": "CollectionURL",
        "Type": "DATA SET LANDING PAGE",
        "Description": "Landing page of " + record["EntryTitle"],
    }
    assert record["AdditionalAttributes"] == [
        {
            "Name": "data_variables",
            "Description": "Data variables of the granules and virtual stores: analysed_sst "
            "(analysed sea surface temperature, K); analysis_error; sea_ice_fraction",
            "DataType": "STRING",
            "Value": "analysed_sst,analysis_error,sea_ice_fraction",
        }
    ]
    assert record["Platforms"] == [
        {"ShortName": "Aqua", "Instruments": [{"ShortName": "MODIS"}, {"ShortName": "AMSR-E"}]},
        {"ShortName": "BUOYS", "Type": "In Situ"},
    ]
    assert record["ScienceKeywords"] == [
        {
            "Category": "EARTH SCIENCE",
            "Topic": "OCEANS",
            "Term": "OCEAN TEMPERATURE",
            "VariableLevel1": "SEA SURFACE TEMPERATURE",
        }
    ]
    assert record["MetadataDates"][1] == {"Type": "UPDATE", "Date": "2024-10-12T08:33:12.691Z"}
    resolution = record["SpatialExtent"]["HorizontalSpatialDomain"]["ResolutionAndCoordinateSystem"]
    assert resolution["HorizontalDataResolution"]["GriddedResolutions"] == [
        {"XDimension": 0.25, "YDimension": 0.25, "Unit": "Decimal Degrees"}
    ]
    assert record["ArchiveAndDistributionInformation"]["FileDistributionInformation"] == [
        {
            "Format": "netCDF-4",
            "FormatType": "Native",
            "AverageFileSize": 2.241,
            "AverageFileSizeUnit": "MB",
        }
    ]
    assert record["DataCenters"][0]["ShortName"] == "NASA/JPL/PODAAC"
    json.dumps(record)  # plain JSON types only


def test_ongoing_and_completed_collections(umm_c_validator):
    ongoing = sst_collection(temporal=(datetime(2002, 5, 31, 21), None))
    assert_valid(umm_c_validator, ongoing)
    assert ongoing["TemporalExtents"] == [
        {
            "RangeDateTimes": [{"BeginningDateTime": "2002-05-31T21:00:00.000Z"}],
            "EndsAtPresentFlag": True,
        }
    ]
    assert ongoing["CollectionProgress"] == "ACTIVE"

    done = sst_collection()
    assert_valid(umm_c_validator, done)
    assert done["TemporalExtents"] == [
        {
            "RangeDateTimes": [
                {
                    "BeginningDateTime": "2024-01-01T00:00:00.000Z",
                    "EndingDateTime": "2024-12-31T23:59:59.000Z",
                }
            ]
        }
    ]
    assert done["CollectionProgress"] == "COMPLETE"


def test_doi_not_applicable_for_demo_data(umm_c_validator):
    record = sst_collection(doi_explanation="Synthetic demonstration data: no DOI.")
    assert_valid(umm_c_validator, record)
    assert record["DOI"] == {
        "MissingReason": "Not Applicable",
        "Explanation": "Synthetic demonstration data: no DOI.",
    }
    assert not any(r["Type"] == "DATA SET LANDING PAGE" for r in record["RelatedUrls"])

    with_page = sst_collection(landing_page="https://example.org/vstore-explorer/demo")
    assert_valid(umm_c_validator, with_page)
    assert with_page["RelatedUrls"][-1]["URL"] == "https://example.org/vstore-explorer/demo"
    assert with_page["RelatedUrls"][-1]["Type"] == "DATA SET LANDING PAGE"


def test_antimeridian_bbox_is_one_rectangle_with_west_greater_than_east(
    umm_c_validator, umm_g_validator
):
    bbox = (170.0, -10.123456789, -170.0, 10.0)
    expected = {
        "WestBoundingCoordinate": 170.0,
        "NorthBoundingCoordinate": 10.0,
        "EastBoundingCoordinate": -170.0,
        "SouthBoundingCoordinate": -10.123457,
    }
    collection = sst_collection(bbox=bbox, granule_spatial_representation="GEODETIC")
    assert_valid(umm_c_validator, collection)
    geometry = collection["SpatialExtent"]["HorizontalSpatialDomain"]["Geometry"]
    assert geometry == {"CoordinateSystem": "GEODETIC", "BoundingRectangles": [expected]}

    granule = sst_granule(bbox=np.array(bbox))
    assert_valid(umm_g_validator, granule)
    assert granule["SpatialExtent"]["HorizontalSpatialDomain"]["Geometry"] == {
        "BoundingRectangles": [expected]
    }


def test_store_urls_must_be_absolute():
    link = sst_collection(stores=[StoreLink(url="/data/a b/refs.json", kind="kerchunk-json")])
    assert link["RelatedUrls"][0]["URL"] == "file:///data/a%20b/refs.json"
    with pytest.raises(ValueError, match="relative path"):
        sst_collection(stores=[StoreLink(url="stores/sst.icechunk", kind="icechunk")])
    with pytest.raises(ValueError, match="unsupported scheme 'ftp'"):
        sst_collection(stores=[StoreLink(url="ftp://host/refs.json", kind="kerchunk-json")])
    with pytest.raises(ValueError, match="same URL more than once"):
        link = StoreLink(url="s3://b/x.json", kind="kerchunk-json")
        sst_collection(stores=[link, link])


def test_parsed_description_is_reused_verbatim():
    first = StoreLink(url="s3://b/sst/", kind="icechunk", branch="main")
    text = store_description(first)
    reparsed = StoreLink(url="s3://b/sst/", kind="icechunk", description=text, title="x")
    assert store_description(reparsed) == text
    for kind, spec in STORE_FORMATS.items():
        assert spec.label in store_description(StoreLink(url="s3://b/s", kind=kind))


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"short_name": ""}, "short_name must be a non-empty string"),
        ({"short_name": "   "}, "short_name must be a non-empty string"),
        ({"short_name": "X" * 86}, "at most 85"),
        ({"provider": "vstore-demo"}, "not a CMR provider id"),
        (
            {"temporal": (datetime(2024, 2, 1), datetime(2024, 1, 1))},
            r"temporal begin 2024-02-01T00:00:00.000Z is after end 2024-01-01T00:00:00.000Z",
        ),
        ({"temporal": ("yesterday", None)}, "not an ISO 8601 time"),
        ({"bbox": (-180, 10, 180, -10)}, "south = 10.0 is greater than north = -10.0"),
        ({"bbox": (-190, -90, 180, 90)}, "west = -190.0 is outside -180..180"),
        ({"bbox": (0, -95, 10, 0)}, "south = -95.0 is outside -90..90"),
        ({"bbox": (0, 0, 10)}, r"must be \(west, south, east, north\)"),
        ({"bbox": (0, float("nan"), 10, 5)}, "must be finite"),
        ({"bbox": "0,0,10,10"}, r"must be \(west, south, east, north\)"),
        (
            {"stores": [StoreLink(url="s3://b/x", kind="unknown")]},
            "kind 'unknown', which cannot be written to a UMM record",
        ),
        ({"stores": []}, "stores must be a non-empty sequence"),
        ({"science_keywords": []}, "science_keywords must be a non-empty sequence"),
        ({"science_keywords": ["EARTH SCIENCE > OCEANS"]}, "needs 3 to 7 levels"),
        ({"doi": "GHGAM-4FA1A"}, "is not a DOI"),
        ({"granule_spatial_representation": "ORBIT"}, "ORBIT needs orbit parameters"),
        ({"variables": ["sst", "sst"]}, "listed more than once"),
        ({"collection_progress": "IN WORK"}, "collection_progress 'IN WORK' is not one of"),
    ],
)
def test_collection_invalid_input_raises_clear_value_error(overrides, message):
    with pytest.raises(ValueError, match=message):
        sst_collection(**overrides)


# ---------------------------------------------------------------------------------------------
# UMM-G


def test_granule_without_checksum(umm_g_validator):
    record = sst_granule()
    assert_valid(umm_g_validator, record)
    name = "20241011120000-VSTOREDEMO-L4_GHRSST.nc"
    assert record["DataGranule"] == {
        "ArchiveAndDistributionInformation": [
            {
                "Name": name,
                "SizeInBytes": 1_036_053,
                "Size": 0.988057,
                "SizeUnit": "MB",
                "Format": "netCDF-4",
                "MimeType": "application/x-netcdf",
            }
        ],
        "DayNightFlag": "Unspecified",
        "ProductionDateTime": "2024-10-12T00:00:00.000Z",
    }
    assert record["TemporalExtent"] == {
        "RangeDateTime": {
            "BeginningDateTime": "2024-10-11T00:00:00.000Z",
            "EndingDateTime": "2024-10-12T00:00:00.000Z",
        }
    }
    assert record["RelatedUrls"] == [
        {
            "URL": "https://data.example.org/sst/" + name,
            "Type": "GET DATA",
            "Description": f"Download {name}",
            "Format": "netCDF-4",
            "MimeType": "application/x-netcdf",
        }
    ]
    assert record["CollectionReference"] == {"ShortName": "GHRSST_DEMO_L4", "Version": "1.0"}
    assert record["ProviderDates"] == [
        {"Type": "Insert", "Date": "2024-10-12T00:00:00.000Z"},
        {"Type": "Update", "Date": "2024-10-12T00:00:00.000Z"},
    ]
    assert record["MetadataSpecification"]["Version"] == "1.6.7"


@pytest.mark.parametrize(("checksum", "algorithm"), [(MD5, "MD5"), (SHA256.upper(), "SHA-256")])
def test_granule_with_checksum_and_several_links(umm_g_validator, checksum, algorithm):
    record = sst_granule(
        checksum=checksum,
        data_url=[
            "/var/cache/vstore/granules/sst_20241011.nc",
            "s3://demo-bucket/granules/sst_20241011.nc",
        ],
        production_datetime=datetime(2024, 10, 12, 12, tzinfo=UTC),
        size_bytes=np.int64(2_350_000),
    )
    assert_valid(umm_g_validator, record)
    info = record["DataGranule"]["ArchiveAndDistributionInformation"][0]
    assert info["Checksum"] == {"Value": checksum.lower(), "Algorithm": algorithm}
    assert info["Name"] == "sst_20241011.nc" and info["SizeInBytes"] == 2_350_000
    assert [(r["Type"], r["URL"]) for r in record["RelatedUrls"]] == [
        ("GET DATA", "file:///var/cache/vstore/granules/sst_20241011.nc"),
        ("GET DATA VIA DIRECT ACCESS", "s3://demo-bucket/granules/sst_20241011.nc"),
    ]
    assert record["DataGranule"]["ProductionDateTime"] == "2024-10-12T12:00:00.000Z"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"begin": datetime(2024, 10, 13)}, "granule time begin .* is after end"),
        ({"granule_ur": ""}, "granule_ur must be a non-empty string"),
        ({"short_name": ""}, "short_name must be a non-empty string"),
        ({"bbox": (10, 0, 20, 95)}, "north = 95.0 is outside -90..90"),
        ({"size_bytes": -1}, "size_bytes must be >= 0"),
        ({"size_bytes": 1.5}, "integer number of bytes"),
        ({"checksum": "abc123"}, "6 hex digits, which matches no known algorithm"),
        ({"checksum": MD5, "checksum_algorithm": "SHA-256"}, "SHA-256 checksum has 64 hex"),
        ({"checksum": "zz" * 16}, "hexadecimal digest"),
        ({"checksum_algorithm": "MD5"}, "without a checksum value"),
        ({"data_url": []}, "at least one URL"),
        ({"data_url": "granules/a.nc"}, "relative path"),
        ({"mime_type": "application/x-netcdf4"}, "not allowed by UMM-G"),
    ],
)
def test_granule_invalid_input_raises_clear_value_error(overrides, message):
    with pytest.raises(ValueError, match=message):
        sst_granule(**overrides)


@settings(max_examples=60, deadline=None)
@given(
    west=st.floats(-180, 180),
    east=st.floats(-180, 180),
    lats=st.tuples(st.floats(-90, 90), st.floats(-90, 90)).map(sorted),
    start=st.datetimes(min_value=datetime(1970, 1, 1), max_value=datetime(2100, 1, 1)),
    hours=st.integers(0, 24 * 366),
)
def test_any_valid_box_and_time_range_gives_a_valid_granule(
    umm_g_validator, west, east, lats, start, hours
):
    record = sst_granule(
        bbox=(west, lats[0], east, lats[1]), begin=start, end=start + timedelta(hours=hours)
    )
    assert not schema_errors(umm_g_validator, record)
    rect = record["SpatialExtent"]["HorizontalSpatialDomain"]["Geometry"]["BoundingRectangles"][0]
    assert rect["SouthBoundingCoordinate"] <= rect["NorthBoundingCoordinate"]


# ---------------------------------------------------------------------------------------------
# datetimes, CMR items, concept ids


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (datetime(2024, 10, 11), "2024-10-11T00:00:00.000Z"),
        (datetime(2024, 10, 11, 12, 30, 5, 123999), "2024-10-11T12:30:05.123Z"),
        (
            datetime(2024, 10, 11, 2, tzinfo=timezone(timedelta(hours=2))),
            "2024-10-11T00:00:00.000Z",
        ),
        (date(2016, 1, 1), "2016-01-01T00:00:00.000Z"),
        (np.datetime64("2016-01-01T03:00:00.000000000"), "2016-01-01T03:00:00.000Z"),
        ("2024-10-12T08:33:12.691Z", "2024-10-12T08:33:12.691Z"),
    ],
)
def test_cmr_datetime(value, expected):
    assert cmr_datetime(value) == expected


def test_cmr_item_wraps_like_cmr_search_results(umm_c_validator, umm_g_validator):
    ids = concept_ids("VSTOREDEMO")
    collection = sst_collection(metadata_date=datetime(2024, 10, 12))
    cid = ids.collection("GHRSST_DEMO_L4", "1.0")
    item = cmr_item(collection, concept_id=cid, provider="VSTOREDEMO", revision_id=3)
    assert item["meta"] == {
        "concept-type": "collection",
        "concept-id": cid,
        "revision-id": 3,
        "native-id": "GHRSST_DEMO_L4___1.0",
        "provider-id": "VSTOREDEMO",
        "format": UMM_JSON_FORMAT,
        "revision-date": "2024-10-12T00:00:00.000Z",
    }
    assert item["umm"] == collection
    item["umm"]["RelatedUrls"][0]["URL"] = "changed"
    assert collection["RelatedUrls"][0]["URL"] != "changed"  # a deep copy
    assert_valid(
        umm_c_validator, cmr_item(collection, concept_id=cid, provider="VSTOREDEMO")["umm"]
    )

    granule = sst_granule()
    gid = ids.granule("GHRSST_DEMO_L4", 0, "1.0")
    gitem = cmr_item(granule, concept_id=gid, provider="VSTOREDEMO", collection_concept_id=cid)
    assert gitem["meta"]["concept-type"] == "granule"
    assert gitem["meta"]["native-id"] == granule["GranuleUR"]
    assert gitem["meta"]["collection-concept-id"] == cid
    assert gitem["meta"]["revision-date"] == "2024-10-12T00:00:00.000Z"
    assert_valid(umm_g_validator, gitem["umm"])
    assert (
        "revision-date"
        not in cmr_item(sst_collection(), concept_id=cid, provider="VSTOREDEMO")["meta"]
    )

    with pytest.raises(ValueError, match="does not fit a granule of provider VSTOREDEMO"):
        cmr_item(granule, concept_id=cid, provider="VSTOREDEMO")
    with pytest.raises(ValueError, match="does not fit a collection"):
        cmr_item(collection, concept_id="C1-OTHER", provider="VSTOREDEMO")
    with pytest.raises(ValueError, match="revision_id must be an integer >= 1"):
        cmr_item(collection, concept_id=cid, provider="VSTOREDEMO", revision_id=0)


def test_concept_ids_are_deterministic_and_distinct():
    ids = concept_ids("VSTOREDEMO")
    # Fixed values: ids must not change between rebuilds, processes or Python versions.
    assert ids.collection("GHRSST_DEMO_L4", "1.0") == "C9401188280-VSTOREDEMO"
    assert ids.granule("GHRSST_DEMO_L4", 41, "1.0") == "G100117000041-VSTOREDEMO"
    assert ids.granule("GHRSST_DEMO_L4", "20241011-sst", "1.0") == "G523572973739-VSTOREDEMO"

    names = ["GHRSST_DEMO_L4", "GLDAS_DEMO_3H", "AIRS_DEMO_L3"]
    collections = {ids.collection(n, "1") for n in names}
    assert len(collections) == 3
    assert all(c.startswith("C") and len(c.split("-")[0]) == 11 for c in collections)
    granules = [ids.granule("GLDAS_DEMO_3H", i, "1") for i in range(500)]
    assert len(set(granules)) == 500 and granules == sorted(granules)
    assert concept_ids("VSTOREDEMO") == ids  # a frozen value, no hidden counter
    with pytest.raises(ValueError, match="not a CMR provider id"):
        concept_ids("way-too-long-provider")
    with pytest.raises(ValueError, match="granule index 1000000 must be in 0..999999"):
        ids.granule("X", 1_000_000)


def test_granule_with_open_end_and_variables_as_objects(umm_c_validator, umm_g_validator):
    granule = sst_granule(begin="2016-01-01T03:00:00Z", end=None)
    assert_valid(umm_g_validator, granule)
    assert granule["TemporalExtent"] == {
        "RangeDateTime": {"BeginningDateTime": "2016-01-01T03:00:00.000Z"}
    }
    assert granule["DataGranule"]["ProductionDateTime"] == "2016-01-01T03:00:00.000Z"

    @dataclass(frozen=True)
    class Variable:
        name: str
        long_name: str
        units: str

    record = sst_collection(variables=[Variable("Tair_f_inst", "Air temperature", "K")])
    assert_valid(umm_c_validator, record)
    assert record["AdditionalAttributes"][0]["Description"].endswith(
        "Tair_f_inst (Air temperature, K)"
    )


def test_writers_are_pure():
    sizes = {"s3://demo-bucket/sst/store.icechunk/": 10}
    before = copy.deepcopy(sizes)
    first = sst_collection(store_sizes=sizes)
    assert sst_collection(store_sizes=sizes) == first
    assert sizes == before
    assert json.loads(json.dumps(first)) == first


# ---------------------------------------------------------------------------------------------
# sanity: the validators accept real CMR records (apart from their older MetadataSpecification)


def test_real_gamssa_granule_record_validates(fixtures_dir, umm_g_validator):
    record = json.loads((fixtures_dir / GAMSSA_UMM_G).read_text())["umm"]
    # The real record declares UMM-G 1.6.6; the 1.6.7 schema only pins the spec version.
    assert schema_errors(umm_g_validator, record) == [
        "MetadataSpecification/URL: 'https://cdn.earthdata.nasa.gov/umm/granule/v1.6.6' is not "
        "one of ['https://cdn.earthdata.nasa.gov/umm/granule/v1.6.7']",
        "MetadataSpecification/Version: '1.6.6' is not one of ['1.6.7']",
    ]
    record["MetadataSpecification"] = sst_granule()["MetadataSpecification"]
    assert_valid(umm_g_validator, record)
    # format checking is on: a date without a time is not a date-time
    dated = copy.deepcopy(record)
    dated["DataGranule"]["ProductionDateTime"] = "2024-10-12"
    assert schema_errors(umm_g_validator, dated) == [
        "DataGranule/ProductionDateTime: '2024-10-12' is not a 'date-time'"
    ]
    broken = copy.deepcopy(record)
    del broken["DataGranule"]["ProductionDateTime"]
    assert schema_errors(umm_g_validator, broken) == [
        "DataGranule: 'ProductionDateTime' is a required property"
    ]


@pytest.mark.parametrize("path", REAL_UMM_C, ids=lambda p: p.name.split("_")[1])
def test_real_pocloud_collection_records_validate(fixtures_dir, umm_c_validator, path):
    record = json.loads((fixtures_dir / path).read_text())
    record = record.get("umm", record)
    record["MetadataSpecification"] = sst_collection()["MetadataSpecification"]
    assert_valid(umm_c_validator, record)
