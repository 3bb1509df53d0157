"""The explorer without a browser, on the tiny demo: widgets -> state -> plots, cost, code, URL.

Every number the app shows is checked against the library's one path (``load``/``cost_of``/
``to_code`` with ``plots.spec``) called directly on the same store and selection.
"""

from __future__ import annotations

import argparse
import io
import math
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import xarray as xr

from tests.plugins.ui import holoviews_plot
from vstore_explorer import plots
from vstore_explorer.app.state import NO_LIMITS, ExplorerState, time_labels
from vstore_explorer.compute import cost_of, load, to_code
from vstore_explorer.cost import Limits
from vstore_explorer.demo.archive import DemoArchive
from vstore_explorer.selection import Selection
from vstore_explorer.stores.open import connect

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
AIRS = "AIRS3STD_DEMO"
GLDAS = "GLDAS_NOAH025_3H_DEMO"

Make = Callable[..., Any]


def expected(state: ExplorerState, view: str) -> tuple[Selection, xr.DataArray, str]:
    """What the view must show, computed directly with the library."""
    sel = state.view_selection(view)
    data = load(state.handle, sel)
    plot = plots.spec(data, view, where=plots.reduction_text(sel))
    return sel, data, to_code(state.handle, sel, plot=plot, coastlines=view == "map")


# ------------------------------------------------------------------------------ search, collection


def test_search_returns_the_three_demo_collections(make_explorer: Make) -> None:
    app = make_explorer()
    names = {c.short_name for c in app.state.results}
    assert names == {SST, AIRS, GLDAS}
    table = app.search_view.table.value
    assert sorted(table["short_name"]) == sorted(names)
    assert set(table.columns) >= {"title", "short_name", "provider", "time", "bbox", "stores"}
    assert set(table["stores"]) == {"icechunk"} or all("icechunk" in s for s in table["stores"])

    app.state.keyword = "foundation"
    found = app.state.search()
    assert [c.short_name for c in found] == [SST]
    assert list(app.search_view.table.value["short_name"]) == [SST]


def test_a_bad_search_filter_is_an_alert(make_explorer: Make) -> None:
    app = make_explorer()
    before = list(app.state.results)
    app.state.search_bbox = "10,20,30"
    assert app.state.search() == []
    assert "bbox" in app.state.alert and "4 numbers" in app.state.alert
    assert app.status_view.alert.visible and app.status_view.alert.object == app.state.alert
    assert app.state.results == before


def test_selecting_a_collection_lists_its_stores_and_versions(
    make_explorer: Make, demo_archive: DemoArchive
) -> None:
    app = make_explorer()
    state = app.state
    row = list(app.search_view.table.value["short_name"]).index(SST)
    app.search_view.table.selection = [row]  # a click on the row
    assert state.collection.short_name == SST
    kinds = list(dict.fromkeys(link.kind for link in demo_archive.collection(SST).stores))
    assert state.param.store.objects == kinds and state.store == "icechunk"
    versions = state.param.version.objects
    assert {"branch:main", "tag:v1", "tag:v2"} <= set(versions)
    assert sum(v.startswith("snapshot:") for v in versions) >= 3
    assert SST in app.collection_view.about.object
    assert state.variable == "analysed_sst"  # the variable the title speaks of

    link = demo_archive.collection(SST).link("icechunk")
    v1_times = connect(link, tag="v1").dataset.sizes["time"]
    all_times = list(state.times)
    state.time_start, state.time_end = all_times[1], all_times[-1]  # to a day v1 lacks
    state.version = "tag:v1"  # a record that ends earlier: the start stays, the end is its own
    assert state.handle.version.tag == "v1"
    assert len(state.times) == v1_times < connect(link).dataset.sizes["time"]
    assert "version=tag:v1" in state.query
    assert (state.time_start, state.time_end) == (all_times[1], state.times[-1])
    widgets = app.subset_view
    assert (widgets.time_start.value, widgets.time_end.value) == (all_times[1], state.times[-1])
    assert state.map_time == all_times[1] and state.map_result.selection.time == (
        all_times[1],
        all_times[1],
    )


def test_switching_store_keeps_the_subset_and_the_numbers(
    make_explorer: Make, demo_archive: DemoArchive
) -> None:
    kinds = [link.kind for link in demo_archive.collection(SST).stores]
    if len(kinds) < 2:
        pytest.skip("this demo build has one store for the SST collection")
    app = make_explorer(collection=SST)
    state = app.state
    state.set_box(-40.0, 0.0, 0.0, 30.0)
    first = state.map_result
    for kind in kinds[1:]:
        state.store = kind
        assert state.handle.link.kind == kind and state.alert == ""
        assert state.map_result.selection == first.selection  # same subset, other store
        np.testing.assert_array_equal(state.map_result.data.values, first.data.values)
        assert f"store={kind}" in state.query and kind in state.code


# ------------------------------------------------------------------------------ subset -> views


def test_map_time_and_variable_update_the_map_cost_and_code(make_explorer: Make, render) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    render(app)
    state.map_time = state.param.map_time.objects[3]
    sel, data, code = expected(state, "map")
    assert sel == Selection(
        variables=("analysed_sst",), time=(state.times[3], state.times[3]), stride=1
    )
    result = state.map_result
    assert result.selection == sel
    xr.testing.assert_identical(result.data, data)
    assert state.cost_text == cost_of(state.handle, sel).summary()
    assert app.subset_view.cost.object.endswith(state.cost_text)
    assert state.code == code == app.code_view.editor.value
    assert 'plot = plot * coastline(convention_of(result["lon"].values)' in code  # as drawn
    # the drawn frame is the loaded data, with the spec's colour range
    frame = app.plots_view.live["map"].dynamic[()]
    np.testing.assert_array_equal(frame.dimension_values(2, flat=False), data.values[0])
    raster = holoviews_plot(app.plots_view.panes["map"], "RasterPlot")
    mapper = raster.handles["color_mapper"]
    assert (mapper.low, mapper.high) == result.plot[1]["clim"]

    state.variable = "sea_ice_fraction"  # updated in place: same figure, new colours and titles
    sel, data, code = expected(state, "map")
    assert state.map_result.data.name == "sea_ice_fraction"
    xr.testing.assert_identical(state.map_result.data, data)
    assert state.code == code and "sea_ice_fraction" in state.query
    assert holoviews_plot(app.plots_view.panes["map"], "RasterPlot") is raster
    assert (mapper.low, mapper.high) == state.map_result.plot[1]["clim"]
    assert raster.handles["colorbar"].title == plots.label(data) == "sea ice area fraction"


def test_tap_gives_the_point_series_and_box_the_area_mean(make_explorer: Make, render) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    state.view = "timeseries"
    render(app)
    live_map = app.plots_view.live["map"]
    live_map.tap.event(x=-40.0, y=30.0)  # a tap on the map
    assert (state.where, state.lon, state.lat) == ("point", -40.0, 30.0)
    sel, data, code = expected(state, "timeseries")
    assert sel.point == (-40.0, 30.0) and sel.reduction == "none"
    curve = holoviews_plot(app.plots_view.panes["timeseries"], "CurvePlot")
    np.testing.assert_array_equal(curve.handles["source"].data["analysed_sst"], data.values)
    assert state.code == code and "coastline" not in code  # a series: no map, no coastlines

    live_map.bounds.event(bounds=(-60.0, 10.0, -20.0, 40.0))  # a box drawn on the map
    assert (state.where, state.west, state.south, state.east, state.north) == (
        "box", -60.0, 10.0, -20.0, 40.0
    )  # fmt: skip
    sel, data, code = expected(state, "timeseries")
    assert sel.bbox == (-60.0, 10.0, -20.0, 40.0) and sel.reduction == "area_mean"
    np.testing.assert_allclose(curve.handles["source"].data["analysed_sst"], data.values)
    assert "bbox=-60.0,10.0,-20.0,40.0" in state.query and "view=timeseries" in state.query
    assert state.code == code

    state.param.update(time_start=state.times[1], time_end=state.times[3])
    sel, data, _ = expected(state, "timeseries")
    assert sel.time == (state.times[1], state.times[3]) and data.sizes["time"] == 3
    np.testing.assert_allclose(curve.handles["source"].data["analysed_sst"], data.values)
    assert state.param.map_time.objects == state.times[1:4]


def test_hovmoller_and_levels(make_explorer: Make) -> None:
    app = make_explorer(collection=AIRS)
    state = app.state
    assert state.param.level.objects[:2] == [1000.0, 925.0] and state.level == 1000.0
    assert app.subset_view.level.visible
    state.level = 500.0
    state.view = "hovmoller"
    sel, data, code = expected(state, "hovmoller")
    assert sel.level == 500.0 and sel.reduction == "zonal_mean"
    assert state.hovmoller_result.data.dims == ("time", "lat")
    xr.testing.assert_allclose(state.hovmoller_result.data, data)
    element = app.plots_view.live["hovmoller"].dynamic[()]
    assert data.lat.values[0] > data.lat.values[-1]  # AIRS latitudes run north to south
    np.testing.assert_allclose(
        element.dimension_values(2, flat=False), data.sortby("lat").transpose("lat", "time").values
    )
    assert state.code == code and "level=500.0" in state.query


def test_over_limit_asks_for_confirmation_and_does_not_load(
    make_explorer: Make, monkeypatch: pytest.MonkeyPatch
) -> None:
    from vstore_explorer.compute import Request

    calls: list[Selection] = []
    real_load = Request.load

    def counting_load(self: Request, *args: Any, **kwargs: Any) -> Any:
        calls.append(self.selection)
        return real_load(self, *args, **kwargs)

    monkeypatch.setattr(Request, "load", counting_load)
    app = make_explorer(collection=SST, limits=Limits(max_read_bytes=1000))
    state = app.state
    status = app.status_view  # the explanation, "Load anyway" and "Export as script" together
    assert state.needs_confirmation and status.confirm.visible and status.export.visible
    assert state.map_result is None and calls == []
    assert state.alert_level == "warning" and "request stopped before reading" in state.alert
    for part in ("Asked for: Variable 'analysed_sst'", "Cost: ", "To narrow it: ", "Load anyway"):
        assert part in state.alert and part in status.alert.object
    assert status.export.callback().getvalue() == state.code
    # the NetCDF download is sized first: refused with the same explanation, no empty file
    state.alert = ""
    assert state.netcdf_bytes() is None and "request stopped before reading" in state.alert
    assert app.code_view._netcdf() is None
    app.code_view.netcdf._sync_data(None)  # the widget sends nothing
    assert app.code_view.netcdf.data is None
    calls.clear()  # those asked Request.load, which refused before reading
    sel = state.view_selection("map")
    assert state.cost_text == cost_of(state.handle, sel).summary()
    assert "result = ds[" in state.code  # the script is there before any read

    status.confirm.clicks += 1  # "Load anyway"
    assert calls == [sel] and not state.needs_confirmation and not state.alert
    _, data, code = expected(state, "map")
    xr.testing.assert_identical(state.map_result.data, data)
    assert state.code == code


def test_invalid_box_shows_an_alert_not_an_exception(make_explorer: Make) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    shown = state.map_result
    state.param.update(where="box", west=-50.0, south=60.0, east=-10.0, north=10.0)
    assert state.alert_level == "danger" and "south (60.0) must be less than north" in state.alert
    assert app.status_view.alert.visible and app.status_view.alert.object == state.alert
    assert state.map_result is shown
    state.param.update(south=-60.0, north=-59.99)  # valid, but between grid rows
    assert state.alert == "" or "no grid point" in state.alert
    state.param.update(south=10.0, north=60.0)
    assert state.alert == "" and state.map_result.selection.bbox == (-50.0, 10.0, -10.0, 60.0)


def test_url_query_round_trip_restores_the_view(make_explorer: Make) -> None:
    first = make_explorer(collection=AIRS)
    s = first.state
    s.param.update(version="tag:v1")
    s.param.update(
        variable="relative_humidity", time_start=s.times[1], time_end=s.times[3], level=850.0
    )
    s.set_point(100.5, 10.5)
    s.param.update(view="timeseries")
    query = s.query
    assert first.location.search == "?" + query
    for key in ("collection=", "store=icechunk", "version=tag:v1", "view=timeseries",
                "var=relative_humidity", "point=100.5,10.5", "level=850.0"):  # fmt: skip
        assert key in query

    second = make_explorer(query=query)
    t = second.state
    assert t.collection.short_name == AIRS and t.version == "tag:v1" and t.view == "timeseries"
    assert (t.variable, t.level, t.where, t.lon, t.lat) == ("relative_humidity", 850.0, "point",
                                                            100.5, 10.5)  # fmt: skip
    assert (t.time_start, t.time_end, t.map_time) == (s.time_start, s.time_end, s.map_time)
    assert t.selection() == s.selection() and t.query == query
    xr.testing.assert_identical(t.timeseries_result.data, s.timeseries_result.data)
    assert t.code == s.code


def test_a_bad_url_query_is_an_alert(make_explorer: Make) -> None:
    app = make_explorer(query="collection=NOPE&view=map")
    assert "NOPE" in app.state.alert and app.state.handle is None
    app = make_explorer(query=f"collection={SST}&bbox=1,2")
    assert "bbox" in app.state.alert


def test_two_apps_share_no_state(make_explorer: Make) -> None:
    one, two = make_explorer(collection=SST), make_explorer(collection=SST)
    assert one.state is not two.state
    assert one.plots_view.live["map"].pipe is not two.plots_view.live["map"].pipe
    before = (two.state.query, two.state.code, two.state.map_result)
    one.state.set_point(10.0, 10.0)
    one.state.variable = "analysis_error"
    assert (two.state.query, two.state.code, two.state.map_result) == before
    assert two.state.where == "all" and two.state.variable == "analysed_sst"
    assert one.state.param.variable.objects is not two.state.param.variable.objects


# ------------------------------------------------------------------------------ code, downloads


def test_the_code_pane_script_computes_what_the_app_shows(make_explorer: Make) -> None:
    app = make_explorer(collection=GLDAS)
    state = app.state
    state.param.update(where="box", west=0.0, south=-20.0, east=40.0, north=20.0)
    state.view = "timeseries"
    namespace: dict[str, Any] = {}
    exec(app.code_view._script().getvalue(), namespace)  # the downloaded .py
    np.testing.assert_allclose(namespace["result"].values, state.timeseries_result.data.values)
    assert app.code_view.script.filename == f"{GLDAS}_{state.variable}_timeseries.py"


def test_download_subset_as_netcdf(make_explorer: Make) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    state.param.update(where="box", west=-20.0, south=30.0, east=10.0, north=50.0)
    payload = app.code_view._netcdf().getvalue()
    with xr.open_dataset(io.BytesIO(payload), engine="h5netcdf") as ds:
        expected_data = load(state.handle, state.selection())
        np.testing.assert_array_equal(ds[state.variable].values, expected_data.values)
        assert ds.sizes["time"] == len(state.times)
    assert app.code_view.netcdf.filename.endswith(".nc")


def test_download_above_the_limit_is_an_alert(make_explorer: Make) -> None:
    app = make_explorer(collection=SST, limits=Limits(max_read_bytes=1000))
    assert app.code_view._netcdf() is None  # refused: no empty file under a real name
    assert "request stopped before reading" in app.state.alert
    assert "To narrow it" in app.state.alert


# ------------------------------------------------------------------------------ ways to run


def test_runs_as_an_ipywidget(make_explorer: Make) -> None:
    import panel as pn
    from jupyter_bokeh import BokehModel

    widget = pn.ipywidget(make_explorer(collection=SST))
    assert isinstance(widget, BokehModel)


def test_serve_listens_on_loopback_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    import panel as pn

    from vstore_explorer.app import cli

    parser = argparse.ArgumentParser()
    cli.add_arguments(parser)
    args = parser.parse_args(["--catalog", "/nonexistent-but-not-demo"])
    seen: dict[str, Any] = {}
    monkeypatch.setattr(pn, "serve", lambda app, **kw: seen.update(kw, app=app))
    assert cli.run(args) == 0
    assert seen["address"] == "127.0.0.1" and seen["port"] == 5006 and seen["show"] is False
    assert "127.0.0.1:5006" in seen["websocket_origin"]
    assert callable(seen["app"])
    with pytest.raises(ValueError, match="--port"):
        cli.serve_options(parser.parse_args(["--port", "70000"]))


def test_time_labels_are_selection_bounds() -> None:
    import pandas as pd

    labels = time_labels(pd.date_range("2024-01-01T03:00", periods=2, freq="3h"))
    assert labels == ["2024-01-01T03:00:00", "2024-01-01T06:00:00"]
    assert Selection(time=(labels[0], labels[1])).time == tuple(labels)
    assert math.isinf(NO_LIMITS.max_read_bytes) and math.isinf(NO_LIMITS.max_memory_bytes)


def test_the_valid_range_mask_is_a_choice_that_reaches_the_code_and_the_url(
    make_explorer: Make,
) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    state.variable = "analysed_sst"
    assert state.mask_invalid and "invalid=" not in state.query
    assert "# values outside the CF valid range masked" in state.code and ".where(" in state.code
    masked = state.result().data
    _, data, code = expected(state, "map")
    assert state.code == code
    np.testing.assert_array_equal(masked.values, data.values)

    app.subset_view.mask_invalid.value = False  # the checkbox: values as stored
    assert "invalid=keep" in state.query and ".where(" not in state.code
    _, data, code = expected(state, "map")
    assert state.code == code and state.view_selection("map").invalid == "keep"
    # the demo's SST lies within its valid range: the same values either way
    np.testing.assert_array_equal(state.result().data.values, masked.values)

    state.mask_invalid = True  # back, and a reopened URL keeps the choice
    assert "invalid=" not in state.query
    state.mask_invalid = False
    reopened = make_explorer(query=state.query).state
    assert reopened.mask_invalid is False and reopened.code == state.code
