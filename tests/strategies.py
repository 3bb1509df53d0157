"""Hypothesis strategies: valid :class:`Selection` draws for a given dataset.

``selections(ds)`` draws selections that ``apply(ds, sel)`` accepts: variables present (grouped by
identical dimensions so reductions are valid), time ranges within the data (full date-times, whole
days, open ends), boxes that contain grid points (including boxes crossing the antimeridian or the
0/360 seam, given in either longitude convention), points on the grid, levels when a level axis
exists, reductions valid for the draw and strides 1-4.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr
from hypothesis import strategies as st

from vstore_explorer.axes import Axes, find_axes
from vstore_explorer.selection import Selection, bbox_width


def grid_dataset(
    *,
    nlat: int = 12,
    nlon: int = 24,
    ntime: int = 6,
    lat_descending: bool = False,
    lon360: bool = False,
    level: bool = False,
    use_cftime: bool = False,
    packed: bool = False,
    chunks: dict[str, int] | None = None,
) -> xr.Dataset:
    """A small global grid like an L4 product: ``sst``/``err`` (time[, plev], lat, lon), ``mask``.

    Cell centres (``-90 + dy/2``...), longitudes in -180..180 or 0..360 (``lon360``), daily times
    from 2001-01-01 (``noleap`` cftime dates with ``use_cftime``), pressure levels in hPa
    (``level``), NaN "land" cells. ``packed`` stores int16 with scale/offset/fill and numeric time,
    then decodes with ``xr.decode_cf`` (lazily decoded arrays); ``chunks`` makes it dask-backed.
    """
    dy, dx = 180.0 / nlat, 360.0 / nlon
    lat = -90.0 + dy / 2 + dy * np.arange(nlat)
    if lat_descending:
        lat = lat[::-1]
    lon = (0.0 if lon360 else -180.0) + dx / 2 + dx * np.arange(nlon)
    if use_cftime:
        time = xr.date_range(
            "2001-01-01", periods=ntime, freq="D", calendar="noleap", use_cftime=True
        )
    else:
        time = pd.date_range("2001-01-01", periods=ntime, freq="D")
    lat2, lon2 = np.meshgrid(lat, lon, indexing="ij")
    land = (np.abs(lat2 - 20) < 25) & (np.abs(((lon2 + 180) % 360) - 200) < 30)
    base = 271.0 + 30.0 * np.cos(np.deg2rad(lat2)) + np.sin(np.deg2rad(lon2))
    steps = np.arange(ntime, dtype=float)[:, None, None]
    sst = base[None] + 0.25 * steps
    err = 0.1 + 0.01 * steps + 0.001 * np.abs(lat2)[None]
    sst[:, land], err[:, land] = np.nan, np.nan
    dims: tuple[str, ...] = ("time", "lat", "lon")
    coords: dict[str, Any] = {
        "time": ("time", time, {"standard_name": "time", "axis": "T"}),
        "lat": ("lat", lat, {"units": "degrees_north", "standard_name": "latitude"}),
        "lon": ("lon", lon, {"units": "degrees_east", "standard_name": "longitude"}),
    }
    if level:
        plev = np.array([1000.0, 850.0, 500.0, 250.0])
        factor = (plev / 1000.0)[None, :, None, None]
        sst, err = sst[:, None] * factor, err[:, None] * factor
        dims = ("time", "plev", "lat", "lon")
        coords["plev"] = ("plev", plev, {"units": "hPa", "positive": "down"})
    sst_attrs = {"units": "kelvin", "long_name": "analysed sea surface temperature"}
    ds = xr.Dataset(
        {
            "sst": (dims, sst.astype("float32"), sst_attrs),
            "err": (dims, err.astype("float32"), {"units": "kelvin", "long_name": "error"}),
            "mask": (("lat", "lon"), np.where(land, 2, 1).astype("int8"), {"long_name": "mask"}),
        },
        coords=coords,
        attrs={"title": "synthetic L4 grid"},
    )
    if packed:
        encoded = ds.copy()
        fill = np.int16(-32768)
        raw = np.where(np.isnan(sst), fill, np.round((sst - 273.15) / 0.01)).astype("int16")
        encoded["sst"] = (
            dims,
            raw,
            {**sst_attrs, "scale_factor": 0.01, "add_offset": 273.15, "_FillValue": fill},
        )
        encoded["time"] = (
            "time",
            np.arange(ntime) * 24.0,
            {
                "units": "hours since 2001-01-01 00:00:00",
                "calendar": "noleap" if use_cftime else "standard",
                "standard_name": "time",
            },
        )
        ds = xr.decode_cf(encoded)
    if chunks is not None:
        ds = ds.chunk(chunks)
    return ds


def _groups(ds: xr.Dataset, axes: Axes) -> list[tuple[tuple[str, ...], frozenset[Hashable]]]:
    """Data variables grouped by their set of dimensions, gridded ones (lat and lon) preferred."""
    names = [n for n in ds.data_vars if isinstance(n, str)]
    spatial = set(axes.spatial())
    gridded = [n for n in names if spatial and spatial <= set(ds[n].dims)]
    groups: dict[frozenset[Hashable], list[str]] = {}
    for name in gridded or names:
        groups.setdefault(frozenset(ds[name].dims), []).append(name)
    if not groups:
        raise ValueError("the dataset has no data variables to draw selections from")
    return [(tuple(members), dims) for dims, members in groups.items()]


def _iso(value: Any, whole_day: bool) -> str:
    if isinstance(value, np.datetime64):
        value = pd.Timestamp(value)
    text = f"{value.year:04d}-{value.month:02d}-{value.day:02d}"
    if whole_day:
        return text
    return f"{text}T{value.hour:02d}:{value.minute:02d}:{value.second:02d}"


def _spacing(values: np.ndarray) -> float:
    return float(np.median(np.abs(np.diff(values)))) if values.size > 1 else 1.0


def _other_convention(draw: st.DrawFn, lon: float) -> float:
    """``lon`` or the same meridian in the other convention, when that stays in [-180, 360]."""
    shifted = lon + 360.0 if lon < 0 else lon - 360.0
    if -180.0 <= shifted <= 360.0 and draw(st.booleans()):
        return shifted
    return lon


def _lon_in_range(lon: float) -> float:
    if lon < -180.0:
        return lon + 360.0
    if lon > 360.0:
        return lon - 360.0
    return lon


def _fraction(draw: st.DrawFn) -> float:
    return draw(st.floats(0.01, 0.49))


def _time_range(draw: st.DrawFn, ds: xr.Dataset, dim: str) -> tuple[str | None, str | None]:
    times = ds.indexes[dim]
    i = draw(st.integers(0, len(times) - 1))
    j = draw(st.integers(i, len(times) - 1))
    start = None if draw(st.integers(0, 5)) == 0 else _iso(times[i], draw(st.booleans()))
    end = None if draw(st.integers(0, 5)) == 0 else _iso(times[j], draw(st.booleans()))
    if start is None and end is None:
        end = _iso(times[j], False)
    return (start, end)


def _level(draw: st.DrawFn, ds: xr.Dataset, dim: str) -> float:
    values = np.asarray(ds.indexes[dim].values, dtype=float)
    value = float(draw(st.sampled_from(values.tolist())))
    return value + draw(st.floats(-0.4, 0.4)) * _spacing(values)


def _point(draw: st.DrawFn, lats: np.ndarray, lons: np.ndarray) -> tuple[float, float]:
    lat = draw(st.floats(float(lats.min()), float(lats.max())))
    lon = draw(st.floats(float(lons.min()), float(lons.max())))
    return (_other_convention(draw, lon), lat)


def _bbox(draw: st.DrawFn, lats: np.ndarray, lons: np.ndarray) -> tuple[float, ...]:
    lat_sorted, lon_sorted = np.sort(lats), np.sort(lons)
    i = draw(st.integers(0, lat_sorted.size - 1))
    j = draw(st.integers(i, lat_sorted.size - 1))
    dy = _spacing(lat_sorted)
    south = max(-90.0, float(lat_sorted[i]) - _fraction(draw) * dy)
    north = min(90.0, float(lat_sorted[j]) + _fraction(draw) * dy)
    n, dx = lon_sorted.size, _spacing(lon_sorted)
    is_global = n > 2 and float(np.ptp(lon_sorted)) + dx >= 359.999
    start = draw(st.integers(0, n - 1))
    if is_global:
        stop = (start + draw(st.integers(1, n - 1)) - 1) % n  # may wrap: crossing boxes
    else:
        stop = draw(st.integers(start, n - 1))
    west = _lon_in_range(float(lon_sorted[start]) - _fraction(draw) * dx)
    east = _lon_in_range(float(lon_sorted[stop]) + _fraction(draw) * dx)
    user_west, user_east = _other_convention(draw, west), _other_convention(draw, east)
    if abs(bbox_width(user_west, user_east) - bbox_width(west, east)) > 1e-6:
        user_west, user_east = west, east  # converting one edge alone changed the span by 360
    return (user_west, south, user_east, north)


@st.composite
def _selection(draw: st.DrawFn, ds: xr.Dataset, axes: Axes) -> Selection:
    groups = _groups(ds, axes)
    members, dims = draw(st.sampled_from(groups))
    all_names = [n for n in ds.data_vars]
    if len(members) == len(all_names) and draw(st.booleans()):
        variables: tuple[str, ...] = ()
    else:
        variables = tuple(draw(st.lists(st.sampled_from(members), min_size=1, unique=True)))
    fields: dict[str, Any] = {"variables": variables}
    if axes.time in dims and draw(st.booleans()):
        fields["time"] = _time_range(draw, ds, axes.time)
    if axes.level in dims and draw(st.booleans()):
        fields["level"] = _level(draw, ds, axes.level)
    spatial = axes.lat in dims and axes.lon in dims
    where = draw(st.sampled_from(["none", "bbox", "point"])) if spatial else "none"
    if where != "none":
        lats = np.asarray(ds.indexes[axes.lat].values, dtype=float)
        lons = np.asarray(ds.indexes[axes.lon].values, dtype=float)
        if where == "point":
            fields["point"] = _point(draw, lats, lons)
        else:
            fields["bbox"] = _bbox(draw, lats, lons)
    reductions = ["none"]
    if axes.time in dims:
        reductions.append("time_mean")
    if spatial and where != "point":
        reductions += ["area_mean", "zonal_mean"]
    fields["reduction"] = draw(st.sampled_from(reductions))
    fields["stride"] = draw(st.integers(1, 4))
    return Selection(**fields)


def selections(ds: xr.Dataset) -> st.SearchStrategy[Selection]:
    """Valid selections for ``ds`` (``apply(ds, sel)`` succeeds for every draw)."""
    return _selection(ds, find_axes(ds))


def any_selections() -> st.SearchStrategy[Selection]:
    """Valid selections independent of any dataset (for dict/query round trips)."""
    names = st.text(min_size=1, max_size=12)
    dates = st.dates().map(lambda d: f"{d.year:04d}-{d.month:02d}-{d.day:02d}")

    @st.composite
    def build(draw: st.DrawFn) -> Selection:
        variables = tuple(draw(st.lists(names, max_size=3, unique=True)))
        time = None
        if draw(st.booleans()):
            a, b = sorted([draw(dates), draw(dates)])
            time = (draw(st.sampled_from([a, None])), b)
        bbox = point = None
        where = draw(st.sampled_from(["none", "bbox", "point"]))
        lon = st.floats(-180, 360)
        if where == "bbox":
            south, north = sorted(draw(st.lists(st.floats(-90, 90), min_size=2, max_size=2)))
            west, east = draw(lon), draw(lon)
            width = east - west if west < east else east - west + 360
            if north == south or west == east or not 0 < width <= 360:
                south, north, west, east = -10.0, 10.0, 170.0, -170.0
            bbox = (west, south, east, north)
        elif where == "point":
            point = (draw(lon), draw(st.floats(-90, 90)))
        reduction = draw(
            st.sampled_from(["none", "time_mean"] if point else ["none", "time_mean", "area_mean"])
        )
        level = draw(st.none() | st.floats(-1e4, 1e4))
        return Selection(
            variables=variables,
            time=time,
            bbox=bbox,
            point=point,
            level=level,
            reduction=reduction,
            stride=draw(st.integers(1, 8)),
        )

    return build()
