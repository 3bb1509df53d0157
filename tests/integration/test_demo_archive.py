"""The embedded demo archive: built at size tiny, every store opens, records validate, builds are safe."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from tests.plugins.umm import assert_valid
from vstore_explorer.catalog import open_catalog
from vstore_explorer.cli import main
from vstore_explorer.demo.archive import MARKER, ensure_demo, load_demo
from vstore_explorer.stores.open import connect, list_versions

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
GLDAS = "GLDAS_NOAH025_3H_DEMO"
AIRS = "AIRS3STD_DEMO"


def test_three_collections_and_every_store_opens(demo_archive):
    assert [c.short_name for c in demo_archive.collections] == [SST, GLDAS, AIRS]
    kinds = {c.short_name: sorted(s.kind for s in c.stores) for c in demo_archive.collections}
    assert kinds[SST] == ["icechunk", "kerchunk-json", "kerchunk-parquet"]
    assert kinds[GLDAS] == kinds[AIRS] == ["icechunk"]
    for collection in demo_archive.collections:
        assert collection.granules == 6
        for link in collection.stores:
            ds = connect(link).dataset
            assert ds.sizes["time"] == 6, (collection.short_name, link.kind)


def test_sst_values_look_like_ghrsst(demo_archive):
    ds = connect(demo_archive.collection(SST).link("icechunk")).dataset
    sst = ds["analysed_sst"].isel(time=0).values
    assert sst.shape == (720, 1440)
    ocean = np.isfinite(sst)
    assert 0.55 < ocean.mean() < 0.8  # land (and lakes) masked, like real L4 analyses
    assert np.nanmin(sst) > 270.0 and np.nanmax(sst) < 306.0
    tropics = np.nanmean(sst[(np.abs(ds.lat.values) < 10)])
    polar = np.nanmean(sst[ds.lat.values < -60])
    assert tropics - polar > 20  # a latitudinal gradient, not noise
    encoding = ds["analysed_sst"].encoding
    assert np.dtype(encoding["dtype"]) == np.int16
    assert encoding["scale_factor"] == pytest.approx(0.01)


def test_airs_has_descending_lat_0_360_lon_and_levels(demo_archive):
    ds = connect(demo_archive.collection(AIRS).link("icechunk")).dataset
    assert ds.lat.values[0] > ds.lat.values[-1]
    assert ds.lon.values.min() >= 0 and ds.lon.values.max() > 350
    assert "level" in ds["air_temperature"].dims
    t = ds["air_temperature"].isel(time=0).mean(("lat", "lon")).values
    levels = ds.level.values
    assert t[np.argmax(levels)] > t[np.argmin(levels)] + 30  # colder aloft


def test_gldas_granules_keep_the_leading_space_in_time_units(demo_archive):
    granule = sorted((demo_archive.root / "granules" / GLDAS).glob("*.nc4"))[0]
    with netCDF4.Dataset(granule) as nc:
        assert nc["time"].units.startswith(" minutes since")
        assert nc.dimensions["lat"].size == 600
    ds = connect(demo_archive.collection(GLDAS).link("icechunk")).dataset
    assert str(ds.time.values[1] - ds.time.values[0]) == "10800000000000 nanoseconds"


def test_stores_have_a_build_and_an_append_commit(demo_archive):
    link = demo_archive.collection(SST).link("icechunk")
    versions = list_versions(link)
    assert set(versions.tags) == {"v1", "v2"}
    assert [h.message for h in versions.history[:2]] == [
        "append the latest granules",
        "initial build",
    ]
    assert connect(link, tag="v1").dataset.sizes["time"] == 5
    assert connect(link, tag="v2").dataset.sizes["time"] == 6


def test_umm_records_validate_and_link_the_stores(demo_archive, umm_c_validator, umm_g_validator):
    records = demo_archive.records_dir
    collections = sorted((records / "collections").glob("*.json"))
    assert len(collections) == 3
    for path in collections:
        item = json.loads(path.read_text())
        assert item["meta"]["provider-id"] == "VSTOREDEMO"
        assert_valid(umm_c_validator, item["umm"])
        links = [u for u in item["umm"]["RelatedUrls"] if u.get("Subtype") == "VIRTUAL COLLECTION"]
        assert links and all(u["Type"] == "GET DATA" for u in links)
    granule_files = sorted((records / "granules").rglob("*.json"))
    assert len(granule_files) == 3
    for path in granule_files:
        items = json.loads(path.read_text())["items"]
        assert len(items) == 6
        for item in items:
            assert_valid(umm_g_validator, item["umm"])


def test_local_catalog_over_the_demo_finds_the_stores(demo_archive):
    catalog = open_catalog(path=demo_archive.records_dir)
    assert SST in [c.short_name for c in catalog.search("sea surface temperature")]
    found = list(catalog.search("GHRSST", has_virtual_store=True))
    assert [c.short_name for c in found] == [SST]
    assert {s.kind for s in found[0].stores} == {"icechunk", "kerchunk-json", "kerchunk-parquet"}
    assert found[0].stores[0].url == demo_archive.collection(SST).link("icechunk").url
    granules = list(catalog.granules(found[0]))
    assert len(granules) == 6


def test_rerun_reuses_the_cache(demo_archive):
    started = time.perf_counter()
    again = ensure_demo(demo_archive.root, "tiny")
    assert again.built_at == demo_archive.built_at
    assert time.perf_counter() - started < 2


def test_demo_cli_info_and_path(demo_archive, capsys):
    assert main(["demo", "info", "--cache", str(demo_archive.root)]) == 0
    out = capsys.readouterr().out
    assert SST in out and "kerchunk-parquet" in out and "size tiny" in out
    assert main(["demo", "path", "--cache", str(demo_archive.root)]) == 0
    assert capsys.readouterr().out.strip() == str(demo_archive.root)


def test_interrupted_build_never_looks_complete(tmp_path):
    root = tmp_path / "demo"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "vstore_explorer.cli",
            "demo",
            "build",
            "--size",
            "tiny",
            "--cache",
            str(root),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:  # kill it hard once the first collection's stores are being written
        for line in proc.stderr:
            if "virtualized" in line:
                break
        proc.send_signal(signal.SIGKILL)
    finally:
        proc.wait(timeout=60)
    assert not (root / MARKER).exists()
    assert load_demo(root) is None
    written = sorted((root / "granules" / SST).glob("*.nc"))
    assert len(written) == 6
    mtimes = [p.stat().st_mtime for p in written]
    archive = ensure_demo(root, "tiny")  # completes, reusing the granules already written
    assert load_demo(root) == archive
    assert [p.stat().st_mtime for p in written] == mtimes


def test_missing_cache_and_bad_size_errors(tmp_path, capsys):
    assert main(["demo", "info", "--cache", str(tmp_path / "none")]) == 1
    assert "no complete demo archive" in capsys.readouterr().out
    assert main(["demo", "build", "--days", "0", "--cache", str(tmp_path / "x")]) == 2
    assert "--days must be between 1 and 3650" in capsys.readouterr().err


def test_default_cache_honours_the_environment(monkeypatch, tmp_path):
    from vstore_explorer.demo.archive import default_cache_dir

    monkeypatch.setenv("VSTORE_EXPLORER_CACHE", str(tmp_path / "c"))
    assert default_cache_dir() == (tmp_path / "c").resolve()
    assert Path(str(default_cache_dir())).is_absolute()
