"""Downloads carry their provenance: the subset as NetCDF (global attributes) and the time
series as CSV (``#`` header lines) name the store (without secrets), its snapshot, the Selection
as a query string, the package version and when they were made; their values are the view's."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from vstore_explorer.compute import package_version
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
