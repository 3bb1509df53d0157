"""Build a store from a CMR collection and keep it fresh, end to end: NetCDF4 granules written
here and served over loopback HTTP, their UMM-G records served by a loopback CMR (no mocks)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import icechunk
import netCDF4
import numpy as np
import pytest
from jsonschema import Draft7Validator
from referencing import Registry, Resource

from benchmarks.dmrpp import write_dmrpp
from tests.plugins.umm import assert_valid
from vstore_explorer.build.cmr_search import (
    CMRSearchError,
    CollectionNotFoundError,
    data_link,
)
from vstore_explorer.build.cmr_update import update_store
from vstore_explorer.build.errors import GranuleError
from vstore_explorer.build.from_cmr import build_from_cmr
from vstore_explorer.build.umm import collection_umm, granule_umm
from vstore_explorer.catalog.cmr import CMRCatalog
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.records import Collection, Granule
from vstore_explorer.cli import main
from vstore_explorer.stores.open import list_versions, open_store

pytestmark = pytest.mark.filterwarnings("ignore::xarray.SerializationWarning")

SHORT_NAME = "VXSST_L4_DAILY"
CONCEPT_ID = "C1200000001-VXTEST"
LAT = np.linspace(-85.0, 85.0, 18)
LON = np.linspace(-175.0, 175.0, 36)
DAY0 = np.datetime64("2024-01-01", "D")
VARS = ("sst", "wind")
S3_BUCKET = "vxcmr"


def date(day: int) -> np.datetime64:
    return DAY0 + np.timedelta64(day, "D")


def write_day(folder: Path, day: int, scale: float = 1.0, suffix: str = "") -> Path:
    """A daily granule as L4 products write them: lat/lon grid, one step, two variables."""
    path = folder / f"{SHORT_NAME}_{str(date(day)).replace('-', '')}{suffix}.nc"
    lat, lon = np.meshgrid(LAT, LON, indexing="ij")
    with netCDF4.Dataset(path, "w") as nc:
        nc.createDimension("time", 1)
        nc.createDimension("lat", LAT.size)
        nc.createDimension("lon", LON.size)
        t = nc.createVariable("time", "f8", ("time",))
        t.units, t.standard_name = "days since 2024-01-01 00:00:00", "time"
        t[:] = [day]
        for name, values in (("lat", LAT), ("lon", LON)):
            v = nc.createVariable(name, "f4", (name,))
            v.units = "degrees_north" if name == "lat" else "degrees_east"
            v[:] = values
        sst = nc.createVariable(
            "sst", "f4", ("time", "lat", "lon"), zlib=True, chunksizes=(1, 9, 18), fill_value=-999.0
        )
        sst.units = "K"
        field = scale * (280.0 + 15 * np.cos(np.deg2rad(lat)) + 0.1 * day + 0.01 * lon)
        field[:2, :3] = -999.0  # land: masked
        sst[0] = field
        wind = nc.createVariable("wind", "f4", ("time", "lat", "lon"), chunksizes=(1, 18, 36))
        wind[0] = scale * (5 + np.sin(np.deg2rad(lon)) + day)
    return path


class Archive:
    """Granules in a served folder and their records in a loopback CMR, as a DAAC keeps them."""

    def __init__(self, folder: Path, server, cmr, umm_g_validator, s3=None) -> None:
        self.folder, self.server, self.cmr, self.validator = folder, server, cmr, umm_g_validator
        self.s3 = s3  # when set, granules are also uploaded and listed with direct S3 links
        self.paths: dict[int, Path] = {}
        umm = collection_umm(
            short_name=SHORT_NAME,
            version="1",
            entry_title="VX test daily L4 sea surface temperature",
            abstract="Daily gridded SST written by the test.",
            provider="VXTEST",
            processing_level="4",
            temporal=("2024-01-01", None),
            bbox=(-180, -90, 180, 90),
            stores=[StoreLink(url="s3://placeholder/none.icechunk", kind="icechunk")],
            science_keywords=["EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE"],
        )
        umm["RelatedUrls"] = [
            r for r in umm["RelatedUrls"] if r.get("Subtype") != "VIRTUAL COLLECTION"
        ] or None
        self.collection = cmr.add_collection({k: v for k, v in umm.items() if v}, CONCEPT_ID)

    def publish(
        self, day: int, scale: float = 1.0, *, dmrpp: bool = False, suffix: str = ""
    ) -> dict:
        """Write (or rewrite) a day's granule and (re)ingest its record."""
        path = write_day(self.folder, day, scale, suffix)
        self.paths[day] = path
        url = self.server.url_of(path)
        urls = [url]
        if self.s3 is not None:
            urls += self.s3.upload([path], S3_BUCKET, f"{self.folder.parent.name}/")
        begin = date(day).astype("datetime64[s]").item()
        umm = granule_umm(
            granule_ur=ur(day),
            short_name=SHORT_NAME,
            version="1",
            begin=begin,
            end=begin + timedelta(hours=23, minutes=59, seconds=59),
            bbox=(-180, -90, 180, 90),
            size_bytes=path.stat().st_size,
            data_url=urls,
        )
        if dmrpp:
            write_dmrpp(path)
            umm["RelatedUrls"].append(
                {"URL": url + ".dmrpp", "Type": "EXTENDED METADATA", "Subtype": "DMR++"}
            )
        assert_valid(self.validator, umm)
        return self.cmr.put_granule(umm, CONCEPT_ID)

    def catalog(self) -> CMRCatalog:
        """The CMR client with CMR's paging on pages of 2 and quick retries."""
        return CMRCatalog(self.cmr.url, page_size=2, retries=2, backoff=0.01, timeout=10)


def ur(day: int) -> str:
    return f"{SHORT_NAME}_{str(date(day)).replace('-', '')}"


@pytest.fixture()
def archive(tmp_path, serve_files, granule_cmr, umm_g_validator) -> Archive:
    folder = tmp_path / "www"
    folder.mkdir()
    return Archive(folder, serve_files(folder), granule_cmr, umm_g_validator)


def assert_store_equals_granules(store: Path, archive: Archive, days: list[int]) -> None:
    """The store's time axis is the days, once each, and every value equals a direct read."""
    ds = open_store(store)
    times = ds.time.values
    assert list(times) == [date(d) for d in days], times
    assert len(set(times.tolist())) == len(times)
    for i, day in enumerate(days):
        with netCDF4.Dataset(archive.paths[day]) as nc:
            for name in VARS:
                direct = np.ma.filled(nc[name][0], np.nan)
                np.testing.assert_array_equal(ds[name].isel(time=i).values, direct)


def cmr_metadata(store: Path, index: int = 0) -> dict:
    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(str(store)))
    return list(repo.ancestry(branch="main"))[index].metadata["vstore_explorer"]["cmr"]


def test_build_then_update_equals_direct_reads(archive, tmp_path, capsys):
    items = [archive.publish(d, dmrpp=d == 2) for d in range(3)]
    store = tmp_path / "sst.icechunk"
    built = build_from_cmr(SHORT_NAME, store, cmr=archive.catalog(), tag="v1")
    assert [r.granule_ur for r in built.added] == [ur(d) for d in range(3)]
    assert built.update.parsers == {"hdf": 2, "dmrpp": 1}  # the listed DMR++ was used
    assert built.update.verified
    assert_store_equals_granules(store, archive, [0, 1, 2])
    recorded = cmr_metadata(store)
    assert recorded["kind"] == "build" and recorded["cmr_url"] == archive.cmr.url
    assert recorded["collection"]["concept_id"] == CONCEPT_ID
    assert recorded["search"] == {"temporal": None, "bbox": None}
    assert [
        (g["concept_id"], g["granule_ur"], g["revision_date"]) for g in recorded["granules"]
    ] == [
        (i["meta"]["concept-id"], i["umm"]["GranuleUR"], i["meta"]["revision-date"]) for i in items
    ]

    # two new days, and day 1 reprocessed: new bytes at the same URL, a newer revision
    archive.publish(3)
    archive.publish(4)
    reprocessed = archive.publish(1, scale=2.0)
    assert reprocessed["meta"]["revision-id"] == 2

    assert main(["update", "--store", str(store), "--dry-run", "--cmr", archive.cmr.url]) == 0
    out = capsys.readouterr().out
    assert "2 added, 1 replaced, 0 removed, 2 unchanged" in out and "dry run" in out
    assert f"~ {ur(1)}" in out and f"+ {ur(4)}" in out
    assert list_versions(store).branches["main"] == built.update.snapshot_id  # nothing written

    updated = update_store(store, cmr=archive.catalog(), tag="v2")
    assert [r.granule_ur for r in updated.added] == [ur(3), ur(4)]
    assert [r.granule_ur for r in updated.replaced] == [ur(1)]
    assert updated.changed and updated.update.previous_snapshot_id == built.update.snapshot_id
    assert_store_equals_granules(store, archive, [0, 1, 2, 3, 4])
    versions = list_versions(store)
    assert [h.message for h in versions.history][:2] == [
        f"update from CMR {CONCEPT_ID}: 2 added, 1 replaced, 0 removed",
        f"build from CMR {CONCEPT_ID}: 3 granule(s) along time",
    ]
    assert versions.tags == {"v1": built.update.snapshot_id, "v2": updated.update.snapshot_id}
    assert open_store(store, tag="v1").sizes["time"] == 3  # the build's snapshot is intact
    recorded = cmr_metadata(store)
    assert [g["revision_date"] for g in recorded["replaced"]] == [
        reprocessed["meta"]["revision-date"]
    ]
    assert recorded["searched_at"] > cmr_metadata(store, 1)["searched_at"]

    # the revision window asked CMR for granules revised since the build (minus the overlap)
    windows = [
        r.params["revision_date"] for r in archive.cmr.requests if "revision_date" in r.params
    ]
    assert windows and all(w[0].endswith("Z,") for w in windows)

    again = update_store(store, cmr=archive.catalog())
    assert not again.changed and again.update is None
    assert (again.added, again.replaced, again.removed, again.unchanged) == ((), (), (), 5)
    assert list_versions(store).branches["main"] == updated.update.snapshot_id  # no new commit


def test_removals_are_reported_then_applied_and_late_granules_fill_their_place(archive, tmp_path):
    for d in range(4):
        archive.publish(d)
    store = tmp_path / "rm.icechunk"
    built = build_from_cmr(CONCEPT_ID, store, cmr=archive.catalog())
    archive.cmr.delete_granule(ur(1))

    reported = update_store(store, cmr=archive.catalog())
    assert [r.granule_ur for r in reported.removed] == [ur(1)] and not reported.removals_applied
    assert reported.update is None and "--apply-deletions" in reported.summary()
    assert list_versions(store).branches["main"] == built.update.snapshot_id

    cli = ["update", "--store", str(store), "--cmr", archive.cmr.url, "--apply-deletions"]
    assert main(cli) == 0
    assert_store_equals_granules(store, archive, [0, 2, 3])  # the slots after it moved back
    assert [g["granule_ur"] for g in cmr_metadata(store)["removed"]] == [ur(1)]

    # day 1 comes back (a late ingest) and a new day 4 arrives: both in their place, one commit
    archive.publish(1, scale=3.0)
    archive.publish(4)
    filled = update_store(store, cmr=archive.catalog())
    assert {r.granule_ur for r in filled.added} == {ur(1), ur(4)}
    assert_store_equals_granules(store, archive, [0, 1, 2, 3, 4])
    assert len(list_versions(store).history) == 4  # root, build, deletion, fill

    # day 2 reprocessed into a new file (a new version in its name): its slot now points there
    old = archive.paths[2]
    archive.publish(2, scale=0.5, suffix="_v2")
    moved = update_store(store, cmr=archive.catalog())
    assert [r.url for r in moved.replaced] == [archive.server.url_of(archive.paths[2])]
    old.unlink()  # nothing refers to the old file any more
    assert_store_equals_granules(store, archive, [0, 1, 2, 3, 4])


def test_unknown_collection_is_a_clear_error(archive, tmp_path, capsys):
    store = tmp_path / "none.icechunk"
    with pytest.raises(CollectionNotFoundError, match="has no collection with short name 'NOPE'"):
        build_from_cmr("NOPE", store, cmr=archive.catalog())
    cli = ["build", "--collection", "C999-VXTEST", "--cmr", archive.cmr.url, "--store", str(store)]
    assert main(cli) == 2
    assert "no collection with concept id 'C999-VXTEST'" in capsys.readouterr().err
    assert not store.exists()


def test_cmr_failing_mid_update_leaves_the_store_on_its_snapshot(archive, tmp_path):
    for d in range(2):
        archive.publish(d)
    store = tmp_path / "outage.icechunk"
    built = build_from_cmr(SHORT_NAME, store, cmr=archive.catalog())
    archive.publish(2)  # 3 granules: a second page (pages of 2)
    archive.cmr.fail(503)  # every page after the first, every retry
    with pytest.raises(CMRSearchError) as err:
        update_store(store, cmr=archive.catalog())
    text = str(err.value)
    assert "HTTP 503 after 3 attempt(s)" in text and CONCEPT_ID in text
    assert f"stays on snapshot {built.update.snapshot_id}" in text
    failed = [r for r in archive.cmr.requests if r.status == 503]
    assert len(failed) == 3 and all(r.search_after for r in failed)  # page 2, retried
    assert list_versions(store).branches["main"] == built.update.snapshot_id
    assert_store_equals_granules(store, archive, [0, 1])

    archive.cmr.heal()
    assert update_store(store, cmr=archive.catalog()).changed
    assert_store_equals_granules(store, archive, [0, 1, 2])


def test_an_unreadable_granule_is_named_and_the_store_unchanged(archive, tmp_path):
    for d in range(2):
        archive.publish(d)
    store = tmp_path / "bad.icechunk"
    built = build_from_cmr(SHORT_NAME, store, cmr=archive.catalog())
    archive.publish(2)
    broken = archive.publish(3)
    data = archive.paths[3].read_bytes()
    archive.paths[3].write_bytes(data[: len(data) // 3])  # truncated on the server
    with pytest.raises(GranuleError) as err:
        update_store(store, cmr=archive.catalog())
    text = str(err.value)
    assert err.value.url == archive.server.url_of(archive.paths[3])
    assert ur(3) in text and broken["meta"]["concept-id"] in text
    assert f"stays on snapshot {built.update.snapshot_id}" in text
    assert list_versions(store).branches["main"] == built.update.snapshot_id
    assert_store_equals_granules(store, archive, [0, 1])


def test_umm_out_validates_and_the_catalog_discovers_the_store(
    archive, tmp_path, fixtures_dir, umm_c_validator, capsys
):
    for d in range(4):
        archive.publish(d)
    store, out = tmp_path / "cli.icechunk", tmp_path / "umm" / "related_url.json"
    cli = ["build", "--collection", SHORT_NAME, "--cmr", archive.cmr.url, "--store", str(store)]
    cli += ["--temporal", "2024-01-02,2024-01-03", "--bbox=-180,-90,180,90", "--umm-out", str(out)]
    assert main(cli) == 0
    printed = capsys.readouterr().out
    assert "2 added" in printed and "temporal 2024-01-02" in printed and str(out) in printed
    assert_store_equals_granules(store, archive, [1, 2])  # temporal[] was honoured
    assert cmr_metadata(store)["search"]["temporal"][0] == "2024-01-02T00:00:00+00:00"

    entry = json.loads(out.read_text())
    assert entry["URL"] == store.as_uri()
    assert (entry["Type"], entry["Subtype"]) == ("GET DATA", "VIRTUAL COLLECTION")
    assert entry["GetData"]["Format"] == "Icechunk" and CONCEPT_ID in entry["Description"]
    # valid as a UMM-CMN RelatedUrl on its own, and in the collection record it is added to
    schemas = fixtures_dir / "umm" / "schemas"
    common = json.loads((schemas / "umm-cmn-json-schema_v1.18.6.json").read_text())
    registry = Registry().with_resource("umm-cmn-json-schema.json", Resource.from_contents(common))
    one = Draft7Validator(
        {"$ref": "umm-cmn-json-schema.json#/definitions/RelatedUrlType"}, registry=registry
    )
    assert list(one.iter_errors(entry)) == []
    item = json.loads(json.dumps(archive.collection))
    item["umm"]["RelatedUrls"] = [*(item["umm"].get("RelatedUrls") or []), entry]
    assert_valid(umm_c_validator, item["umm"])

    collection = Collection.from_umm(item)
    assert collection.has_virtual_store and collection.store_kinds == ("icechunk",)
    link = collection.stores[0]
    assert link.url == store.as_uri() and link.branch == "main"
    ds = open_store(link)
    with netCDF4.Dataset(archive.paths[2]) as nc:
        direct = np.ma.filled(nc["sst"][0], np.nan)
    np.testing.assert_array_equal(ds.sst.isel(time=1).values, direct)


def test_direct_s3_links_for_stores_on_s3_else_https():
    umm = granule_umm(
        granule_ur="g1",
        short_name="S",
        version="1",
        begin="2024-01-01",
        end="2024-01-02",
        bbox=(-180, -90, 180, 90),
        size_bytes=10,
        data_url=["https://daac.example/g1.nc", "s3://bucket/g1.nc"],
    )
    umm["RelatedUrls"].append({"URL": "https://daac.example/g1.nc.md5", "Type": "GET DATA"})
    granule = Granule.from_umm(umm)
    assert data_link(granule, "s3") == "s3://bucket/g1.nc"
    assert data_link(granule, "https") == "https://daac.example/g1.nc"
    https_only = Granule.from_umm({**umm, "RelatedUrls": umm["RelatedUrls"][:1]})
    assert data_link(https_only, "s3") is None  # never silently the other kind


def test_a_store_on_s3_uses_the_direct_s3_links(
    tmp_path, serve_files, granule_cmr, s3_server, umm_g_validator
):
    folder = tmp_path / "www"
    folder.mkdir()
    s3_server.ensure_bucket(S3_BUCKET)
    s3_server.ensure_bucket("stores")
    archive = Archive(folder, serve_files(folder), granule_cmr, umm_g_validator, s3=s3_server)
    for d in range(2):
        archive.publish(d)
    store = f"s3://stores/{tmp_path.name}.icechunk"
    built = build_from_cmr(SHORT_NAME, store, cmr=archive.catalog(), access=s3_server.access())
    prefix = f"s3://{S3_BUCKET}/{tmp_path.name}/"
    assert built.update.containers == (prefix,)
    assert all(r.url.startswith(prefix) for r in built.added)
    assert {g["url"][:5] for g in cmr_metadata_s3(store, s3_server)["granules"]} == {"s3://"}
    archive.server.reset()
    archive.publish(1, scale=0.5)  # reprocessed (new bytes in the bucket too), and a new day
    archive.publish(2)
    updated = update_store(store, cmr=archive.catalog(), access=s3_server.access())
    assert (len(updated.added), len(updated.replaced)) == (1, 1)
    assert not [r for r in archive.server.requests if r.path.endswith(".nc")]  # no HTTPS reads
    ds = open_store(s3_server.link(store), credentials=s3_server.credentials)
    assert list(ds.time.values) == [date(d) for d in range(3)]
    for i in range(3):
        with netCDF4.Dataset(archive.paths[i]) as nc:
            for name in VARS:
                direct = np.ma.filled(nc[name][0], np.nan)
                np.testing.assert_array_equal(ds[name].isel(time=i).values, direct)


def cmr_metadata_s3(store: str, s3_server) -> dict:
    storage = s3_server.access().icechunk_storage(store)
    repo = icechunk.Repository.open(storage)
    return next(iter(repo.ancestry(branch="main"))).metadata["vstore_explorer"]["cmr"]
