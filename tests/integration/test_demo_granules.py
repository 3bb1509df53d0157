"""Demo granules written to disk and read back with netCDF4 and xarray, against the real files."""

from __future__ import annotations

from pathlib import Path

import netCDF4
import numpy as np
import pytest
import xarray as xr

from vstore_explorer.demo import granules
from vstore_explorer.demo.landmask import land_mask
from vstore_explorer.demo.products import get_product

SST = get_product("sst")
GLDAS = get_product("gldas")
AIRS = get_product("airs")
COUNT = 3

GAMSSA = "gamssa_ghrsst_l4/20241011120000-ABOM-L4_GHRSST-SSTfnd-GAMSSA_28km-GLOB-v02.0-fv01.0.nc"
GLDAS_REAL = "gldas_noah025_3h/GLDAS_NOAH025_3H.A20160101.0300.021.nc4"


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[Path]]:
    """Three granules of each product, written by two worker processes."""
    root = tmp_path_factory.mktemp("demo-granules")
    masks = root / "masks"
    return {
        p.alias: granules.write_granules(
            p, root / p.alias, count=COUNT, workers=2, mask_cache=masks
        )
        for p in (SST, GLDAS, AIRS)
    }


def encoding(var: netCDF4.Variable) -> tuple:
    f = var.filters()
    return (var.dtype, var.chunking(), f["zlib"], f["complevel"], f["shuffle"])


def test_files_are_named_and_complete(written):
    for alias, paths in written.items():
        product = get_product(alias)
        assert [p.name for p in paths] == [product.filename(t) for t in product.times(COUNT)]
        assert all(granules.is_complete(p) for p in paths)
        assert not list(paths[0].parent.glob(".*.part"))
    assert written["gldas"][1].name == "GLDAS_NOAH025_3H.A20230101.0300.021.nc4"


def test_sst_granule_matches_the_real_gamssa_layout(written, fixtures_dir):
    with (
        netCDF4.Dataset(written["sst"][0]) as demo,
        netCDF4.Dataset(fixtures_dir / "granules" / GAMSSA) as real,
    ):
        assert demo.data_model == real.data_model == "NETCDF4"
        assert demo.dimensions["time"].isunlimited()
        assert {k: len(v) for k, v in demo.dimensions.items()} == {
            k: len(v) for k, v in real.dimensions.items()
        }
        for name in ("analysed_sst", "analysis_error", "sea_ice_fraction", "mask", "time", "lat"):
            d, r = demo[name], real[name]
            assert d.dimensions == r.dimensions, name
            assert encoding(d) == encoding(r), name  # dtype, chunks (time: 1048576), zlib 3
            for attr in ("_FillValue", "scale_factor", "add_offset", "valid_min", "valid_max"):
                if attr in r.ncattrs():
                    assert d.getncattr(attr) == r.getncattr(attr), (name, attr)
                    assert (
                        np.asarray(d.getncattr(attr)).dtype == np.asarray(r.getncattr(attr)).dtype
                    )
            for attr in ("units", "standard_name", "long_name"):
                if attr in r.ncattrs():
                    assert d.getncattr(attr) == r.getncattr(attr), (name, attr)
        np.testing.assert_array_equal(demo["lat"][:], real["lat"][:])
        np.testing.assert_array_equal(demo["lon"][:], real["lon"][:])
        assert demo["time"].units == real["time"].units == "seconds since 1981-01-01 00:00:00"
        assert demo["time"][:].tolist() == [SST.encode_time(SST.times(1)[0])]
        np.testing.assert_array_equal(demo["mask"].flag_masks, real["mask"].flag_masks)
        assert demo.time_coverage_start == "20230101T000000Z"


def test_sst_values_decode_and_land_is_masked(written):
    lat, lon = SST.grid.lat(), SST.grid.lon()
    land = land_mask(lat, lon)
    with xr.open_dataset(written["sst"][1]) as ds:
        sst = ds["analysed_sst"].isel(time=0).values
        assert ds["analysed_sst"].dtype == np.float64
        assert ds["analysed_sst"].encoding["dtype"] == np.int16
        assert np.isnan(sst[land]).all() and not np.isnan(sst[~land]).any()
        assert np.nanmin(sst) >= 270.0 and np.nanmax(sst) <= 306.0
        ice = ds["sea_ice_fraction"].isel(time=0).values
        assert np.nanmax(ice) == pytest.approx(1.0) and np.nanmin(ice) == 0.0
        assert str(ds.time.values[0]) == "2023-01-02T12:00:00.000000000"
        assert np.all(np.diff(ds.lat.values) > 0) and ds.lon.values.min() == -179.875
    with netCDF4.Dataset(written["sst"][1]) as nc:
        nc.set_auto_maskandscale(False)
        raw = nc["analysed_sst"][0]
        assert raw.dtype == np.int16
        assert (raw[land] == -32768).all()
        decoded = raw[~land] * 0.01 + 273.15000000000003
        np.testing.assert_allclose(decoded, sst[~land], rtol=0, atol=1e-9)


def test_gldas_granule_matches_the_real_layout(written, fixtures_dir):
    with (
        netCDF4.Dataset(written["gldas"][1]) as demo,
        netCDF4.Dataset(fixtures_dir / "granules" / GLDAS_REAL) as real,
    ):
        assert demo["time"].units == real["time"].units == " minutes since 2000-01-01 03:00:00"
        assert demo["time"][:].tolist() == [GLDAS.encode_time(GLDAS.times(2)[1])]
        assert demo["time_bnds"][:].tolist() == [[demo["time"][0] - 180, demo["time"][0]]]
        assert (demo["time"].begin_date, demo["time"].begin_time) == ("20230101", "030000")
        for name in ("SoilMoi0_10cm_inst", "SoilMoi10_40cm_inst", "lat", "lon", "time"):
            d, r = demo[name], real[name]
            assert d.dimensions == r.dimensions and encoding(d) == encoding(r), name
            for attr in r.ncattrs():
                if attr not in ("vmin", "vmax", "begin_date", "begin_time"):
                    assert d.getncattr(attr) == r.getncattr(attr), (name, attr)
        np.testing.assert_array_equal(demo["lat"][:], real["lat"][:])
        np.testing.assert_array_equal(demo["lon"][:], real["lon"][:])
        for name in GLDAS.variable_names:
            var = demo[name]
            assert encoding(var) == (np.dtype("float32"), [1, 600, 1440], True, 4, True)
            assert var._FillValue == var.missing_value == np.float32(-9999.0)
            data = var[0]
            assert data.min() == var.vmin and data.max() == var.vmax  # per-file, like GLDAS
        # land only, like the real file (which has 243883 valid cells of 864000)
        valid = demo["Tair_f_inst"][0].count()
        assert 0.25 < valid / (600 * 1440) < 0.32


def test_gldas_values_decode(written):
    with xr.open_mfdataset(written["gldas"], combine="nested", concat_dim="time") as ds:
        assert [str(t)[:19] for t in ds.time.values] == [
            "2023-01-01T00:00:00",
            "2023-01-01T03:00:00",
            "2023-01-01T06:00:00",
        ]
        assert ds["Tair_f_inst"].dtype == np.float32
        tair = ds["Tair_f_inst"].values
        assert np.nanmin(tair) > 200 and np.nanmax(tair) < 330
        rain = ds["Rainf_f_tavg"].values
        assert np.nanmin(rain) >= 0 and np.nanmax(rain) > 0
        assert ds.lat.values[0] == -59.875 and ds.lat.values[-1] == 89.875
        assert ds["time_bnds"].values.shape == (3, 2)


def test_airs_granule_has_its_irregular_axes(written):
    path = written["airs"][0]
    with netCDF4.Dataset(path) as nc:
        assert nc["level"].units == "hPa" and nc["level"].positive == "down"
        assert nc["air_temperature"].dimensions == ("time", "level", "lat", "lon")
        assert encoding(nc["air_temperature"]) == (
            np.dtype("float32"),
            [1, 4, 90, 180],
            True,
            2,
            True,
        )
        assert nc["air_temperature"]._FillValue == np.float32(-9999.0)
        assert nc["time"].units == "days since 1993-01-01 00:00:00"
    with xr.open_dataset(path) as ds:
        assert ds.lat.values[0] == 89.5 and ds.lat.values[-1] == -89.5  # descending
        assert ds.lon.values.min() == 0.5 and ds.lon.values.max() == 359.5  # 0..360
        assert ds.level.values.tolist() == list(AIRS.levels)
        assert str(ds.time.values[0])[:10] == "2023-01-01"
        t = ds["air_temperature"].isel(time=0)
        assert np.isnan(t.sel(level=1000.0, lat=32.5, lon=88.5).item())  # below the Tibetan surface
        assert np.nanmax(np.diff(t.values, axis=0)) <= 0  # no column warms with height
        profile = t.mean(dim=("lat", "lon")).values
        assert np.all(np.diff(profile) < 0)
    coder = xr.coders.CFDatetimeCoder(use_cftime=True)  # cftime-friendly time encoding
    with xr.open_dataset(path, decode_times=coder) as ds:
        assert ds.time.values[0].year == 2023


def test_rerun_skips_complete_files_and_cleans_interrupted_ones(written):
    paths = written["airs"]
    folder = paths[0].parent
    before = [p.stat().st_mtime_ns for p in paths]
    stale = folder / f".{AIRS.filename(AIRS.times(4)[3])}.12345.part"
    stale.write_bytes(b"half a file")
    again = granules.write_granules(AIRS, folder, count=4, workers=1)
    assert again[:3] == paths and [p.stat().st_mtime_ns for p in paths] == before
    assert granules.is_complete(again[3]) and not stale.exists()


def test_worker_count_does_not_change_the_bytes(written, tmp_path):
    one = granules.write_granules(SST, tmp_path, count=COUNT, workers=1)
    for a, b in zip(one, written["sst"], strict=True):
        assert a.read_bytes() == b.read_bytes()


def test_interrupted_write_leaves_no_complete_looking_file(tmp_path, monkeypatch):
    def explode(*_args):
        raise KeyboardInterrupt

    monkeypatch.setattr(granules, "_write_netcdf", explode)
    with pytest.raises(KeyboardInterrupt):
        granules.write_granule(AIRS, AIRS.times(1)[0], tmp_path / "x.nc4")
    assert list(tmp_path.iterdir()) == []


def test_write_granule_validates_its_inputs(tmp_path):
    with pytest.raises(ValueError, match="not a time step of GLDAS_NOAH025_3H_DEMO"):
        granules.write_granule(GLDAS, "2023-01-01T01:00:00", tmp_path / "x.nc4")
    with pytest.raises(ValueError, match="unknown demo product"):
        granules.write_granules("MUR", tmp_path)
    with pytest.raises(ValueError, match="workers must be at least 1"):
        granules.write_granules(SST, tmp_path, count=1, workers=0)
