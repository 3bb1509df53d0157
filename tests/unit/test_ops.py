"""Plans and their lazy execution on synthetic grids (numpy, lazily indexed, dask, cftime)."""

from __future__ import annotations

import doctest
from typing import Any

import dask
import numpy as np
import pytest
import xarray as xr
from hypothesis import HealthCheck, given, settings
from xarray.backends import BackendArray
from xarray.core import indexing

import vstore_explorer.axes
import vstore_explorer.codegen
import vstore_explorer.ops
import vstore_explorer.selection
from tests.strategies import grid_dataset, selections
from vstore_explorer.ops import Op, apply, describe, execute, plan
from vstore_explorer.selection import Selection

GRIDS = {
    "plain": {},
    "descending_360": {"lat_descending": True, "lon360": True},
    "level_cftime": {"level": True, "use_cftime": True},
    "packed": {"packed": True},
}


class RecordingArray(BackendArray):
    """A lazily indexed backend array that records what it reads (or refuses to read)."""

    def __init__(self, data: np.ndarray, log: list[int], forbid: bool = False) -> None:
        self.data, self.shape, self.dtype = data, data.shape, data.dtype
        self.log, self.forbid = log, forbid

    def __getitem__(self, key: Any) -> np.ndarray:
        support = indexing.IndexingSupport.OUTER
        return indexing.explicit_indexing_adapter(key, self.shape, support, self._read)

    def _read(self, key: tuple[Any, ...]) -> np.ndarray:
        if self.forbid:
            raise AssertionError(f"data variable read with {key}")
        out = self.data
        for axis in reversed(range(len(key))):  # orthogonal indexing, last axis first
            index = [slice(None)] * (axis + 1)
            index[axis] = key[axis]
            out = out[tuple(index)]
        self.log.append(out.size)
        return out


def lazily_indexed(
    ds: xr.Dataset, log: list[int], *, forbid: bool = False, chunks: dict[str, int] | None = None
) -> xr.Dataset:
    """``ds`` with every data variable behind a recording backend (like a store opened lazily)."""
    out = ds.copy()
    for name, var in ds.data_vars.items():
        backend = indexing.LazilyIndexedArray(RecordingArray(var.values, log, forbid))
        encoding = {"preferred_chunks": {d: chunks[d] for d in var.dims}} if chunks else {}
        out[name] = xr.Variable(var.dims, backend, var.attrs, encoding=encoding)
    return out


def _no_compute(*args: Any, **kwargs: Any) -> Any:
    raise AssertionError("dask computed something")


def test_op_is_plain_hashable_data() -> None:
    op = Op.make("bbox_slice", indexers=[["lat", np.float64(1.0), 2.0]])
    assert op.args == (("indexers", (("lat", 1.0, 2.0),)),)
    assert type(op["indexers"][0][1]) is float
    assert op == Op.make("bbox_slice", indexers=(("lat", 1.0, 2.0),)) and hash(op)
    with pytest.raises(ValueError, match="unknown op 'drop'"):
        Op.make("drop")
    with pytest.raises(ValueError, match="plain data"):
        Op.make("chunk", chunks=object())
    with pytest.raises(ValueError, match="finite"):
        Op.make("level_nearest", dim="plev", value=float("nan"))


def test_doctests() -> None:
    for module in (vstore_explorer.axes, vstore_explorer.selection, vstore_explorer.ops):
        assert doctest.testmod(module).failed == 0
    assert doctest.testmod(vstore_explorer.codegen).failed == 0


def test_variables() -> None:
    ds = grid_dataset()
    one = apply(ds, Selection(variables=("sst",)))
    assert isinstance(one, xr.DataArray) and one.name == "sst"
    several = apply(ds, Selection(variables=("sst", "err")))
    assert isinstance(several, xr.Dataset) and list(several.data_vars) == ["sst", "err"]
    assert list(apply(ds, Selection()).data_vars) == ["sst", "err", "mask"]
    with pytest.raises(ValueError, match="data variables are: 'sst', 'err', 'mask'"):
        plan(ds, Selection(variables=("sst", "chl")))
    with pytest.raises(ValueError, match="no data variables"):
        plan(xr.Dataset(coords={"lat": [0.0]}), Selection())


@pytest.mark.parametrize("use_cftime", [False, True])
def test_time_range(use_cftime: bool) -> None:
    ds = grid_dataset(ntime=40, use_cftime=use_cftime)
    out = apply(ds, Selection(variables=("sst",), time=("2001-01-03", "2001-01-05T00:00:00")))
    days = [f"{t.year}-{t.month:02d}-{t.day:02d}" for t in out.indexes["time"]]
    assert days == ["2001-01-03", "2001-01-04", "2001-01-05"]
    assert apply(ds, Selection(variables=("sst",), time=("2001-02", None))).sizes["time"] == 9
    assert apply(ds, Selection(variables=("sst",), time=(None, "2001-01-01"))).sizes["time"] == 1
    with pytest.raises(ValueError, match="data covers 2001-01-01T00:00:00 to 2001-02-09"):
        plan(ds, Selection(time=("2002-01-01", "2002-02-01")))


def test_time_invalid_for_calendar() -> None:
    ds = grid_dataset(use_cftime=True)
    with pytest.raises(ValueError, match="cannot be selected.*invalid day number"):
        plan(ds, Selection(time=("2001-02-29", None)))  # no Feb 29 in the noleap calendar


def test_time_needs_a_time_dimension() -> None:
    with pytest.raises(ValueError, match="needs dimension 'time'.*\\['mask'\\]"):
        plan(grid_dataset(), Selection(variables=("mask",), time=("2001", "2001")))


@pytest.mark.parametrize("descending", [False, True])
def test_bbox_latitude_ascending_or_descending(descending: bool) -> None:
    ds = grid_dataset(lat_descending=descending)
    ops = plan(ds, Selection(variables=("sst",), bbox=(-30, -20, 30, 40)))
    expected = (("lat", 40.0, -20.0),) if descending else (("lat", -20.0, 40.0),)
    assert ops[1] == Op.make("bbox_slice", indexers=(*expected, ("lon", -30.0, 30.0)))
    out = execute(ds, ops)
    lats = [-7.5, 7.5, 22.5, 37.5]
    assert out.lat.values.tolist() == (lats[::-1] if descending else lats)
    assert out.lon.values.tolist() == [-22.5, -7.5, 7.5, 22.5]


@pytest.mark.parametrize(
    ("lon360", "bbox_lons", "expected", "crossing"),
    [
        (False, (150, -150), [-172.5, -157.5, 157.5, 172.5], True),  # antimeridian
        (False, (170, 190), [-172.5, 172.5], True),  # same, east given in 0..360
        (False, (200, 220), [-157.5, -142.5], False),  # 0..360 box on a -180..180 store
        (True, (150, -150), [157.5, 172.5, 187.5, 202.5], False),  # antimeridian, 0..360 store
        (True, (-20, 20), [7.5, 352.5], True),  # the 0/360 seam
        (True, (340, 20), [7.5, 352.5], True),  # the same box, given in 0..360
        (True, (-180, 180), None, False),  # whole globe: no longitude selection
    ],
)
def test_bbox_longitudes(
    lon360: bool, bbox_lons: tuple[float, float], expected: list[float] | None, crossing: bool
) -> None:
    ds = grid_dataset(lon360=lon360)
    west, east = bbox_lons
    ops = plan(ds, Selection(variables=("sst",), bbox=(west, -10, east, 10)))
    assert any(op.name == "lon_runs" for op in ops) is crossing
    out = execute(ds, ops)
    lons = out.lon.values.tolist()
    assert lons == (ds.lon.values.tolist() if expected is None else expected)
    xr.testing.assert_identical(out, ds.sst.sel(lat=slice(-10, 10), lon=lons))


def test_crossing_box_op_and_description() -> None:
    ops = plan(grid_dataset(), Selection(variables=("sst",), bbox=(150, -10, -150, 10)))
    assert ops[-1] == Op.make("lon_runs", dim="lon", runs=((0, 2), (22, 24)))
    assert describe(ops) == [
        "Variable 'sst'",
        "Box: 'lat' from -10 to 10",
        "Longitude 'lon' at positions 0:2, 22:24 (box crossing the antimeridian or the 0/360 seam)",
    ]


@pytest.mark.parametrize(
    ("bbox", "message"),
    [
        ((0, 1, 10, 2), "latitude 'lat' runs from -82.5 to 82.5 with a spacing of 15 degrees"),
        ((1, -10, 2, 10), "longitude 'lon' runs from -172.5 to 172.5 with a spacing of 15"),
        ((178, -10, -178, 10), "contains no grid point: longitude"),
    ],
)
def test_empty_box(bbox: tuple[float, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        plan(grid_dataset(), Selection(bbox=bbox))


@pytest.mark.parametrize(
    ("lon360", "point", "expected"),
    [
        (True, (-170.0, 31.0), (187.5, 37.5)),
        (False, (190.0, -31.0), (-172.5, -37.5)),
        (False, (179.0, 89.0), (172.5, 82.5)),
    ],
)
def test_point_nearest(
    lon360: bool, point: tuple[float, float], expected: tuple[float, float]
) -> None:
    ds = grid_dataset(lon360=lon360)
    out = apply(ds, Selection(variables=("sst",), point=point))
    assert out.dims == ("time",)
    assert (float(out.lon), float(out.lat)) == expected


def test_point_outside_a_regional_grid() -> None:
    ds = grid_dataset().sel(lon=slice(0, 60))
    with pytest.raises(ValueError, match="point longitude -100 is outside the grid"):
        plan(ds, Selection(point=(-100, 0)))


def test_level_nearest() -> None:
    ds = grid_dataset(level=True)
    out = apply(ds, Selection(variables=("sst",), level=600))
    assert float(out.plev) == 500.0 and "plev" not in out.dims
    with pytest.raises(ValueError, match="a level needs a vertical axis"):
        plan(grid_dataset(), Selection(level=500))


def test_stride() -> None:
    ds = grid_dataset()
    out = apply(ds, Selection(variables=("sst",), bbox=(-60, -60, 60, 60), stride=3))
    assert out.lat.values.tolist() == [-52.5, -7.5, 37.5]
    assert out.lon.values.tolist() == [-52.5, -7.5, 37.5]
    point = plan(ds, Selection(variables=("sst",), point=(0, 0), stride=3))
    assert [op.name for op in point] == ["select_variable", "point_nearest"]


def _area_mean_numpy(sst: np.ndarray, lat: np.ndarray) -> np.ndarray:
    weights = np.broadcast_to(np.cos(np.deg2rad(lat))[:, None], sst.shape[1:])
    valid = ~np.isnan(sst)
    return np.nansum(sst * weights, axis=(1, 2)) / np.sum(np.where(valid, weights, 0), axis=(1, 2))


@pytest.mark.parametrize("descending", [False, True])
def test_area_mean_against_numpy(descending: bool) -> None:
    ds = grid_dataset(lat_descending=descending)
    sel = Selection(variables=("sst",), bbox=(-100, -50, 100, 50), reduction="area_mean")
    out = apply(ds, sel)
    box = ds.sst.sel(lat=slice(50, -50) if descending else slice(-50, 50), lon=slice(-100, 100))
    expected = _area_mean_numpy(box.values.astype(float), box.lat.values)
    np.testing.assert_allclose(out.values, expected, rtol=1e-12)
    assert out.dims == ("time",)
    assert out.attrs == {"units": "kelvin", "long_name": "analysed sea surface temperature"}
    # the land cells (NaN) are left out: the mean differs from a plain weighted sum
    assert np.isnan(box.values).any()


@pytest.mark.filterwarnings("ignore:Mean of empty slice:RuntimeWarning")
def test_time_and_zonal_means_keep_attrs() -> None:
    ds = grid_dataset()
    time_mean = apply(ds, Selection(variables=("sst",), reduction="time_mean"))
    np.testing.assert_allclose(time_mean.values, np.nanmean(ds.sst.values, axis=0), rtol=1e-6)
    zonal = apply(ds, Selection(variables=("sst",), reduction="zonal_mean"))
    np.testing.assert_allclose(zonal.values, np.nanmean(ds.sst.values, axis=2), rtol=1e-6)
    for out in (time_mean, zonal):
        assert out.attrs["units"] == "kelvin" and out.attrs["long_name"].startswith("analysed")
    both = apply(ds, Selection(variables=("sst", "err"), reduction="time_mean"))
    assert both.attrs == ds.attrs and both.err.attrs["long_name"] == "error"


def test_reduction_needs_dimensions() -> None:
    ds = grid_dataset()
    with pytest.raises(ValueError, match=r"needs dimensions \['time'\].*\['mask'\]"):
        plan(ds, Selection(reduction="time_mean"))
    with pytest.raises(ValueError, match="needs dimension 'time'"):
        plan(ds, Selection(variables=("mask",), reduction="time_mean"))
    no_lon = ds.isel(lon=0, drop=True)
    with pytest.raises(ValueError, match="needs a longitude axis"):
        plan(no_lon, Selection(variables=("sst",), reduction="zonal_mean"))


def test_cf_decoded_values() -> None:
    plain, packed = grid_dataset(), grid_dataset(packed=True)
    assert not packed.sst.variable._in_memory  # lazily decoded
    sel = Selection(variables=("sst",), bbox=(150, -40, -150, 40), time=("2001-01-02", None))
    out = apply(packed, sel)
    assert not out.variable._in_memory
    np.testing.assert_allclose(out.values, apply(plain, sel).values, atol=0.006)
    assert np.isnan(out.values).sum() == np.isnan(apply(plain, sel).values).sum()


@pytest.mark.parametrize("name", list(GRIDS))
def test_lazily_indexed_backend_is_never_read(name: str) -> None:
    log: list[int] = []
    ds = lazily_indexed(grid_dataset(**GRIDS[name]), log, forbid=True)

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(selections(ds))
    def check(sel: Selection) -> None:
        out = apply(ds, sel)
        arrays = [out.variable] if isinstance(out, xr.DataArray) else out.data_vars.values()
        for var in arrays:
            if sel.reduction == "none":
                assert not var._in_memory
            else:
                assert var.chunks is not None  # went through dask, not computed

    check()
    assert log == []


@pytest.mark.parametrize("name", list(GRIDS))
def test_dask_input_is_not_computed(name: str) -> None:
    ds = grid_dataset(**GRIDS[name], chunks={"time": 2, "lat": 5, "lon": 7})

    @settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
    @given(selections(ds))
    def check(sel: Selection) -> None:
        ops = plan(ds, sel)
        assert all(op.name != "chunk" for op in ops)
        with dask.config.set(scheduler=_no_compute):
            out = execute(ds, ops)
        assert dask.is_dask_collection(out)

    check()


def test_reads_only_the_subset_or_its_stored_chunks() -> None:
    log: list[int] = []
    sel = Selection(
        variables=("sst",), bbox=(150, -10, -150, 10), time=("2001-01-02", "2001-01-03")
    )
    ds = lazily_indexed(grid_dataset(), log)
    out = apply(ds, sel).values
    assert out.shape == (2, 2, 4) and sum(log) == out.size  # exactly the cells asked for
    log.clear()
    means = apply(ds, sel.replace(reduction="area_mean")).values
    assert means.shape == (2,) and sum(log) == 16  # no chunk encoding: chunk("auto") of the subset
    chunked = lazily_indexed(grid_dataset(), log, chunks={"time": 1, "lat": 4, "lon": 8})
    ops = plan(chunked, sel.replace(reduction="area_mean"))
    assert ops[1] == Op.make("chunk", chunks=(("time", 1), ("lat", 4), ("lon", 8)))
    log.clear()
    np.testing.assert_allclose(execute(chunked, ops).values, means, rtol=1e-12)
    assert sorted(log) == [32] * 4  # 2 times x 1 lat chunk x 2 lon chunks, each read once, whole


def test_source_is_not_modified() -> None:
    ds = grid_dataset(level=True)
    before = ds.copy(deep=True)
    apply(
        ds,
        Selection(("sst",), ("2001-01-02", None), (150, -40, -150, 40), None, 600, "area_mean", 2),
    )
    xr.testing.assert_identical(ds, before)


def test_describe_every_op() -> None:
    ds = grid_dataset(level=True)
    sel = Selection(("sst", "err"), ("2001-01-02", None), None, (10, 20), 600, "time_mean", 2)
    assert describe(plan(ds, sel)) == [
        "Variables 'sst', 'err'",
        "Time 'time' from '2001-01-02' to the end (inclusive)",
        "Level 'plev' nearest to 600",
        "Grid point nearest to longitude 10, latitude 20 ('lon', 'lat')",
        "Compute lazily with dask (automatic chunks)",
        "Mean over time 'time'",
    ]
    zonal = describe(plan(ds, Selection(("sst",), reduction="zonal_mean", stride=2)))
    assert zonal[-3:] == [
        "One point in 2 along 'lat' and 'lon' (preview decimation)",
        "Compute lazily with dask (automatic chunks)",
        "Zonal mean (over longitude 'lon')",
    ]
