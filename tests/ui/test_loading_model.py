"""The loading model, without a browser: cheap changes load at once, costlier ones wait for
Apply (showing the cost), slow loads run off the page's thread where a newer load or Cancel stops
them, the previous plot stays (greyed) meanwhile, and progress is dask's own."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import dask.array as da
import numpy as np
import pytest
import xarray as xr

from tests.background_page import Page
from vstore_explorer.app.state.background import Background, LoadCancelled, Ticket
from vstore_explorer.compute import compute, load

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
Make = Callable[..., Any]


@pytest.fixture
def page() -> Any:
    page = Page()
    yield page
    page.release()
    page.background.close()


def test_a_costly_change_waits_for_apply_showing_its_cost(make_explorer: Make) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    first_map = state.map_result
    state.apply_above = 0.0  # every change is "costly" on the tiny demo
    state.param.update(where="box", west=-60.0, south=0.0, east=-20.0, north=40.0)
    assert state.pending and state.map_result is first_map  # the previous map stays
    assert app.status_view.apply.visible and "chunks" in app.status_view.apply.label
    assert "vx-stale" in app.plots_view.frames["map"].css_classes  # greyed
    assert "press Apply" in state.status and "sel(" in state.code  # the script is there already

    result = state.apply()
    assert result is not None and not state.pending and not app.status_view.apply.visible
    assert result.selection.bbox == (-60.0, 0.0, -20.0, 40.0)
    assert "vx-stale" not in app.plots_view.frames["map"].css_classes
    # a view already loaded for this selection shows at once, Apply or not
    state.view = "timeseries"
    assert state.pending
    state.view = "map"
    assert not state.pending and state.map_result is result


def test_cheap_changes_load_at_once_with_the_default_threshold(make_explorer: Make) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    assert state.apply_above == 1.0
    state.param.update(where="point", lon=-40.0, lat=30.0, view="timeseries")
    assert not state.pending and state.timeseries_result is not None
    assert state.timeseries_result.cost.seconds() < 1.0


def test_slow_loads_run_in_the_background_and_a_newer_one_replaces_an_older(
    make_explorer: Make, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vstore_explorer.app.state.loading as loading

    app = make_explorer(collection=SST)
    state = app.state
    state.background = page.background
    monkeypatch.setattr(loading, "SLOW_CHUNKS", 0)  # every load "takes a while"
    before = state.map_result
    page.hold()
    state.map_time = state.times[2]
    assert state.busy and app.status_view.cancel.visible and state.map_result is before
    assert app.status_view.progress.visible and "Loading the map" in state.status
    first = state._running
    state.map_time = state.times[4]  # the user moved on before the first load ran
    assert first.cancelled and state._running is not first
    page.release()
    page.drain(lambda: not state.busy)
    page.settle()
    assert state.map_result.selection.time == (state.times[4],) * 2
    assert not app.status_view.cancel.visible and state.progress == 100
    direct = load(state.handle, state.view_selection("map"))
    np.testing.assert_array_equal(state.map_result.data.values, direct.values)


def test_cancel_keeps_the_previous_plot_and_offers_apply(
    make_explorer: Make, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vstore_explorer.app.state.loading as loading

    app = make_explorer(collection=SST)
    state = app.state
    state.background = page.background
    monkeypatch.setattr(loading, "SLOW_CHUNKS", 0)
    before = state.map_result
    page.hold()
    state.map_time = state.times[3]
    ticket = state._running
    app.status_view.cancel.clicks += 1  # the Cancel button
    assert ticket.cancelled and not state.busy and state.pending
    assert state.status.startswith("Cancelled") and app.status_view.apply.visible
    page.release()
    page.settle()
    assert state.map_result is before  # nothing handed back from the cancelled load
    app.status_view.apply.clicks += 1  # Apply loads it after all (in the background)
    page.drain(lambda: not state.busy)
    assert state.map_result.selection.time == (state.times[3],) * 2 and not state.pending


def test_progress_is_dasks_and_reaches_the_page(
    make_explorer: Make, page: Page, monkeypatch: pytest.MonkeyPatch
) -> None:
    import vstore_explorer.app.state.loading as loading

    app = make_explorer(collection=SST)
    state = app.state
    state.background = page.background
    monkeypatch.setattr(loading, "SLOW_CHUNKS", 0)
    seen: list[int] = []
    state.param.watch(lambda e: seen.append(e.new), "progress")
    state.param.update(where="box", west=-80.0, south=-10.0, east=0.0, north=50.0)
    state.view = "timeseries"
    page.drain(lambda: not state.busy)
    page.settle()
    middle = [p for p in seen if 0 < p < 100]
    assert middle and middle == sorted(middle) and seen[-1] == 100  # a real, rising fraction
    assert state.timeseries_result is not None


def test_a_cancelled_ticket_stops_a_dask_computation_between_tasks() -> None:
    ticket = Ticket("timeseries")
    done: list[float] = []
    page: list[Callable[[], None]] = []
    background = Background(page.append)
    report = background.progress(ticket, lambda p: None)

    def progress(fraction: float) -> None:
        done.append(fraction)
        if fraction > 0.05:
            ticket.cancel()
        report(fraction)

    lazy = xr.DataArray(da.ones((400, 50, 50), chunks=(1, 50, 50)), dims=("t", "y", "x"))
    with pytest.raises(LoadCancelled, match="timeseries load was cancelled"):
        compute(lazy.mean(("y", "x")), progress=progress)
    assert len(done) < 400  # stopped well before the 800 tasks ran
    background.close()
