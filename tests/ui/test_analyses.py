"""The analyses people come to Giovanni for, in the explorer on the tiny demo: a time-averaged
map, a longitude-time Hovmöller beside the latitude-time one, an animation's fixed colour range,
each checked against the same numbers computed directly (numpy on the store's arrays), carried
by the URL and reproduced by the exported script; search on Enter."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from tests.plugins.ui import holoviews_plot
from vstore_explorer import plots

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
Make = Callable[..., Any]


def _script_values(code: str, tmp_path: Path) -> np.ndarray:
    out = tmp_path / "out.npy"
    script = tmp_path / "export.py"
    script.write_text(
        code.replace(
            "plot = ", f"import numpy\nnumpy.save({str(out)!r}, result.values)\nplot = ", 1
        )
    )
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return np.load(out)


def test_a_time_mean_map_of_the_range_and_back_to_one_step(make_explorer: Make, tmp_path) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    state.param.update(where="box", west=-60.0, south=10.0, east=-20.0, north=40.0)
    state.time_start, state.time_end = state.times[1], state.times[4]
    one_step = state.result("map").data
    state.map_mean = True
    mean = state.result("map")
    assert mean is not None, state.alert
    box = state.handle.dataset["analysed_sst"].sel(lat=slice(10, 40), lon=slice(-60, -20))
    direct = np.nanmean(box.values[1:5], axis=0)  # netCDF-style: NaN (land) skipped
    np.testing.assert_allclose(mean.data.values, direct, rtol=1e-6)
    assert mean.plot[1]["title"].endswith(f"mean over {state.times[1]} to {state.times[4]}")
    assert "t=mean" in state.query and "reduction=time_mean" not in state.query
    np.testing.assert_allclose(_script_values(state.code, tmp_path), mean.data.values, rtol=0)

    reopened = make_explorer()
    assert reopened.state.apply_query(state.query), reopened.state.alert
    assert reopened.state.map_mean
    np.testing.assert_array_equal(reopened.state.result("map").data.values, mean.data.values)

    state.map_mean = False  # back to the one time step
    np.testing.assert_array_equal(state.result("map").data.values, one_step.values)
    assert "t=mean" not in state.query


def test_a_longitude_time_hovmoller_beside_the_latitude_one(make_explorer: Make, tmp_path) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    state.param.update(where="box", west=-170.0, south=-5.0, east=-120.0, north=5.0)
    state.view = "hovmoller_lon"
    shown = state.result("hovmoller_lon")
    assert shown is not None, state.alert
    assert shown.data.dims == ("time", "lon") and shown.plot[1]["y"] == "lon"
    box = state.handle.dataset["analysed_sst"].sel(lat=slice(-5, 5), lon=slice(-170, -120))
    values = box.values.astype("f8")
    w = np.cos(np.deg2rad(box.lat.values.astype("f8")))[None, :, None] * np.isfinite(values)
    direct = np.nansum(values * w, axis=1) / w.sum(axis=1)
    np.testing.assert_allclose(shown.data.values, direct, rtol=1e-9)
    assert "meridional mean over 5°S–5°N" in shown.plot[1]["title"]
    assert "view=hovmoller_lon" in state.query
    np.testing.assert_allclose(_script_values(state.code, tmp_path), shown.data.values, rtol=1e-12)

    state.view = "hovmoller"  # and the latitude-time one, over the same box
    zonal = state.result("hovmoller")
    assert zonal.data.dims == ("time", "lat")
    np.testing.assert_allclose(zonal.data.values, np.nanmean(values, axis=2), rtol=1e-6)
    state.view = "hovmoller_lon"  # back: the same result, not reloaded
    assert state.result("hovmoller_lon") is shown


def test_the_animation_keeps_the_colour_range_when_asked(make_explorer: Make) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    steps = state.param.map_time.objects
    assert len(steps) >= 4
    state.map_time = steps[1]
    free = state.result("map").plot[1]["clim"]
    state.fixed_colors = True
    for step in (steps[-1], steps[0]):
        state.map_time = step
        assert state.result("map").plot[1]["clim"] == free  # the frame before's range
    assert list(app.plots_view.player.options) == steps
    app.plots_view.player.value = steps[2]  # the player drives the map
    assert state.map_time == steps[2] and state.result("map").plot[1]["clim"] == free
    state.fixed_colors = False
    state.map_time = steps[3]
    own = state.result("map")
    assert own.plot[1]["clim"] == plots.spec(own.data, "map")[1]["clim"]


def test_enter_in_the_keyword_box_searches(make_explorer: Make) -> None:
    app = make_explorer()
    app.search_view.keyword.value = "foundation"
    app.search_view.keyword.param.trigger("enter_pressed")
    assert [c.short_name for c in app.state.results] == [SST]


def test_a_rasterized_hovmoller_keeps_its_colours_and_title(make_explorer: Make) -> None:
    """rasterize() returned a plain Image (default colours, no colorbar or title, 200 px wide);
    the live plot now carries the spec's look, and updates it in place."""
    import panel as pn
    from bokeh.document import Document

    from vstore_explorer.app.live import LivePlot

    app = make_explorer(collection=SST)
    state = app.state
    state.view = "hovmoller"
    shown = state.result("hovmoller")
    lat = np.linspace(-89.75, 89.75, 360)
    times = (np.datetime64("2020-01-01") + np.arange(800)).astype("datetime64[ns]")
    big = xr.DataArray(
        280.0 + np.random.default_rng(0).random((800, 360)) * 20,
        dims=("time", "lat"),
        coords={"time": times, "lat": lat},
        name="analysed_sst",
        attrs={"long_name": "analysed sea surface temperature", "units": "kelvin"},
    )
    plot = plots.spec(big, "hovmoller")
    assert plot[1]["rasterize"]
    live = LivePlot("hovmoller", state)
    live.update(replace(shown, data=big, plot=plot))
    pane = pn.pane.HoloViews(live.object)
    pane.get_root(Document())
    raster = holoviews_plot(pane, "RasterPlot")
    figure = raster.handles["plot"]
    assert (raster.handles["color_mapper"].low, raster.handles["color_mapper"].high) == plot[1][
        "clim"
    ]
    assert raster.handles["colorbar"] is not None and figure.title.text == plot[1]["title"]
    assert figure.frame_width == plot[1]["frame_width"]
    assert _save_name(figure) == "DEMO_25km-VSTOREDEMO-L4-GLOB-v01_analysed_sst_hovmoller"

    colder = (big - 30).assign_attrs(big.attrs)  # shown in place: its own range
    plot2 = plots.spec(colder, "hovmoller")
    assert not live.update(replace(shown, data=colder, plot=plot2))
    raster = holoviews_plot(pane, "RasterPlot")
    mapper = raster.handles["color_mapper"]
    assert (mapper.low, mapper.high) == plot2[1]["clim"] != plot[1]["clim"]
    assert raster.handles["colorbar"].title == plot2[1]["clabel"]
    # the toolbar's save tool names the PNG after what is on show (Bokeh would prompt)
    assert _save_name(raster.handles["plot"]).endswith("_analysed_sst_hovmoller")
    other = colder.rename("sea_ice_fraction")
    assert live.update(replace(shown, data=other, plot=plots.spec(other, "hovmoller")))
    pane = pn.pane.HoloViews(live.object)
    pane.get_root(Document())
    figure = holoviews_plot(pane, "RasterPlot").handles["plot"]
    assert _save_name(figure).endswith("_sea_ice_fraction_hovmoller")


def _save_name(figure: Any) -> str | None:
    return next(t.filename for t in figure.tools if type(t).__name__ == "SaveTool")


def test_a_rasterized_map_saves_as_a_named_png_after_a_variable_change(make_explorer: Make) -> None:
    """The global map (1,036,800 cells) is rasterized; its toolbar's save names the file after
    the variable on show, before and after a change drawn in place."""
    import panel as pn
    from bokeh.document import Document

    from vstore_explorer.app.live import LivePlot

    app = make_explorer(collection=SST)
    state = app.state
    shown = state.result("map")
    assert shown is not None and shown.plot[1].get("rasterize")
    live = LivePlot("map", state)
    live.update(shown)
    pane = pn.pane.HoloViews(live.object)
    pane.get_root(Document())
    figure = holoviews_plot(pane, "OverlayPlot").handles["plot"]
    assert _save_name(figure) == f"{SST}_analysed_sst_map"
    state.variable = "analysis_error"
    assert not live.update(state.result("map"))  # drawn in place
    figure = holoviews_plot(pane, "OverlayPlot").handles["plot"]
    assert _save_name(figure) == f"{SST}_analysis_error_map"
