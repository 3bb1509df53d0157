"""Downloads carry their provenance: the subset as NetCDF (global attributes) and the time
series as CSV (``#`` header lines) name the store (without secrets), its snapshot, the Selection
as a query string, the package version and when they were made; their values are the view's."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from tests.background_page import Page
from vstore_explorer.compute import package_version
from vstore_explorer.cost import Limits
from vstore_explorer.selection import Selection

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"


def test_the_netcdf_subset_and_the_csv_series_say_where_they_come_from(
    make_explorer: Callable[..., Any],
) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    state.time_start, state.time_end = state.times[1], state.times[4]
    state.set_point(-40.0, 35.0)
    state.view = "timeseries"
    series = state.result("timeseries")
    assert series is not None, state.alert

    text = app.code_view._csv().getvalue()
    header = dict(line[2:].split(": ", 1) for line in text.splitlines() if line.startswith("# "))
    assert header["vstore_explorer_store"] == state.handle.link.url
    assert header["vstore_explorer_snapshot"] == state.handle.snapshot_id
    assert Selection.from_query(header["vstore_explorer_selection"]) == series.selection
    assert header["vstore_explorer_package_version"] == package_version()
    made = datetime.strptime(header["vstore_explorer_created"], "%Y-%m-%dT%H:%M:%SZ")
    assert abs((datetime.now(UTC).replace(tzinfo=None) - made).total_seconds()) < 120
    table = pd.read_csv(io.StringIO(text), comment="#", index_col=0, parse_dates=True)
    np.testing.assert_array_equal(table["analysed_sst"].to_numpy(), series.data.values)
    assert len(table) == 4

    nc = xr.open_dataset(io.BytesIO(state.netcdf_bytes()), engine="h5netcdf")
    assert nc.attrs["vstore_explorer_selection"] == state.selection().to_query()
    assert nc.attrs["vstore_explorer_snapshot"] == state.handle.snapshot_id
    assert "vstore_explorer" in nc.attrs["history"]
    np.testing.assert_array_equal(nc["analysed_sst"].values, series.data.values)


def test_a_csv_before_any_series_is_refused_not_empty(make_explorer: Callable[..., Any]) -> None:
    app = make_explorer(collection=SST)
    assert app.state.timeseries_result is None
    assert app.code_view._csv() is None and "time series" in app.state.alert


@pytest.fixture
def page() -> Iterator[Page]:
    page = Page()
    yield page
    page.release()
    page.background.close()


def test_a_served_netcdf_download_is_made_off_the_page_with_progress_and_then_sent(
    make_explorer: Callable[..., Any],
    page: Page,
    render: Callable[[Any], Any],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import vstore_explorer.app.state.loading as loading

    app = make_explorer(collection=SST)
    state = app.state
    render(app)
    state.background = page.background
    state.time_start, state.time_end = state.times[1], state.times[3]
    state.param.update(where="box", west=-60.0, south=0.0, east=-20.0, north=40.0)
    sent: list[bytes] = []
    code = app.code_view
    code.netcdf.deliver = sent.append  # what the widget sends to the browser
    page.hold(download=True)
    assert code._netcdf() is None  # nothing yet: the file is being made
    assert state.downloading and code.download_progress.visible and code.cancel_download.visible
    assert "Making DEMO_25km" in state.status and "chunks" in state.status
    monkeypatch.setattr(loading, "SLOW_CHUNKS", 0)  # the series loads in the background too
    state.view = "timeseries"  # and the plots keep loading meanwhile (a thread of their own)
    page.drain(lambda: state.timeseries_result is not None)
    assert state.downloading and sent == []
    page.release()
    page.drain(lambda: not state.downloading)
    assert not code.download_progress.visible and not code.cancel_download.visible
    assert len(sent) == 1 and "handed to the browser" in state.status
    nc = xr.open_dataset(io.BytesIO(sent[0]), engine="h5netcdf")
    assert nc.attrs["vstore_explorer_selection"] == state.selection().to_query()
    direct = state.handle.dataset["analysed_sst"].sel(
        time=slice(state.times[1], state.times[3]), lat=slice(0, 40), lon=slice(-60, -20)
    )
    assert nc["analysed_sst"].shape == direct.shape == (3, 160, 160)
    np.testing.assert_array_equal(nc["analysed_sst"].values, direct.values)


def test_a_download_in_progress_can_be_cancelled_and_nothing_is_sent(
    make_explorer: Callable[..., Any], page: Page
) -> None:
    app = make_explorer(collection=SST)
    state = app.state
    state.background = page.background
    shown: list[int] = []
    state.param.watch(lambda e: shown.append(e.new), "download_progress")
    sent: list[bytes] = []
    state.time_start, state.time_end = state.times[0], state.times[5]  # a chunk per day
    page.hold(download=True)
    assert state.prepare_netcdf(sent.append)
    assert state.downloading
    state.cancel_download()
    assert not state.downloading and "cancelled" in state.status
    page.release()
    page.settle()
    assert sent == [] and not state.downloading and "cancelled" in state.status
    # and a second try, left alone, is sent, with dask's progress on the way
    assert state.prepare_netcdf(sent.append)
    page.drain(lambda: not state.downloading)
    assert len(sent) == 1 and xr.open_dataset(io.BytesIO(sent[0]), engine="h5netcdf").sizes
    assert any(0 < p < 100 for p in shown) and shown[-2:] == [100, 0]  # chunk by chunk


def test_an_over_the_limit_download_is_refused_before_it_starts(
    make_explorer: Callable[..., Any], page: Page
) -> None:
    app = make_explorer(collection=SST, limits=Limits(max_read_bytes=1000))
    state = app.state
    state.background = page.background
    sent: list[bytes] = []
    assert not state.prepare_netcdf(sent.append)
    assert not state.downloading and sent == []
    assert "request stopped before reading" in state.alert and "To narrow it" in state.alert
