"""The time range as a date range picker over the store's own times (tiny demo): a pick maps
to the first and last step inside it, the session's range shows in the picker, sub-daily stores
get the time of day, a range without a step is refused, and From/To step dropdowns are only
shown for short records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest

from vstore_explorer.app.time_range import steps_within, sub_daily

SST = "DEMO_25km-VSTOREDEMO-L4-GLOB-v01"
GLDAS = "GLDAS_NOAH025_3H_DEMO"
Make = Callable[..., Any]
DAILY = [f"2023-01-0{d}T12:00:00" for d in range(1, 7)]
THREE_HOURLY = [f"2023-01-01T{h:02d}:00:00" for h in range(0, 24, 3)]


def test_steps_within_whole_days_and_hours() -> None:
    assert steps_within(DAILY, datetime(2023, 1, 2), datetime(2023, 1, 4)) == (DAILY[1], DAILY[3])
    assert steps_within(DAILY, datetime(2023, 1, 6), datetime(2023, 1, 9)) == (DAILY[5],) * 2
    assert steps_within(DAILY, datetime(2023, 2, 1), datetime(2023, 2, 3)) is None
    picked = steps_within(
        THREE_HOURLY, datetime(2023, 1, 1, 4), datetime(2023, 1, 1, 13), whole_days=False
    )
    assert picked == ("2023-01-01T06:00:00", "2023-01-01T12:00:00")
    assert sub_daily(THREE_HOURLY) and not sub_daily(DAILY)


def test_the_picker_and_the_session_follow_each_other(make_explorer: Make) -> None:
    app = make_explorer(collection=SST)
    state, picker = app.state, app.subset_view.dates.picker
    times = state.times
    assert picker.value == (datetime.fromisoformat(times[0]), datetime.fromisoformat(times[-1]))
    assert len(picker.enabled_dates) == len(times) and not picker.enable_time
    assert app.subset_view.steps.visible  # six steps: the dropdowns are there too
    picker.value = (datetime(2023, 1, 2), datetime(2023, 1, 4))  # dates, as picked
    assert (state.time_start, state.time_end) == (times[1], times[3])
    assert "time=2023-01-02T12:00:00/2023-01-04T12:00:00" in state.query
    state.time_start = times[2]  # a dropdown (or the URL) moves the picker
    assert picker.value[0] == datetime.fromisoformat(times[2])
    with pytest.raises(ValueError, match="lower bound must be in range"):
        picker.value = (datetime(2024, 1, 1), datetime(2024, 1, 5))  # the picker's own limits


@pytest.mark.parametrize("collection", [GLDAS])
def test_sub_daily_stores_pick_hours(make_explorer: Make, collection: str) -> None:
    app = make_explorer(collection=collection)
    state, picker = app.state, app.subset_view.dates.picker
    assert picker.enable_time and sub_daily(state.times)
    day = state.times[0][:10]
    picker.value = (datetime.fromisoformat(f"{day}T05:00"), datetime.fromisoformat(f"{day}T14:00"))
    assert state.time_start >= f"{day}T05:00:00" and state.time_end <= f"{day}T14:00:00"
    start = state.time_start
    picker.value = (datetime.fromisoformat(f"{day}T01:00"), datetime.fromisoformat(f"{day}T02:00"))
    assert "no step of this store" in state.alert and state.time_start == start  # between steps
    assert picker.value[0] == datetime.fromisoformat(start)  # the picker shows the range again
