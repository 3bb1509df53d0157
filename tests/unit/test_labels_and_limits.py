"""What the explorer tells its user in words: titles naming the level, the area and the place
(east/west, north/south), messages without internal field names, sizes for the serve limits."""

from __future__ import annotations

import argparse

import numpy as np
import pytest
import xarray as xr

from vstore_explorer import plots
from vstore_explorer.app.cli import limits_of
from vstore_explorer.app.live import raster_options
from vstore_explorer.app.state.messages import message
from vstore_explorer.cost import Limits, parse_size
from vstore_explorer.errors import SelectionError
from vstore_explorer.selection import Selection


def test_a_point_series_title_says_west_and_south():
    da = xr.DataArray(
        np.arange(3.0),
        dims="time",
        coords={
            "time": np.array(["2024-01-01", "2024-01-02", "2024-01-03"], "datetime64[ns]"),
            "lat": xr.DataArray(-30.125, attrs={"units": "degrees_north"}),
            "lon": xr.DataArray(300.125, attrs={"units": "degrees_east"}),
        },
        name="sst",
        attrs={"long_name": "sea surface temperature"},
    )
    assert plots.spec(da, "timeseries")[1]["title"] == "sea surface temperature, 30.12°S, 59.88°W"


def test_a_level_and_an_area_are_in_the_title():
    da = xr.DataArray(
        np.zeros(3),
        dims="time",
        coords={
            "time": np.array(["2024-01-01", "2024-01-02", "2024-01-03"], "datetime64[ns]"),
            "plev": xr.DataArray(500.0, attrs={"units": "hPa"}),
        },
        name="t",
        attrs={"long_name": "air temperature"},
    )
    sel = Selection(bbox=(-170.0, -5.0, -120.0, 5.0), reduction="area_mean")
    title = plots.spec(da, "timeseries", where=plots.reduction_text(sel))[1]["title"]
    assert title == "air temperature at 500 hPa, area mean over 170°W–120°W, 5°S–5°N"
    assert plots.reduction_text(Selection(reduction="area_mean")) == "area mean over the whole grid"
    assert plots.reduction_text(Selection()) == ""


def test_errors_read_without_internal_field_names():
    with pytest.raises(SelectionError) as caught:
        Selection(point=(10.0, 95.0))
    assert message(caught.value).startswith("Point: latitude 95.0 is outside")
    with pytest.raises(SelectionError) as caught:
        Selection(stride=0)
    assert message(caught.value).startswith("Preview stride must be an integer")


@pytest.mark.parametrize(
    ("text", "size"),
    [("500MB", 5e8), ("2 GB", 2e9), ("1.5e9", 1.5e9), ("750kB", 7.5e5), ("1GiB", 2**30)],
)
def test_sizes_for_the_serve_limits(text, size):
    assert parse_size(text) == size


@pytest.mark.parametrize("text", ["", "lots", "-5MB", "0", "5 XB"])
def test_a_bad_size_names_what_to_give(text):
    with pytest.raises(ValueError, match="size"):
        parse_size(text)


def test_serve_limits_from_the_command_line():
    args = argparse.Namespace(max_read_bytes="200MB", max_memory_bytes="1GB")
    assert limits_of(args) == Limits(max_read_bytes=2e8, max_memory_bytes=1e9)
    with pytest.raises(ValueError, match="--max-read-bytes: 'huge' is not a size"):
        limits_of(argparse.Namespace(max_read_bytes="huge", max_memory_bytes=None))


def test_a_rasterized_plot_keeps_the_spec_look():
    da = xr.DataArray(
        np.random.default_rng(0).random((400, 800)),
        dims=("lat", "time"),
        coords={
            "lat": np.linspace(-89.8, 89.8, 400),
            "time": np.arange(800).astype("datetime64[D]").astype("datetime64[ns]"),
        },
        name="sst",
        attrs={"long_name": "sea surface temperature", "units": "K"},
    )
    method, kwargs = plots.spec(da, "hovmoller")
    assert kwargs["rasterize"]
    options = raster_options(kwargs)
    for key in ("cmap", "clim", "title", "frame_width", "frame_height", "clabel"):
        assert options[key] == kwargs[key]
    assert options["colorbar"] is True and "rasterize" not in options and "x" not in options
