"""Axis detection from CF metadata and names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.strategies import grid_dataset
from vstore_explorer.axes import Axes, find_axes


def test_plain_grid() -> None:
    assert find_axes(grid_dataset()) == Axes(
        time="time",
        lat="lat",
        lon="lon",
        level=None,
        lat_descending=False,
        lon_convention="-180..180",
        cftime=False,
        calendar="proleptic_gregorian",
    )


def test_descending_360_level_cftime() -> None:
    axes = find_axes(grid_dataset(lat_descending=True, lon360=True, level=True, use_cftime=True))
    assert (axes.level, axes.lat_descending, axes.lon_convention) == ("plev", True, "0..360")
    assert (axes.cftime, axes.calendar) == (True, "noleap")


def test_calendar_of_decoded_numpy_times() -> None:
    axes = find_axes(grid_dataset(packed=True))
    assert (axes.cftime, axes.calendar) == (False, "standard")


def test_cf_metadata_beats_odd_names() -> None:
    ds = xr.Dataset(
        coords={
            "t": pd.date_range("2020-01-01", periods=2),
            "yc": ("yc", [0.0, 1.0], {"units": "degrees_north"}),
            "xc": ("xc", [0.0, 1.0], {"units": "degrees_east"}),
            "pfull": ("pfull", [1000.0, 500.0], {"units": "hPa"}),
            "level": ("level", [1, 2]),  # a name candidate, but pfull has CF units
        }
    )
    axes = find_axes(ds)
    assert (axes.time, axes.lat, axes.lon, axes.level) == ("t", "yc", "xc", "pfull")


def test_standard_name_axis_and_positive() -> None:
    ds = xr.Dataset(
        coords={
            "row": ("row", [5.0, 4.0], {"axis": "Y", "units": "degrees"}),
            "col": ("col", [0.0, 1.0], {"axis": "X"}),
            "z_l": ("z_l", [5.0, 15.0], {"positive": "down", "units": "m"}),
            "when": ("when", [0, 1], {"standard_name": "time", "units": "days since 2000-01-01"}),
        }
    )
    axes = find_axes(ds)
    assert (axes.time, axes.lat, axes.lon, axes.level) == ("when", "row", "col", "z_l")
    assert axes.lat_descending is True


def test_names_when_no_metadata() -> None:
    ds = xr.Dataset(
        coords={
            "latitude": [0.0, 1.0],
            "longitude": [100.0, 200.0, 300.0],
            "StdPressureLev": [1000.0, 850.0],
            "time": [0, 1],
        }
    )
    axes = find_axes(ds)
    assert (axes.time, axes.lat, axes.lon, axes.level) == (
        "time",
        "latitude",
        "longitude",
        "StdPressureLev",
    )
    assert axes.lon_convention == "0..360"


def test_projected_xy_in_metres_are_not_lat_lon() -> None:
    ds = xr.Dataset(
        coords={
            "x": ("x", [0.0, 1000.0], {"units": "m"}),
            "y": ("y", [0.0, 1000.0], {"units": "m"}),
        }
    )
    axes = find_axes(ds)
    assert (axes.lat, axes.lon, axes.lon_convention) == (None, None, None)


def test_regional_positive_grid_is_minus180_convention() -> None:
    ds = xr.Dataset(coords={"lat": [0.0, 1.0], "lon": np.arange(0.0, 101.0, 10.0)})
    assert find_axes(ds).lon_convention == "-180..180"


def test_curvilinear_coordinates_are_not_axes() -> None:
    lat2d = xr.DataArray(np.zeros((2, 3)), dims=("j", "i"), attrs={"units": "degrees_north"})
    ds = xr.Dataset(coords={"nav_lat": lat2d})
    assert find_axes(ds) == Axes()


def test_dataarray_and_bad_input() -> None:
    assert find_axes(grid_dataset()["sst"]).lat == "lat"
    with pytest.raises(ValueError, match="Dataset or DataArray"):
        find_axes(np.zeros(3))  # type: ignore[arg-type]
