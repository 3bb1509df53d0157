"""Maps as Cloud-Optimized GeoTIFFs, read back with rasterio: the tiny demo's SST (one day, a
time mean, the exported script writing the same file), a 0..360 grid, real granules (GAMSSA
L4; SMAP L4 with its CF grid mapping), a projected EASE-2 grid (synthetic: the shared granules
hold no projected grid in metres), and the refusals (a real ASCAT swath, more than one map)."""

from __future__ import annotations

import math
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import xarray as xr

import vstore_explorer as vx
from tests.plugins.paths import PROJECT_ROOT
from vstore_explorer.demo.archive import DemoArchive
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.geotiff import geotiff_code, geotiff_options, grid_crs
from vstore_explorer.ops import execute, plan

rasterio = pytest.importorskip("rasterio")
GRANULES = PROJECT_ROOT.parent / "shared" / "fixtures" / "granules"
GAMSSA = (
    GRANULES
    / "gamssa_ghrsst_l4"
    / "20241011120000-ABOM-L4_GHRSST-SSTfnd-GAMSSA_28km-GLOB-v02.0-fv01.0.nc"
)
SMAP = GRANULES / "smap_l4_projected_groups" / "SMAP_L4_SM_aup_dimension_list_input.h5"
ASCAT = (
    GRANULES / "ascat_l2_netcdf3" / "ascat_20210614_015700_metopa_76027_eps_o_250_3202_ovw.l2.nc"
)
SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"


@contextmanager
def opened(data: bytes) -> Iterator[Any]:
    from rasterio.io import MemoryFile

    with MemoryFile(data) as memory, memory.open() as src:
        yield src


def check_grid(src: Any, x: np.ndarray, y: np.ndarray) -> None:
    """Origin = the west / north cell edges, pixel size = the coordinate spacing (north-up)."""
    dx, dy = abs(float(x[1] - x[0])), abs(float(y[1] - y[0]))
    t = src.transform
    assert (t.b, t.d) == (0.0, 0.0)
    assert t.a == pytest.approx(dx, rel=1e-6) and t.e == pytest.approx(-dy, rel=1e-6)
    assert t.c == pytest.approx(float(x.min()) - dx / 2, abs=1e-6 * dx)
    assert t.f == pytest.approx(float(y.max()) + dy / 2, abs=1e-6 * dy)
    assert (src.width, src.height) == (x.size, y.size)


def check_cells(src: Any, expected: Any, points: list[tuple[float, float]]) -> list[float]:
    """The GeoTIFF's value at each (x, y) equals ``expected(x, y)``; returns them."""
    band = src.read(1)
    found = []
    for px, py in points:
        row, col = src.index(px, py)
        value = float(band[row, col])
        np.testing.assert_equal(value, float(expected(px, py)))
        found.append(value)
    return found


def same_projection(a: str, b: str) -> bool:
    """Two CRSs place lon/lat points at the same x/y (to a millimetre)."""
    import pyproj

    lon, lat = np.meshgrid(np.linspace(-170, 170, 7), np.linspace(-80, 80, 7))
    xy = [
        pyproj.Transformer.from_crs("EPSG:4326", c, always_xy=True).transform(lon, lat)
        for c in (a, b)
    ]
    return bool(np.allclose(xy[0], xy[1], atol=1e-3))


def check_band(src: Any, description: str, units: str | None) -> None:
    assert src.descriptions == (description,)
    assert math.isnan(src.nodata)
    if units is not None:
        assert src.tags(1)["units"] == units and src.tags()["units"] == units
    assert src.tags(ns="IMAGE_STRUCTURE")["LAYOUT"] == "COG"
    assert src.tags(ns="IMAGE_STRUCTURE")["COMPRESSION"] == "DEFLATE"


@pytest.fixture(scope="module")
def sst(demo_archive: DemoArchive) -> Any:
    return vx.connect(demo_archive.collection(SST).link("icechunk"))


def test_one_day_of_the_demo_sst_and_the_script_writing_the_same_file(
    sst: Any, tmp_path: Path
) -> None:
    sel = vx.Selection(variables=("analysed_sst",), time=("2023-01-03", "2023-01-03"))
    day = vx.load(sst, sel)
    assert day.dims == ("time", "lat", "lon") and day.shape == (1, 720, 1440)
    data = vx.to_geotiff(day)
    with opened(data) as src:
        assert src.crs.to_epsg() == 4326
        check_grid(src, day.lon.values, day.lat.values)
        assert (src.transform.c, src.transform.f) == (-180.0, 90.0)
        check_band(src, "analysed sea surface temperature", "kelvin")
        assert src.overviews(1)  # a 1440-wide COG has overviews
        at = day.squeeze("time")
        values = check_cells(
            src,
            lambda x, y: at.sel(lon=x, lat=y, method="nearest"),
            [(-40.1, 35.2), (150.3, -20.6), (20.1, 10.1)],
        )
    assert 285 < values[0] < 300 and 295 < values[1] < 305 and math.isnan(values[2])  # Africa

    # the exported script (to_code + geotiff_code) writes the very same file, in a new process
    script = vx.to_code(sst, sel) + "\n" + geotiff_code("map.tif", **geotiff_options(day))
    (tmp_path / "export.py").write_text(script)
    done = subprocess.run(
        [sys.executable, "export.py"], cwd=tmp_path, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert (tmp_path / "map.tif").read_bytes() == data


def test_a_time_mean_map_of_a_box(sst: Any) -> None:
    sel = vx.Selection(variables=("analysed_sst",), bbox=(-60, 20, -10, 50), reduction="time_mean")
    mean = vx.load(sst, sel)
    assert mean.dims == ("lat", "lon") and bool(mean.lat[0] < mean.lat[-1])  # south first
    with opened(vx.to_geotiff(mean)) as src:
        check_grid(src, mean.lon.values, mean.lat.values)
        assert (src.transform.c, src.transform.f) == (-60.0, 50.0)
        check_band(src, "analysed sea surface temperature", "kelvin")
        band = src.read(1)
        np.testing.assert_array_equal(band, mean.values[::-1])  # north-up: rows flipped
        check_cells(
            src,
            lambda x, y: mean.sel(lon=x, lat=y, method="nearest"),
            [(-59.9, 20.1), (-35.1, 35.1), (-10.1, 49.9)],
        )


def test_a_0_360_grid_is_rolled_to_minus_180_180(demo_archive: DemoArchive) -> None:
    airs = vx.connect(demo_archive.collection("AIRS3STD_DEMO").link("icechunk"))
    sel = vx.Selection(variables=("surface_air_temperature",), time=("2023-01-02", "2023-01-02"))
    t = vx.load(airs, sel).squeeze("time")
    assert float(t.lon.min()) == 0.5 and float(t.lon.max()) == 359.5
    with opened(vx.to_geotiff(t)) as src:
        assert src.transform.c == -180.0 and src.transform.a == 1.0
        assert src.transform.f == 90.0 and src.transform.e == -1.0
        check_band(src, "Surface air temperature (SurfAirTemp)", "K")
        check_cells(
            src,
            lambda x, y: t.sel(lon=x % 360, lat=y, method="nearest"),
            [(-100.5, 40.5), (-0.5, -60.5), (179.5, 0.5)],
        )


def test_a_real_gamssa_l4_granule() -> None:
    with xr.open_dataset(GAMSSA) as ds:
        sst = ds["analysed_sst"].load()
    with opened(vx.to_geotiff(sst)) as src:
        assert src.crs.to_epsg() == 4326
        check_grid(src, sst.lon.values, sst.lat.values)
        assert (src.transform.c, src.transform.f) == (-180.0, 90.0)
        check_band(src, "analysed sea surface temperature", "kelvin")
        at = sst.squeeze("time")
        values = check_cells(
            src,
            lambda x, y: at.sel(lon=x, lat=y, method="nearest"),
            [(-140.1, 10.2), (60.4, -40.3), (-100.1, 40.1)],
        )
    assert 270 < values[0] < 310 and 270 < values[1] < 310 and math.isnan(values[2])  # land


def test_a_real_smap_l4_granule_with_its_cf_grid_mapping() -> None:
    with (
        xr.open_dataset(SMAP, engine="h5netcdf", phony_dims="sort") as root,
        xr.open_dataset(SMAP, engine="h5netcdf", group="Analysis_Data", phony_dims="sort") as group,
    ):
        ds = group.assign_coords(x=root["x"], y=root["y"]).load()
        mapping = dict(root["projection_information"].attrs)
    ops = plan(ds, vx.Selection(variables=("sm_rootzone_analysis",)))  # CF valid range masked
    soil = execute(ds, ops)
    assert soil.attrs["grid_mapping"] == "projection_information"
    assert mapping["grid_mapping_name"] == "latitude_longitude"
    options = geotiff_options(soil, crs=mapping)
    assert options == {"x": "x", "y": "y", "crs": "+proj=longlat +datum=WGS84 +no_defs +type=crs"}
    with opened(vx.to_geotiff(soil, crs=mapping)) as src:
        assert src.crs.is_geographic and src.crs.to_epsg() == 4326
        check_grid(src, soil.x.values, soil.y.values)
        check_band(src, "Analysis root zone soil moisture (0-100 cm)", "m3 m-3")
        x, y = soil.x.values, soil.y.values
        values = check_cells(
            src,
            lambda px, py: soil.sel(x=px, y=py, method="nearest"),
            [
                (float(x[0]), float(y[0])),
                (float(x[16]), float(y[50])),
                (float(x[-1]), float(y[-1])),
            ],
        )
    assert all(0.0 <= v <= 0.9 or math.isnan(v) for v in values)


def test_a_projected_ease2_grid_with_the_crs_of_the_plan() -> None:
    x = np.arange(-1.5e6, 1.5e6, 2.5e5) + 1.25e5
    y = np.arange(1.0e6, -1.0e6, -2.5e5) - 1.25e5
    metres = {"units": "m"}
    ds = xr.Dataset(
        {
            "swe": (
                ("time", "y", "x"),
                np.arange(2 * y.size * x.size, dtype="float32").reshape(2, y.size, x.size),
                {"grid_mapping": "crs", "long_name": "snow water equivalent", "units": "mm"},
            ),
            "crs": (
                (),
                0,
                {
                    "grid_mapping_name": "lambert_cylindrical_equal_area",
                    "standard_parallel": 30.0,
                    "longitude_of_central_meridian": 0.0,
                    "false_easting": 0.0,
                    "false_northing": 0.0,
                    "semi_major_axis": 6378137.0,
                    "inverse_flattening": 298.257223563,
                },
            ),
        },
        coords={
            "time": np.array(["2024-01-01", "2024-01-02"], dtype="datetime64[ns]"),
            "x": ("x", x, {"standard_name": "projection_x_coordinate", **metres}),
            "y": ("y", y, {"standard_name": "projection_y_coordinate", **metres}),
        },
    )
    ops = plan(ds, vx.Selection(variables=("swe",), reduction="time_mean"))
    swe = execute(ds, ops).load()
    assert {"lat", "lon"} <= set(swe.coords) and swe.lat.ndim == 2  # as the explorer maps it
    crs = grid_crs(ops)
    assert crs is not None and "+proj=cea" in crs
    with pytest.raises(InvalidInputError, match="carries no CRS: pass crs="):
        vx.to_geotiff(swe)
    with opened(vx.to_geotiff(swe, crs=crs)) as src:
        assert src.crs.is_projected and "Cylindrical_Equal_Area" in src.crs.to_wkt()
        assert same_projection(src.crs.to_wkt(), crs)
        check_grid(src, x, y)
        assert (src.transform.c, src.transform.f) == (-1.5e6, 1.0e6)
        check_band(src, "snow water equivalent", "mm")
        check_cells(
            src,
            lambda px, py: swe.sel(x=px, y=py, method="nearest"),
            [(-1.3e6, 0.8e6), (0.1e6, -0.1e6), (1.4e6, -0.9e6)],
        )
    # the same grid in km (the CRS is in metres): scaled by the layout, the same georeferencing
    km = {"standard_name": "projection_x_coordinate", "units": "km"}
    in_km = ds.assign_coords(
        x=("x", x / 1000, km), y=("y", y / 1000, {**km, "standard_name": "projection_y_coordinate"})
    )
    swe_km = execute(in_km, plan(in_km, vx.Selection(variables=("swe",), reduction="time_mean")))
    assert geotiff_options(swe_km, crs=crs)["xy_scale"] == 1000.0
    with opened(vx.to_geotiff(swe_km, crs=crs)) as src:
        check_grid(src, x, y)
        np.testing.assert_array_equal(src.read(1), swe.values)


def test_a_swath_and_a_time_series_are_refused() -> None:
    with xr.open_dataset(ASCAT) as ds:
        wind = ds["wind_speed"].load()
    assert wind.lat.dims == ("NUMROWS", "NUMCELLS")
    with pytest.raises(InvalidInputError, match=r"needs a regular grid.*2-D latitude/longitude"):
        vx.to_geotiff(wind)
    series = xr.DataArray(
        np.zeros((3, 2, 2)),
        dims=("time", "lat", "lon"),
        coords={"time": [0, 1, 2], "lat": [0.0, 1.0], "lon": [0.0, 1.0]},
    )
    with pytest.raises(InvalidInputError, match=r"one 2-D field.*'time': 3.*time_mean"):
        vx.to_geotiff(series)
    with pytest.raises(InvalidInputError, match="give a DataArray"):
        vx.to_geotiff(series.to_dataset(name="t"))  # type: ignore[arg-type]
    irregular = series.isel(time=0).assign_coords(lat=[0.0, 1.0]).reindex(lat=[0.0, 1.0, 3.0])
    with pytest.raises(InvalidInputError, match="not evenly spaced"):
        vx.to_geotiff(irregular)
