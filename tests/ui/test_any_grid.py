"""Any NASA grid in the explorer (#13): a real netCDF-3 swath (ASCAT, 2-D lat/lon on 0..360), a
store of swaths whose geolocation changes with each granule (GPM-like groups, Latitude/Longitude
as data variables), the real GPM 1C granule (all fill values), the real SMAP L4 one-step
projected group and the real ATL16 nested group (no horizontal grid).

For each: the map, the point series, the box area mean and the Hovmöller through ExplorerState,
compared with the same selection computed directly from netCDF4/h5py reads and numpy, or a clear
alert where a view cannot apply; the exported script, run in a fresh process, gives what the
explorer showed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import h5py
import netCDF4
import numpy as np
import pyproj
import pytest

from tests.grids import POLAR_X, POLAR_Y, polar_granule, record, swath_granule
from vstore_explorer.app.state import NO_LIMITS, ExplorerState
from vstore_explorer.axes import find_axes
from vstore_explorer.build.icechunk_store import build_icechunk
from vstore_explorer.catalog.local import LocalCatalog
from vstore_explorer.geodesy import great_circle_km

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning", "ignore::RuntimeWarning")
G = Path(__file__).resolve().parents[3] / "shared" / "fixtures" / "granules"
ASCAT = next(G.glob("ascat_l2_netcdf3/*.nc"))
GPM = next(G.glob("gpm_1c_ssmi_swath_groups/*.HDF5"))
SMAP = next(G.glob("smap_l4_projected_groups/*.h5"))
ATL16 = next(G.glob("atl16_nested_groups/*.nc4"))
GAMSSA = next(G.glob("gamssa_ghrsst_l4/*.nc"))
GLDAS = sorted(G.glob("gldas_noah025_3h/*.nc4"))
SENTINEL6 = next(G.glob("sentinel6_l2_groups/*.nc"))
DMRPP = G / "dmrpp_pairs" / "chunked_gzipped_threeD.h5"
GPM_TIME = r"filename:(\d{8})-S(\d{6})"


@pytest.fixture(scope="module")
def grids(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root = tmp_path_factory.mktemp("grids")
    records = root / "records"
    records.mkdir()
    (root / "swaths").mkdir()
    swaths = [
        swath_granule(root / "swaths" / f"1C.SWATH.2020010{k + 1}-S00000{k}.HDF5", k)
        for k in range(3)
    ]
    (root / "polar").mkdir()
    polar = [polar_granule(root / "polar" / f"ice_{d}.nc", d) for d in range(3)]
    stores = {
        "POLAR": (polar, {}),
        "ASCAT": ([ASCAT], {"dim": "NUMROWS"}),
        "SWATHS": (swaths, {"group": "S1", "time_from": GPM_TIME}),
        "GPM1C": ([GPM], {"group": ["S1", "S2"], "time_from": GPM_TIME}),
        "SMAPL4": ([SMAP], {"group": "Analysis_Data", "time_from": "coord:/time"}),
        "ATL16": ([ATL16], {"group": "group1/group2", "time_from": "attr:time_coverage_start"}),
        "GAMSSA": ([GAMSSA], {}),
        "GLDAS": (GLDAS, {}),
        "SENTINEL6": ([SENTINEL6], {"group": ["data_01", "data_01/ku"]}),
        "DMRPP": ([DMRPP], {"dim": "phony_dim_0"}),
    }
    for n, (name, (files, options)) in enumerate(stores.items()):
        store = root / f"{name}.icechunk"
        build_icechunk(files, str(store), **options)
        record(records, name, store.as_uri(), n)
    return {"records": records, "swaths": swaths, "polar": polar}


def _state(grids: dict[str, Any], short_name: str) -> ExplorerState:
    state = ExplorerState(catalog=LocalCatalog(grids["records"]), limits=NO_LIMITS)
    state.search()
    assert state.select_collection(short_name), state.alert
    return state


def _run(script: str, tmp_path: Path) -> np.ndarray:
    """The exported script's ``result`` values, from a fresh process."""
    path, out = tmp_path / "export.py", tmp_path / "out.npy"
    path.write_text(
        script.replace(
            "plot = ", f"import numpy\nnumpy.save({str(out)!r}, result.values)\nplot = ", 1
        )
    )
    done = subprocess.run([sys.executable, str(path)], timeout=300, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-3000:]
    return np.load(out)


def _ascat(name: str) -> np.ndarray:
    """A variable of the ASCAT granule as netCDF4 reads it (valid range and fill masked)."""
    with netCDF4.Dataset(ASCAT) as nc:
        return np.ma.filled(nc[name][:].astype("f8"), np.nan)


def _nearest(lat: np.ndarray, lon: np.ndarray, lat0: float, lon0: float) -> tuple[int, ...]:
    distance = np.where(np.isfinite(lat), great_circle_km(lat, lon, lat0, lon0), np.inf)
    return tuple(int(i) for i in np.unravel_index(np.argmin(distance), distance.shape))


def _in_box(lat: np.ndarray, lon: np.ndarray, box: tuple[float, ...]) -> np.ndarray:
    west, south, east, north = box
    width = east - west if west < east else east - west + 360  # eastward from west to east
    return (lat >= south) & (lat <= north) & ((lon - west) % 360 <= width)


def test_an_ascat_netcdf3_swath_maps_points_and_boxes_as_netcdf4_reads_it(grids, tmp_path):
    state = _state(grids, "ASCAT")
    state.variable = "wind_speed"
    lat, lon, wind = _ascat("lat"), _ascat("lon"), _ascat("wind_speed")
    shown = state.result("map")
    assert shown is not None, state.alert
    assert (shown.plot[0], shown.plot[1]["x"], shown.plot[1]["y"]) == ("quadmesh", "lon", "lat")
    np.testing.assert_array_equal(shown.data.values, wind)
    np.testing.assert_array_equal(shown.data["lat"].values, lat)
    assert "NUMROWS" in state.cost_text or "chunk" in state.cost_text

    # a point: the nearest cell by great-circle distance (on the 0..360 grid, asked in -180..180)
    candidates = np.flatnonzero((lon[:, 20] > 200) & (np.abs(lat[:, 20]) < 50))
    i, j = int(candidates[len(candidates) // 2]), 20
    lon0, lat0 = float(lon[i, j]) - 360 + 0.03, float(lat[i, j]) + 0.02
    state.set_point(lon0, lat0)
    state.view = "timeseries"  # a single swath has no time axis: said, not drawn blank
    assert state.result("timeseries") is None and "time" in state.alert
    state.view = "map"
    point = state.selection()
    cell = _nearest(lat, lon, lat0, lon0)
    assert cell == (i, j)
    from vstore_explorer.compute import Request

    value = Request(state.handle, point).load()
    assert float(value) == wind[cell]

    # a box: the window covering it, cells outside masked; its area mean is cos-weighted
    box = (lon0 - 3.0, lat0 - 3.0, lon0 + 3.0, lat0 + 3.0)
    state.set_box(*box)
    boxed = state.result("map")
    assert boxed is not None, state.alert
    inside = _in_box(lat, lon, box)
    rows, cols = np.flatnonzero(inside.any(axis=1)), np.flatnonzero(inside.any(axis=0))
    window = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))
    expected = np.where(inside, wind, np.nan)[window]
    np.testing.assert_array_equal(boxed.data.values, expected)
    assert np.isfinite(boxed.data.values).sum() == np.isfinite(wind[inside]).sum() > 100
    np.testing.assert_array_equal(_run(state.code, tmp_path), boxed.data.values)

    mean = Request(state.handle, state.selection().replace(reduction="area_mean")).load()
    weights = np.cos(np.deg2rad(lat))
    ok = inside & np.isfinite(wind)
    direct = np.sum(wind[ok] * weights[ok]) / np.sum(weights[ok])
    assert float(mean) == pytest.approx(direct, rel=1e-12)

    state.view = "hovmoller"
    assert state.result("hovmoller") is None
    assert "regular latitude/longitude grid" in state.alert and "'lat'/'lon'" in state.alert

    state.view = "map"  # back to the whole swath
    state.where = "all"
    np.testing.assert_array_equal(state.result("map").data.values, wind)


def _swath_arrays(path: Path) -> dict[str, np.ndarray]:
    with netCDF4.Dataset(path) as nc:
        return {k: np.ma.filled(nc["S1"][k][:].astype("f8"), np.nan) for k in nc["S1"].variables}


def test_a_store_of_swaths_follows_each_granules_geolocation(grids, tmp_path):
    state = _state(grids, "SWATHS")
    assert state.param.variable.objects == ["Tc"]  # Latitude/Longitude locate it, not listed
    granules = [_swath_arrays(p) for p in grids["swaths"]]
    assert len(state.times) == 3

    state.time_start = state.time_end = state.times[1]
    shown = state.result("map")
    assert shown is not None, state.alert
    assert shown.plot[1]["x"] == "Longitude" and shown.plot[0] == "quadmesh"
    np.testing.assert_allclose(shown.data.values[0], granules[1]["Tc"], rtol=1e-6)

    # a point near the second granule's cell (6, 2), which is also the first granule's cell
    # (6, 7): the nearest cell of each swath, masked where that swath does not come near it
    # (farther than the cell spacing: the larger of the median row and column steps)
    g = granules[1]
    lat0, lon0 = float(g["Latitude"][6, 2]) + 0.05, float(g["Longitude"][6, 2]) + 0.05
    lat1, lon1 = g["Latitude"][0], g["Longitude"][0]
    reach = max(
        np.median(great_circle_km(lat1[1:], lon1[1:], lat1[:-1], lon1[:-1])),
        np.median(
            great_circle_km(
                g["Latitude"][1:, 0],
                g["Longitude"][1:, 0],
                g["Latitude"][:-1, 0],
                g["Longitude"][:-1, 0],
            )
        ),
    )
    state.time_start, state.time_end = state.times[0], state.times[-1]
    state.set_point(lon0, lat0)
    state.view = "timeseries"
    series = state.result("timeseries")
    assert series is not None, state.alert
    expected = []
    for arrays in granules:
        cell = _nearest(arrays["Latitude"], arrays["Longitude"], lat0, lon0)
        far = great_circle_km(arrays["Latitude"][cell], arrays["Longitude"][cell], lat0, lon0)
        expected.append(arrays["Tc"][cell] if far <= reach else np.nan)
    np.testing.assert_allclose(series.data.values, expected, rtol=1e-6)
    assert np.isfinite(series.data.values).sum() == 2  # the third swath is 8 degrees away
    (far_mask,) = [op for op in series.request.ops if op.name == "far_mask"]
    assert far_mask["max_km"] == pytest.approx(reach, rel=1e-3)
    np.testing.assert_allclose(_run(state.code, tmp_path), series.data.values, rtol=0)

    # a box across the antimeridian: the area mean of each swath's cells in it
    box = (178.0, -2.0, -178.0, 4.0)
    state.set_box(*box)
    means = state.result("timeseries")
    assert means is not None, state.alert
    direct = []
    for arrays in granules:
        inside = _in_box(arrays["Latitude"], arrays["Longitude"], box) & np.isfinite(arrays["Tc"])
        w = np.cos(np.deg2rad(arrays["Latitude"]))
        direct.append(np.sum(arrays["Tc"][inside] * w[inside]) / np.sum(w[inside]))
    np.testing.assert_allclose(means.data.values, direct, rtol=1e-9)
    assert "cos(latitude" in " ".join(means.request.describe())

    state.view = "hovmoller"
    assert state.result("hovmoller") is None and "swath or curvilinear" in state.alert
    state.view = "timeseries"  # back: the series is shown again
    assert state.result("timeseries") is not None


def test_the_real_gpm_granule_holds_only_fill_values_and_every_view_says_so(grids):
    state = _state(grids, "GPM1C")
    with h5py.File(GPM) as f:
        assert (f["S1/Latitude"][...] == np.float32(-9999.9)).all()
    assert state.variable is not None
    for view in ("map", "timeseries", "hovmoller"):
        state.view = view
        assert state.result(view) is None
        assert state.alert_level in ("info", "warning", "danger")
        assert "missing" in state.alert or "regular latitude/longitude" in state.alert


def test_a_one_step_projected_smap_group_maps_and_says_why_series_cannot(grids, tmp_path):
    state = _state(grids, "SMAPL4")
    assert state.times and len(state.times) == 1
    shown = state.result("map")
    assert shown is not None, state.alert
    with h5py.File(SMAP) as f:
        raw = f["Analysis_Data/sm_rootzone_analysis"][...].astype("f8")
        fill = f["Analysis_Data/sm_rootzone_analysis"].attrs["_FillValue"]
    direct = np.where((raw == fill) | (raw < 0) | (raw > np.float32(0.9)), np.nan, raw)
    np.testing.assert_allclose(shown.data.values.squeeze(), direct.squeeze(), rtol=1e-7)
    np.testing.assert_allclose(_run(state.code, tmp_path), shown.data.values, rtol=0)
    for view in ("timeseries", "hovmoller"):
        state.view = view
        assert state.result(view) is None
        assert "two or more time steps" in state.alert and "one" in state.alert


def test_a_group_without_a_horizontal_grid_is_an_info_alert(grids):
    state = ExplorerState(catalog=LocalCatalog(grids["records"]), limits=NO_LIMITS)
    state.search()
    state.select_collection("ATL16")
    assert state.variable is None
    assert "no variable located on a latitude/longitude grid" in state.alert


def _polar(path: Path) -> dict[str, np.ndarray]:
    """The polar granule as netCDF4 reads it, with each cell's lon/lat and area from pyproj."""
    with netCDF4.Dataset(path) as nc:
        ice = np.ma.filled(nc["ice"][0].astype("f8"), np.nan)
    xx, yy = np.meshgrid(POLAR_X, POLAR_Y)
    lon, lat = pyproj.Transformer.from_crs("EPSG:3413", "EPSG:4326", always_xy=True).transform(
        xx, yy
    )
    scale = pyproj.Proj("EPSG:3413").get_factors(lon, lat).areal_scale
    return {"ice": ice, "lon": lon, "lat": lat, "area": 100e3 * 100e3 / scale / 1e6}


def test_a_polar_stereographic_grid_is_transformed_not_guessed(grids, tmp_path):
    state = _state(grids, "POLAR")
    assert state.param.variable.objects == ["ice"]
    days = [_polar(p) for p in grids["polar"]]
    state.time_start = state.time_end = state.times[2]
    shown = state.result("map")
    assert shown is not None, state.alert
    assert shown.plot[0] == "quadmesh" and (shown.plot[1]["x"], shown.plot[1]["y"]) == (
        "lon",
        "lat",
    )
    np.testing.assert_array_equal(shown.data.values[0], days[2]["ice"])
    np.testing.assert_allclose(shown.data["lat"].values, days[2]["lat"], rtol=0, atol=1e-9)
    np.testing.assert_allclose(shown.data["lon"].values, days[2]["lon"], rtol=0, atol=1e-9)
    np.testing.assert_array_equal(_run(state.code, tmp_path), shown.data.values)

    # a point: the cell that contains it, found in the projection
    state.time_start, state.time_end = state.times[0], state.times[-1]
    px, py = pyproj.Transformer.from_crs("EPSG:4326", "EPSG:3413", always_xy=True).transform(
        -30.0, 78.0
    )
    i, j = int(np.argmin(np.abs(POLAR_Y - py))), int(np.argmin(np.abs(POLAR_X - px)))
    state.set_point(-30.0, 78.0)
    state.view = "timeseries"
    series = state.result("timeseries")
    assert series is not None, state.alert
    np.testing.assert_array_equal(series.data.values, [d["ice"][i, j] for d in days])
    assert float(series.data["lat"]) == pytest.approx(days[0]["lat"][i, j], abs=1e-9)

    # a box around the pole, and one across the antimeridian: masked by each cell's lon/lat,
    # area means weighted by each cell's area on the ellipsoid
    for box in ((-180.0, 70.0, 180.0, 90.0), (170.0, 60.0, -160.0, 80.0)):
        state.set_box(*box)
        means = state.result("timeseries")
        assert means is not None, state.alert
        expected = []
        for d in days:
            inside = _in_box(d["lat"], d["lon"], box) & np.isfinite(d["ice"])
            expected.append(np.sum(d["ice"][inside] * d["area"][inside]) / d["area"][inside].sum())
        np.testing.assert_allclose(means.data.values, expected, rtol=1e-9)
        assert "area on the ellipsoid" in " ".join(means.request.describe())
    np.testing.assert_allclose(_run(state.code, tmp_path), means.data.values, rtol=1e-12)

    state.view = "map"
    state.time_start = state.time_end = state.times[0]
    boxed = state.result("map")
    d = days[0]
    inside = _in_box(d["lat"], d["lon"], box)
    assert np.isfinite(boxed.data.values).sum() == np.isfinite(d["ice"][inside]).sum() > 10
    shown_lat = boxed.data["lat"].values[np.isfinite(boxed.data.values[0])]
    assert shown_lat.min() >= 60.0 and shown_lat.max() <= 80.0

    state.view = "hovmoller"
    assert state.result("hovmoller") is None and "projected x/y" in state.alert

    state.where = "point"
    state.lon, state.lat = 100.0, 10.0  # far off this Arctic grid
    state.view = "timeseries"
    state.result("timeseries")
    assert "off the grid" in state.alert and "latitude 10" in state.alert


ALL = (
    "POLAR",
    "ASCAT",
    "SWATHS",
    "GPM1C",
    "SMAPL4",
    "ATL16",
    "GAMSSA",
    "GLDAS",
    "SENTINEL6",
    "DMRPP",
)


@pytest.mark.parametrize("short_name", ALL)
def test_every_store_in_every_view_holds_finite_data_or_says_why(grids, short_name):
    """No blank without a message: each view of each store (the whole grid, then a box in its
    middle) is a plot of finite values for the view's own selection, or an alert; never an
    unexpected error."""
    state = ExplorerState(catalog=LocalCatalog(grids["records"]), limits=NO_LIMITS)
    state.search()
    state.select_collection(short_name)
    if state.variable is None:
        assert state.alert_level == "info" and "latitude/longitude grid" in state.alert
        return
    outcomes = []
    for where in ("all", "box"):
        if where == "box":
            state.view = "map"
            whole = state.result("map")
            if whole is None:  # the whole grid did not draw: said so above
                break
            assert not state.alert, state.alert  # the last view's message went with it
            axes = find_axes(whole.data)
            lats = whole.data[axes.lat or axes.geo_lat].values
            lons = whole.data[axes.lon or axes.geo_lon].values
            mid_lat, mid_lon = float(np.nanmedian(lats)), float(np.nanmedian(lons))
            mid_lon = mid_lon - 360 if mid_lon > 180 else mid_lon
            state.set_box(mid_lon - 5, max(mid_lat - 5, -90), mid_lon + 5, min(mid_lat + 5, 90))
        for view in ("map", "timeseries", "hovmoller"):
            state.view = view
            shown = state.result(view)
            fresh = shown is not None and shown.selection == state.view_selection(view)
            assert "Unexpected error" not in state.alert, state.alert
            if fresh and not state.alert:
                values = np.asarray(shown.data.values, dtype="f8")
                assert np.isfinite(values).any(), (view, where)
                outcomes.append((where, view, "plot"))
            else:
                assert state.alert, (where, view)
                outcomes.append((where, view, "alert"))
    assert ("all", "map", "plot") in outcomes or short_name == "GPM1C"  # GPM: all fill values


def test_gamssa_area_means_match_float64_netcdf4_to_1e9(grids):
    """float64 cos(latitude) weights: the float32 latitudes no longer bias the mean (1e-5)."""
    state = _state(grids, "GAMSSA")
    state.variable = "analysed_sst"
    box = (-170.0, -5.0, -120.0, 5.0)
    state.set_box(*box)
    from vstore_explorer.compute import Request

    request = Request(state.handle, state.view_selection("timeseries"))  # one step: no plot
    mean = request.load()
    with netCDF4.Dataset(GAMSSA) as nc:
        lat = nc["lat"][:].astype("f8")
        lon = nc["lon"][:].astype("f8")
        sst = np.ma.filled(nc["analysed_sst"][0].astype("f8"), np.nan)
    rows = (lat >= box[1]) & (lat <= box[3])
    cols = (lon >= box[0]) & (lon <= box[2])
    field = sst[np.ix_(rows, cols)]
    w = np.broadcast_to(np.cos(np.deg2rad(lat[rows]))[:, None], field.shape) * np.isfinite(field)
    direct = np.nansum(field * w) / w.sum()
    assert float(mean.values[0]) == pytest.approx(direct, rel=1e-9)
    assert "float64" in " ".join(request.describe())


@pytest.mark.parametrize("short_name", ALL)
def test_every_store_downloads_applies_and_compares_what_it_shows_or_says_why(
    grids, short_name, tmp_path
):
    """The explorer's later additions on every real layout: a costly view waits for Apply and
    then loads; the NetCDF download of a one-step subset holds exactly the map's values (with
    its provenance); the GeoTIFF is the map, or a refusal naming why; a second variable on the
    series is both variables, or an alert."""
    import io

    import rasterio
    import xarray as xr

    state = _state(grids, short_name) if short_name != "ATL16" else None
    if state is None or state.variable is None:
        return  # no horizontal grid: an info alert (test above)
    if state.times:  # one step: the subset is the map's time step
        state.param.update(time_start=state.times[0], time_end=state.times[0])
    state.view = "map"
    shown = state.result("map")
    if shown is None:
        assert state.alert  # e.g. GPM 1C: only fill values, and it says so
        return
    values = np.asarray(shown.data.values, dtype="f8")

    payload = state.netcdf_bytes()
    assert payload is not None, state.alert
    with xr.open_dataset(io.BytesIO(payload), engine="h5netcdf") as nc:
        assert nc.attrs["vstore_explorer_selection"] == state.selection().to_query()
        got = np.asarray(nc[state.variable].values, dtype="f8")
    np.testing.assert_array_equal(got.reshape(values.shape), values)

    tif = state.geotiff_bytes()
    if tif is None:
        assert state.alert and ("regrid" in state.alert or "GeoTIFF" in state.alert), state.alert
        state.alert = ""
    else:
        with rasterio.open(io.BytesIO(tif)) as raster:
            band = raster.read(1, masked=True).filled(np.nan).astype("f8")
        assert band.size == np.squeeze(values).size
        np.testing.assert_allclose(
            np.sort(band[np.isfinite(band)]), np.sort(values[np.isfinite(values)]), rtol=1e-6
        )

    state.apply_above = 0.0  # every change "takes a while": it waits for Apply
    if len(state.times) > 1:  # the whole record again, for the series
        state.param.update(time_start=state.times[0], time_end=state.times[-1])
    state.view = "timeseries"
    if state.pending:
        assert "press Apply" in state.status and state.code
        state.apply()
    series = state.result("timeseries")
    assert (series is not None and not state.pending) or state.alert, short_name

    others = [v for v in state.param.variable.objects if v != state.variable]
    if series is None or not others:
        return
    state.compare = others[0]
    if state.pending:
        state.apply()
    both = state.result("timeseries")
    if both is not None and both.selection.variables == (state.variable, others[0]):
        assert set(both.data.data_vars) == {state.variable, others[0]}
    else:
        assert state.alert, short_name
