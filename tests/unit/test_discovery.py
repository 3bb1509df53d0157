"""Virtual store discovery from UMM-C RelatedUrls: real records and hand-made variants of real shapes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from vstore_explorer.catalog.discovery import (
    OverrideError,
    discover_stores,
    infer_kind,
    is_virtual_store_url,
    split_scheme_prefix,
)
from vstore_explorer.catalog.records import Collection

PODAAC_DDI = {
    "Region": "us-west-2",
    "S3BucketAndObjectPrefixNames": [
        "podaac-ops-cumulus-protected/MUR-JPL-L4-GLOB-v4.1/",
        "podaac-ops-cumulus-public/MUR-JPL-L4-GLOB-v4.1/",
    ],
    "S3CredentialsAPIEndpoint": "https://archive.podaac.earthdata.nasa.gov/s3credentials",
}
MUR_HTTPS_JSON = (
    "https://archive.podaac.earthdata.nasa.gov/podaac-ops-cumulus-public/virtual_collections/"
    "MUR-JPL-L4-GLOB-v4.1/MUR-JPL-L4-GLOB-v4.1_virtual_https.json"
)


def _item(*related: dict[str, Any], ddi: dict[str, Any] | None = None, provider: str = "POCLOUD"):
    umm: dict[str, Any] = {"ShortName": "X", "Version": "1", "RelatedUrls": list(related)}
    if ddi:
        umm["DirectDistributionInformation"] = ddi
    return {"meta": {"concept-id": f"C1-{provider}", "provider-id": provider}, "umm": umm}


def _link(url: str, subtype: str = "VIRTUAL COLLECTION", **extra: str) -> dict[str, Any]:
    return {
        "URL": url,
        "Type": "GET DATA",
        "Subtype": subtype,
        "URLContentType": "DistributionURL",
        **extra,
    }


def test_real_mur_record_has_json_and_parquet_refs(fixtures_dir: Path) -> None:
    path = fixtures_dir / "umm" / "records" / "umm-c_C1996881146-POCLOUD_MUR-JPL-L4-GLOB-v4.1.json"
    found = discover_stores(json.loads(path.read_text()))
    assert [s.kind for s in found.stores] == ["kerchunk-json", "kerchunk-parquet"]
    assert found.stores[1].url.endswith("_combined-ref.parq.zip")
    assert found.stores[0].title.startswith("Virtual data set reference file for first decade")
    assert found.unknown == ()


def test_view_related_information_data_recipe_is_not_a_store(fixtures_dir: Path) -> None:
    # GAMSSA has Subtype "DATA RECIPE" under Type "VIEW RELATED INFORMATION" (a GitHub page)
    path = (
        fixtures_dir
        / "umm"
        / "records"
        / "umm-c_C2036881735-POCLOUD_GAMSSA_28km-ABOM-L4-GLOB-v01.json"
    )
    record = json.loads(path.read_text())
    assert any(r.get("Subtype") == "DATA RECIPE" for r in record["umm"]["RelatedUrls"])
    assert discover_stores(record).all == ()


def test_podaac_data_recipe_kerchunk_json() -> None:
    found = discover_stores(
        _item(
            _link(
                MUR_HTTPS_JSON,
                subtype="DATA RECIPE",
                Description="Kerchunk reference file for https access to MUR v4.1",
            ),
            ddi=PODAAC_DDI,
        )
    )
    (store,) = found.stores
    assert (store.kind, store.url, store.branch) == ("kerchunk-json", MUR_HTTPS_JSON, None)
    assert store.requires_earthdata is True  # its chunks live in the DAAC's protected bucket
    assert store.anonymous is False
    assert store.region == "us-west-2"
    assert store.s3_credentials_url == "https://archive.podaac.earthdata.nasa.gov/s3credentials"
    assert store.provider == "POCLOUD"
    assert store.title == "Kerchunk reference file for https access to MUR v4.1"


def test_tempo_style_icechunk_s3_prefix() -> None:
    ddi = {
        "Region": "us-west-2",
        "S3BucketAndObjectPrefixNames": ["asdc-prod-protected/TEMPO/"],
        "S3CredentialsAPIEndpoint": "https://data.asdc.earthdata.nasa.gov/s3credentials",
    }
    found = discover_stores(
        _item(
            _link(
                "s3://asdc-prod-protected/TEMPO/TEMPO_NO2_L3_V03/virtual/",
                Format="Zarr",
                Description="Icechunk repository with virtual references to the TEMPO NO2 L3 "
                "granules. Open with icechunk.",
            ),
            ddi=ddi,
            provider="LARC_CLOUD",
        )
    )
    (store,) = found.stores
    assert store.kind == "icechunk"
    assert store.url == "s3://asdc-prod-protected/TEMPO/TEMPO_NO2_L3_V03/virtual/"
    assert (
        store.title == "Icechunk repository with virtual references to the TEMPO NO2 L3 granules."
    )
    assert store.requires_earthdata and store.provider == "LARC_CLOUD"
    assert store.s3_credentials_url == "https://data.asdc.earthdata.nasa.gov/s3credentials"


def test_parquet_refs_and_several_stores_per_collection() -> None:
    found = discover_stores(
        _item(
            _link("https://example.org/refs/mur.parq", Description="Kerchunk parquet references"),
            _link("https://example.org/refs/mur.json"),
            _link("https://example.org/mur.zarr", Format="Zarr"),
            _link("s3://bucket/mur/", Format="Zarr"),
            _link("https://example.org/mur.zarr", Description="Kerchunk references"),
        )
    )
    assert [s.kind for s in found.stores] == [
        "kerchunk-parquet",
        "kerchunk-json",
        "zarr",
        "zarr",
        "kerchunk-parquet",
    ]
    assert all(not s.requires_earthdata and s.anonymous is None for s in found.stores)


def test_scheme_prefixes_set_kind_and_branch(tmp_path: Path) -> None:
    local = tmp_path / "sst.icechunk"
    found = discover_stores(
        _item(
            _link("icechunk+s3://bucket/sst/repo@dev"),
            _link(f"icechunk+{local.as_uri()}@main"),
            _link("kerchunk+https://example.org/refs/sst"),
            _link("kerchunk+https://example.org/refs/sst.json"),
            _link("zarr+s3://bucket/sst"),
        )
    )
    assert [(s.kind, s.url, s.branch) for s in found.stores] == [
        ("icechunk", "s3://bucket/sst/repo", "dev"),
        ("icechunk", local.as_uri(), "main"),
        ("kerchunk-parquet", "https://example.org/refs/sst", None),
        ("kerchunk-json", "https://example.org/refs/sst.json", None),
        ("zarr", "s3://bucket/sst", None),
    ]
    assert found.stores[1].anonymous is True and found.stores[1].region is None


def test_unknown_kinds_are_listed_and_flagged() -> None:
    found = discover_stores(
        _item(
            _link("https://example.org/virtual/sst.nc4", Description="A virtual collection"),
            _link("https://example.org/refs.json"),
        )
    )
    assert [s.kind for s in found.stores] == ["kerchunk-json"]
    (unknown,) = found.unknown
    assert unknown.kind == "unknown" and not unknown.is_known
    assert unknown.url == "https://example.org/virtual/sst.nc4"
    c = Collection.from_umm(_item(_link("https://example.org/virtual/sst.nc4")))
    assert [(s.kind, s.url) for s in c.unknown_stores] == [("unknown", unknown.url)]
    assert c.stores == () and not c.has_virtual_store
    assert "(+1 of unknown kind)" in c.summary()


def test_override_by_url_and_by_index() -> None:
    item = _item(
        _link("https://example.org/virtual/sst.nc4"),
        _link("s3://bucket/sst/", Format="Zarr"),
    )
    found = discover_stores(
        item,
        override={
            "https://example.org/virtual/sst.nc4": "kerchunk-json",
            1: {"kind": "icechunk", "branch": "v2"},
        },
    )
    assert [(s.kind, s.branch) for s in found.stores] == [
        ("kerchunk-json", None),
        ("icechunk", "v2"),
    ]
    assert found.unknown == ()
    c = Collection.from_umm(item, override={0: "zarr"})
    assert [s.kind for s in c.stores] == ["zarr", "zarr"] and c.store_kinds == ("zarr",)


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"https://nowhere/x.json": "zarr"}, "matches no virtual store link"),
        ({5: "zarr"}, "out of range"),
        ({0: "netcdf"}, "is not one of"),
        ({0: {"colour": "red"}}, "unknown StoreLink field"),
    ],
)
def test_bad_overrides_are_clear(override: dict[Any, Any], message: str) -> None:
    item = _item(_link("https://example.org/a.json"))
    with pytest.raises(OverrideError, match=message):
        discover_stores(item, override=override)
    with pytest.raises(OverrideError, match=message):  # not reported as a malformed record
        Collection.from_umm(item, override=override)


def test_relative_paths_resolve_against_the_record_folder(tmp_path: Path) -> None:
    found = discover_stores(
        {
            "ShortName": "demo",
            "RelatedUrls": [
                _link("../stores/sst.icechunk", Description="Icechunk store"),
                _link("icechunk+../stores/other@dev"),
            ],
        },
        base_path=tmp_path / "records",
    )
    expected = (tmp_path / "stores" / "sst.icechunk").resolve().as_uri()
    assert found.stores[0].url == expected and found.stores[0].kind == "icechunk"
    assert found.stores[1].url == (tmp_path / "stores" / "other").resolve().as_uri()
    assert found.stores[1].branch == "dev"
    assert all(s.anonymous is True and not s.requires_earthdata for s in found.stores)


@pytest.mark.parametrize(
    ("url", "hints", "kind"),
    [
        ("https://h/refs.json", {}, "kerchunk-json"),
        ("https://h/refs.json.gz", {}, "kerchunk-json"),
        ("https://h/refs.parquet", {}, "kerchunk-parquet"),
        ("https://h/refs.parq.zip", {}, "kerchunk-parquet"),
        ("file:///data/sst.icechunk", {}, "icechunk"),
        ("https://h/store.zarr/", {}, "zarr"),
        ("https://h/store.zarr", {"description": "An Icechunk repo"}, "icechunk"),
        ("s3://b/prefix/", {"format": "icechunk"}, "icechunk"),
        ("s3://b/prefix/", {}, "unknown"),
        ("https://h/api/refs", {"mime_type": "application/json"}, "kerchunk-json"),
        ("https://h/api/refs", {"mime_type": "application/vnd.apache.parquet"}, "kerchunk-parquet"),
        ("https://h/refs.json?version=2", {"format": "Zarr"}, "kerchunk-json"),
    ],
)
def test_infer_kind(url: str, hints: dict[str, str], kind: str) -> None:
    assert infer_kind(url, **hints)[0] == kind


def test_split_scheme_prefix_ignores_userinfo_and_other_schemes() -> None:
    assert split_scheme_prefix("icechunk+https://user@host/p@feature") == (
        "icechunk",
        "https://user@host/p",
        "feature",
    )
    assert split_scheme_prefix("git+https://host/x@main") == (None, "git+https://host/x@main", None)
    assert split_scheme_prefix("kerchunk+s3://b/x@y.json") == ("kerchunk", "s3://b/x@y.json", None)
    with pytest.raises(ValueError, match="empty branch"):
        split_scheme_prefix("icechunk+s3://b/p@")


def test_is_virtual_store_url_is_case_insensitive() -> None:
    assert is_virtual_store_url({"Type": "get data", "Subtype": "Virtual Collection"})
    assert not is_virtual_store_url({"Type": "GET DATA", "Subtype": "DATA TREE"})
    assert not is_virtual_store_url({"Type": "VIEW RELATED INFORMATION", "Subtype": "DATA RECIPE"})


def test_records_written_by_the_demo_writer_round_trip() -> None:
    """Contract with ``vstore_explorer.build.umm``: every store kind it writes is found again."""
    umm_writer = pytest.importorskip("vstore_explorer.build.umm")
    from vstore_explorer.catalog.links import StoreLink

    written = [
        StoreLink(url="s3://demo-bucket/sst/repo/", kind="icechunk", branch="dev", title="SST"),
        StoreLink(url="https://data.example.org/sst/refs.json", kind="kerchunk-json"),
        StoreLink(url="https://data.example.org/sst/refs.parq", kind="kerchunk-parquet"),
        StoreLink(url="s3://demo-bucket/sst/refs/", kind="kerchunk-parquet"),
        StoreLink(url="https://data.example.org/sst/copy.zarr", kind="zarr"),
        StoreLink(url="s3://demo-bucket/sst/main-repo/", kind="icechunk"),
    ]
    umm = umm_writer.collection_umm(
        short_name="DEMO_SST",
        version="1",
        entry_title="Demo SST",
        abstract="Made-up sea surface temperature.",
        provider="VSTOREDEMO",
        processing_level="4",
        temporal=("2020-01-01", None),
        bbox=(170, -10, -170, 10),
        stores=written,
        science_keywords=["EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE"],
    )
    item = umm_writer.cmr_item(umm, concept_id="C1000000001-VSTOREDEMO", provider="VSTOREDEMO")
    c = Collection.from_umm(item)
    assert [(s.url, s.kind) for s in c.stores] == [(s.url, s.kind) for s in written]
    assert [s.branch for s in c.stores] == ["dev", None, None, None, None, "main"]
    assert c.unknown_stores == () and c.provider == "VSTOREDEMO"
    assert c.bbox is not None and c.bbox.crosses_antimeridian
