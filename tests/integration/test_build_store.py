"""Build and append virtual stores from the real GLDAS and GAMSSA granules (no mocks)."""

from __future__ import annotations

import json
import math
import shutil
import time
from pathlib import Path

import netCDF4
import numpy as np
import pytest

from tests.changes import wait_past
from vstore_explorer.build.errors import GranuleError, GranuleMismatchError
from vstore_explorer.build.icechunk_append import NothingToAppendError
from vstore_explorer.build.icechunk_store import append_icechunk, build_icechunk
from vstore_explorer.build.kerchunk_refs import build_kerchunk
from vstore_explorer.cli import main
from vstore_explorer.compute import load
from vstore_explorer.selection import Selection
from vstore_explorer.stores.open import connect, list_versions, open_store
from vstore_explorer.stores.read_errors import GranuleReadError

pytestmark = pytest.mark.filterwarnings("ignore::xarray.SerializationWarning")

GLDAS_VAR = "SoilMoi0_10cm_inst"


@pytest.fixture(scope="module")
def reference(fixtures_dir: Path) -> dict:
    return json.loads((fixtures_dir / "reference_values.json").read_text())


def _gldas_ref(reference: dict, path: Path) -> dict:
    return reference[f"gldas_noah025_3h_timeseries/{path.name}"][GLDAS_VAR]


def test_build_two_then_append_two_equals_netcdf4(gldas_files, reference, tmp_path):
    store = tmp_path / "gldas.icechunk"
    first = build_icechunk(gldas_files[:2], store, tag="v1")
    assert first.added == tuple(p.as_uri() for p in gldas_files[:2])
    assert first.containers == (gldas_files[0].parent.as_uri() + "/",)
    second = append_icechunk(gldas_files[2:], store, tag="v2")
    assert second.previous_snapshot_id == first.snapshot_id
    assert second.changed and len(second.added) == 2

    ds = open_store(store)
    assert ds.sizes["time"] == 4
    assert ds[GLDAS_VAR].shape == (4, 600, 1440)
    for i, path in enumerate(gldas_files):
        expected = _gldas_ref(reference, path)
        values = ds[GLDAS_VAR].isel(time=i).values
        assert int(np.isfinite(values).sum()) == expected["n_valid"]
        assert int(np.isnan(values).sum()) == expected["n_masked"]
        assert np.nanmean(values.astype("float64")) == pytest.approx(expected["mean"], rel=1e-6)
        assert np.nanmin(values) == pytest.approx(expected["min"], rel=1e-6)
        assert np.nanmax(values) == pytest.approx(expected["max"], rel=1e-6)
        # and cell by cell against a direct netCDF4 read
        with netCDF4.Dataset(path) as nc:
            direct = nc[GLDAS_VAR][0].filled(np.nan)
        np.testing.assert_array_equal(values, direct)
    lat = reference[f"gldas_noah025_3h_timeseries/{gldas_files[0].name}"]["lat"]
    assert float(ds.lat[0]) == lat["first"] and float(ds.lat[-1]) == lat["last"]

    # versions: the tag v1 still shows the first two steps
    assert open_store(store, tag="v1").sizes["time"] == 2
    versions = list_versions(store)
    assert versions.tags == {"v1": first.snapshot_id, "v2": second.snapshot_id}
    assert [h.message for h in versions.history][:2] == [
        "append: 2 granule(s) along time",
        "build: 2 granule(s) along time",
    ]
    assert open_store(store, snapshot=first.snapshot_id).sizes["time"] == 2


def test_append_skips_granules_already_in_store(gldas_files, tmp_path):
    store = tmp_path / "s.icechunk"
    built = build_icechunk(gldas_files[:3], store)
    again = append_icechunk(gldas_files, store)
    assert again.skipped == tuple(p.as_uri() for p in gldas_files[:3])
    assert again.added == (gldas_files[3].as_uri(),)
    # no empty success: an append with nothing new is an error, and the store is unchanged
    with pytest.raises(NothingToAppendError, match="all 4 granule.s. are already in the store"):
        append_icechunk(gldas_files, store)
    assert list_versions(store).branches["main"] == again.snapshot_id
    assert connect(store).dataset.sizes["time"] == 4
    assert built.snapshot_id != again.snapshot_id


def _write_mismatched(
    template: Path,
    out: Path,
    *,
    hours: int,
    lat_subset: bool = False,
    dtype=None,
    lat_offset: float = 0.0,
):
    """A copy of a GLDAS granule, later in time, with a smaller or shifted grid or another
    dtype."""
    with netCDF4.Dataset(template) as src, netCDF4.Dataset(out, "w", format="NETCDF4") as dst:
        nlat = 300 if lat_subset else len(src.dimensions["lat"])
        dst.createDimension("time", None)
        dst.createDimension("lat", nlat)
        dst.createDimension("lon", len(src.dimensions["lon"]))
        t = dst.createVariable("time", "f8", ("time",))
        t.units = src["time"].units
        t[:] = [src["time"][0] + hours * 60]
        for name in ("lat", "lon"):
            v = dst.createVariable(name, "f4", (name,))
            v.units = src[name].units
            v[:] = src[name][:nlat] + lat_offset if name == "lat" else src[name][:]
        for name in (GLDAS_VAR, "SoilMoi10_40cm_inst"):
            var_dtype = dtype or src[name].dtype
            v = dst.createVariable(
                name,
                var_dtype,
                ("time", "lat", "lon"),
                zlib=True,
                fill_value=-9999,
                chunksizes=(1, nlat, len(src.dimensions["lon"])),
            )
            v[:] = src[name][:, :nlat, :]
        dst.createDimension("bnds", 2)
        tb = dst.createVariable("time_bnds", "f8", ("time", "bnds"), chunksizes=(1, 2))
        tb[:] = [[t[0], t[0] + 180]]


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"lat_subset": True}, "grid 'lat' has 300 points instead of 600"),
        ({"dtype": "f8"}, "SoilMoi0_10cm_inst: dtype float64 instead of float32"),
        # within np.allclose's tolerance, but the store keeps one lat: it must be identical
        ({"lat_offset": 1e-4}, "grid 'lat' values differ (at index 0: "),
    ],
)
def test_mismatched_granule_is_refused_and_store_unchanged(gldas_files, tmp_path, kwargs, expected):
    store = tmp_path / "m.icechunk"
    built = build_icechunk(gldas_files[:2], store)
    bad = gldas_files[0].parent / "GLDAS_NOAH025_3H.A20160102.0000.021.nc4"
    _write_mismatched(gldas_files[0], bad, hours=24, **kwargs)
    with pytest.raises(GranuleMismatchError) as err:
        append_icechunk([gldas_files[2], bad], store)
    assert bad.as_uri() in str(err.value)
    assert expected in str(err.value)
    versions = list_versions(store)
    assert versions.branches["main"] == built.snapshot_id
    assert connect(store).dataset.sizes["time"] == 2


def test_truncated_granule_is_named_and_store_unchanged(gldas_files, tmp_path):
    store = tmp_path / "t.icechunk"
    built = build_icechunk(gldas_files[:2], store)
    broken = gldas_files[3]
    data = broken.read_bytes()
    broken.write_bytes(data[: len(data) // 3])
    with pytest.raises(GranuleError) as err:
        append_icechunk(gldas_files[2:], store)
    assert broken.as_uri() in str(err.value)
    assert list_versions(store).branches["main"] == built.snapshot_id


def test_append_refuses_times_not_after_the_end(gldas_files, tmp_path):
    store = tmp_path / "o.icechunk"
    build_icechunk(gldas_files[2:], store)
    with pytest.raises(GranuleMismatchError, match="is not after the store's last time"):
        append_icechunk(gldas_files[:1], store)


def test_build_refuses_to_overwrite(gldas_files, tmp_path):
    store = tmp_path / "x.icechunk"
    build_icechunk(gldas_files[:1], store)
    with pytest.raises(FileExistsError, match="vstore-explorer append"):
        build_icechunk(gldas_files[:2], store)


def test_gamssa_with_oversized_time_chunk_builds(fixtures_dir, reference, tmp_path):
    granule = next((fixtures_dir / "granules" / "gamssa_ghrsst_l4").glob("*.nc"))
    report = build_icechunk([granule], tmp_path / "gamssa.icechunk")
    assert report.added == (granule.as_uri(),)
    ds = open_store(tmp_path / "gamssa.icechunk")
    expected = reference[f"gamssa_ghrsst_l4/{granule.name}"]
    sst = ds["analysed_sst"].values
    assert sst.shape == tuple(expected["analysed_sst"]["shape"])
    assert int(np.isfinite(sst).sum()) == expected["analysed_sst"]["n_valid"]
    assert np.nanmean(sst) == pytest.approx(expected["analysed_sst"]["mean"], rel=1e-9)
    assert np.nanmax(sst) == pytest.approx(expected["analysed_sst"]["max"], rel=1e-9)
    assert float(ds.lon[0]) == expected["lon"]["first"]
    assert float(ds.lat[-1]) == expected["lat"]["last"]


@pytest.mark.parametrize("suffix", [".json", ".parq"])
def test_kerchunk_refs_equal_direct_reads(gldas_files, reference, tmp_path, suffix):
    out = tmp_path / f"gldas{suffix}"
    report = build_kerchunk(gldas_files, out)
    assert len(report.added) == 4
    handle = connect(out)
    assert handle.link.kind == ("kerchunk-json" if suffix == ".json" else "kerchunk-parquet")
    for i, path in enumerate(gldas_files):
        values = handle.dataset[GLDAS_VAR].isel(time=i).values
        assert int(np.isfinite(values).sum()) == _gldas_ref(reference, path)["n_valid"]
        assert np.nanmean(values.astype("float64")) == pytest.approx(
            _gldas_ref(reference, path)["mean"], rel=1e-6
        )
    # the references know each chunk's stored size exactly
    sizes = handle.chunk_nbytes([handle.chunk_key(GLDAS_VAR, (i, 0, 0)) for i in range(4)])
    with netCDF4.Dataset(gldas_files[0]) as nc:
        assert nc[GLDAS_VAR].chunking() == [1, 600, 1440]
    assert all(s is not None and 100_000 < s < 3_000_000 for s in sizes)


def test_cli_build_and_append(gldas_files, tmp_path, capsys):
    store = tmp_path / "cli.icechunk"
    folder = gldas_files[0].parent
    assert (
        main(["build", str(folder / "*.0[36]00.021.nc4"), "--store", str(store), "--tag", "v1"])
        == 0
    )
    out = capsys.readouterr().out
    assert "added     2 granule(s)" in out and "tagged v1" in out
    assert "changes   reads refuse a granule modified after " in out
    assert main(["append", str(folder / "*.nc4"), "--store", str(store)]) == 0
    out = capsys.readouterr().out
    assert "added     2 granule(s)" in out and "skipped   2 granule(s)" in out
    assert main(["append", str(tmp_path / "nothing-*.nc4"), "--store", str(store)]) == 2
    assert "no granule matches" in capsys.readouterr().err


# -- change checks (Icechunk's "last updated" checksum on every virtual ref) -----------------------
def _values(store: Path, i: int) -> np.ndarray:
    return connect(store).dataset[GLDAS_VAR].isel(time=i).values


def test_build_and_append_record_when_granules_were_read(gldas_files, tmp_path):
    store = tmp_path / "c.icechunk"
    before = time.time()
    built = build_icechunk(gldas_files[:2], store)
    after = time.time()
    stamp = built.checked_after.timestamp()
    assert stamp == int(stamp) and math.ceil(before) <= stamp <= math.ceil(after)
    assert built.checked_after.utcoffset().total_seconds() == 0
    appended = append_icechunk(gldas_files[2:], store)
    assert appended.checked_after >= built.checked_after
    with pytest.raises(NothingToAppendError):  # nothing new: nothing recorded
        append_icechunk(gldas_files, store)
    unchecked = build_icechunk(gldas_files, tmp_path / "u.icechunk", check_changes=False)
    assert unchecked.checked_after is None
    assert "changes   not checked" in unchecked.summary()
    when = f"{built.checked_after:%Y-%m-%d %H:%M:%S}"
    assert f"changes   reads refuse a granule modified after {when} UTC" in built.summary()


def test_granule_written_just_before_the_build_reads(gldas_files, tmp_path):
    # a granule written in the same second as the build must not look "changed" (whole seconds)
    store = tmp_path / "fresh.icechunk"
    fresh = gldas_files[0].parent / "fresh" / gldas_files[1].name
    fresh.parent.mkdir()
    for _ in range(3):  # three tries at different fractions of a second
        shutil.copy(gldas_files[1], fresh)
        build_icechunk([fresh], store, overwrite=True)
        with netCDF4.Dataset(fresh) as nc:
            np.testing.assert_array_equal(_values(store, 0), nc[GLDAS_VAR][0].filled(np.nan))
        time.sleep(0.37)


def test_append_checks_only_the_granules_it_adds(gldas_files, tmp_path):
    store = tmp_path / "a.icechunk"
    build_icechunk(gldas_files[:2], store, check_changes=False)
    wait_past(append_icechunk(gldas_files[2:], store))
    first = _values(store, 0)
    gldas_files[0].touch()  # same bytes, a new time: its ref was written without a check
    gldas_files[2].touch()  # appended with a check: refused, and named
    np.testing.assert_array_equal(_values(store, 0), first)
    with pytest.raises(GranuleReadError) as err:
        load(connect(store), Selection(variables=(GLDAS_VAR,), time=("2016-01-01T09:00",) * 2))
    assert err.value.url == gldas_files[2].as_uri() and err.value.variable == GLDAS_VAR
    assert "changed after it was added to the store" in str(err.value)


def test_cli_no_change_check_lets_granules_be_rewritten_in_place(gldas_files, tmp_path, capsys):
    store = tmp_path / "n.icechunk"
    build = ["build", *map(str, gldas_files[:2]), "--store", str(store), "--no-change-check"]
    assert main(build) == 0
    assert "changes   not checked" in capsys.readouterr().out
    append = ["append", *map(str, gldas_files[2:]), "--store", str(store), "--no-change-check"]
    assert main(append) == 0
    assert "changes   not checked" in capsys.readouterr().out
    time.sleep(1.1)  # past any whole second the commands could have recorded
    for path in gldas_files:  # rewritten in place with identical bytes
        path.write_bytes(path.read_bytes())
    for i, path in enumerate(gldas_files):
        with netCDF4.Dataset(path) as nc:
            np.testing.assert_array_equal(_values(store, i), nc[GLDAS_VAR][0].filled(np.nan))


@pytest.mark.parametrize("command", ["build", "append"])
def test_cli_help_explains_no_change_check(command, capsys):
    with pytest.raises(SystemExit):
        main([command, "--help"])
    help_text = " ".join(capsys.readouterr().out.split())
    assert "--no-change-check" in help_text
    assert "rewritten in place with identical bytes" in help_text


@pytest.mark.parametrize("refs, steps", [(None, 1000), (10, 366)])
def test_a_manifest_holds_about_1000_references_and_at_least_a_year_of_steps(
    gldas_files, tmp_path, monkeypatch, refs, steps
):
    """GLDAS has one chunk per step of each variable: 1,000 steps per manifest; were a step 100
    chunks (here: 10 references per manifest asked), a year of steps still shares one manifest,
    so a decade's point series reads ten manifests, not one per ~1,000 references."""
    import icechunk

    from vstore_explorer.build import manifests

    if refs is not None:
        monkeypatch.setattr(manifests, "REFS_PER_MANIFEST", refs)
    store = tmp_path / "default-split.icechunk"
    build_icechunk(gldas_files[:2], store)
    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(str(store)))
    split = next(iter(repo.config.manifest.splitting.to_dict().values()))
    assert list(split.values()) == [steps]


def test_manifests_are_split_along_time_and_appends_keep_the_split(
    gldas_files, tmp_path, monkeypatch
):
    import icechunk

    from vstore_explorer.build import manifests

    monkeypatch.setattr(manifests, "REFS_PER_MANIFEST", 1)  # one time step per manifest
    monkeypatch.setattr(manifests, "MIN_STEPS_PER_MANIFEST", 1)
    store = tmp_path / "split.icechunk"
    first = build_icechunk(gldas_files[:2], store)
    second = append_icechunk(gldas_files[2:], store)
    repo = icechunk.Repository.open(icechunk.local_filesystem_storage(str(store)))
    split = next(iter(repo.config.manifest.splitting.to_dict().values()))
    assert list(split.values()) == [1] and "time" in repr(split)
    manifests = [len(repo.list_manifest_files(s)) for s in (first.snapshot_id, second.snapshot_id)]
    assert manifests[1] > manifests[0] > 1  # a manifest per step (and variable), kept by append
    for i, path in enumerate(gldas_files):  # values are unchanged by the split
        with netCDF4.Dataset(path) as nc:
            np.testing.assert_array_equal(_values(store, i), nc[GLDAS_VAR][0].filled(np.nan))
