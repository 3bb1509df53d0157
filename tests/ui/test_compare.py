"""Two variables in the explorer, on the tiny demo: a second variable on the time series' own y
axis, and a scatter of one against the other over the map's cells — each checked against the
store's arrays read directly, drawn into the Bokeh figure, carried by the URL and reproduced by
the exported script run in a fresh process."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from tests.plugins.ui import holoviews_plot

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
Make = Callable[..., Any]


def _script_dataset(code: str, tmp_path: Path) -> dict[str, np.ndarray]:
    """The exported script's ``result`` (both variables), run in a fresh interpreter."""
    out = tmp_path / "out.npz"
    script = tmp_path / "export.py"
    save = f"import numpy\nnumpy.savez({str(out)!r}, **{{k: result[k].values for k in result}})\n"
    script.write_text(code.replace("plot = ", save + "plot = ", 1) + "\nplot\n")
    done = subprocess.run(
        [sys.executable, str(script)], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
    with np.load(out) as saved:
        return {k: saved[k] for k in saved.files}


def test_a_second_variable_on_the_series_own_axis(
    make_explorer: Make, render: Any, tmp_path: Path
) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    render(app)
    state.param.update(where="point", lon=-40.0, lat=30.0, view="timeseries")
    single = state.result("timeseries").data
    state.compare = "analysis_error"
    shown = state.result("timeseries")
    assert shown is not None, state.alert
    assert list(shown.data.data_vars) == ["analysed_sst", "analysis_error"]
    ds = state.handle.dataset.sel(lat=30.0, lon=-40.0, method="nearest")
    np.testing.assert_allclose(shown.data["analysed_sst"].values, ds["analysed_sst"].values)
    np.testing.assert_allclose(shown.data["analysis_error"].values, ds["analysis_error"].values)
    np.testing.assert_array_equal(shown.data["analysed_sst"].values, single.values)
    assert shown.plot[0] == "twin_lines" and "estimated error" in shown.plot[1]["twin_label"]

    figure = holoviews_plot(app.plots_view.panes["timeseries"], "OverlayPlot").state
    assert "analysis_error" in figure.extra_y_ranges  # the second variable's own axis
    lines = {
        r.y_range_name: np.asarray(r.data_source.data[r.glyph.y], dtype=float)
        for r in figure.renderers
        if type(r.glyph).__name__ == "Line"
    }
    np.testing.assert_allclose(lines["default"], ds["analysed_sst"].values)
    np.testing.assert_allclose(lines["analysis_error"], ds["analysis_error"].values)

    assert "var=analysed_sst&var=analysis_error" in state.query
    script = _script_dataset(state.code, tmp_path)
    for name in ("analysed_sst", "analysis_error"):
        np.testing.assert_array_equal(script[name], shown.data[name].values)
    csv = state.series_csv()
    assert csv is not None and "time,analysed_sst,analysis_error" in csv

    reopened = make_explorer()
    assert reopened.state.apply_query(state.query), reopened.state.alert
    assert reopened.state.compare == "analysis_error" and reopened.state.view == "timeseries"
    again = reopened.state.result("timeseries").data
    np.testing.assert_array_equal(again["analysis_error"].values, ds["analysis_error"].values)

    state.compare = ""  # back to one variable: one line, one axis
    assert state.result("timeseries").data.name == "analysed_sst"
    assert "var=analysis_error" not in state.query


def test_a_scatter_of_two_variables_over_the_box(
    make_explorer: Make, render: Any, tmp_path: Path
) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    render(app)
    state.param.update(where="box", west=-60.0, south=0.0, east=-30.0, north=30.0)
    state.view = "scatter"
    assert state.scatter_result is None and "pick one to compare with" in state.alert
    state.compare = "analysis_error"
    shown = state.result("scatter")
    assert shown is not None, state.alert
    day = state.handle.dataset.sel(time=state.map_time, lat=slice(0, 30), lon=slice(-60, -30))
    np.testing.assert_allclose(
        shown.data["analysed_sst"].squeeze("time").values, day["analysed_sst"].values
    )
    method, kwargs = shown.plot
    # 120 x 120 cells at 0.25°: under the rasterizing threshold, a point per cell
    assert (method, kwargs["x"], kwargs["y"], kwargs.get("rasterize")) == (
        "scatter",
        "analysed_sst",
        "analysis_error",
        None,
    )
    source = holoviews_plot(app.plots_view.panes["scatter"], "PointPlot").handles["source"]
    drawn = np.asarray(source.data["analysed_sst"], dtype=float)
    assert drawn.size == day["analysed_sst"].size
    np.testing.assert_allclose(np.sort(drawn), np.sort(day["analysed_sst"].values.ravel()))
    script = _script_dataset(state.code, tmp_path)
    np.testing.assert_array_equal(script["analysis_error"], shown.data["analysis_error"].values)
    assert "groupby=[]" in state.code

    state.time_start, state.time_end = state.times[0], state.times[2]
    state.map_mean = True  # a scatter of the time means
    mean = state.result("scatter")
    assert mean is not None and "time" not in mean.data["analysed_sst"].dims


def test_the_same_variable_twice_is_one_line(make_explorer: Make) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    state.compare = "analysed_sst"  # the same variable: no comparison
    state.view = "timeseries"
    assert state.result("timeseries").data.name == "analysed_sst"
    assert "var=analysed_sst&var" not in state.query
