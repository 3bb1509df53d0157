"""The time range as a date range picker limited to the store's own times.

The session keeps the range as two of the store's time labels (``time_start``/``time_end``); the
picker shows them as dates (with the time of day for sub-daily stores), offers only the dates the
store has, and maps a pick back to the first step on or after its start and the last step on or
before its end. Step dropdowns (From/To) are shown beside it only for short records.

Example:
    >>> times = ["2023-01-01T12:00:00", "2023-01-02T12:00:00", "2023-01-03T12:00:00"]
    >>> steps_within(times, datetime(2023, 1, 2), datetime(2023, 1, 3))
    ('2023-01-02T12:00:00', '2023-01-03T12:00:00')
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import panel as pn
import param
from panel.viewable import Viewer

from vstore_explorer.app.state import ExplorerState
from vstore_explorer.app.state.params import NoNone
from vstore_explorer.app.ui_text import css

STEP_DROPDOWNS_UP_TO = 31  # a record this short also gets From/To dropdowns of its steps


def _parse(label: str) -> datetime:
    return datetime.fromisoformat(label)


def sub_daily(times: list[str]) -> bool:
    """Whether two steps share a date (the picker then shows the time of day too)."""
    dates = [label[:10] for label in times]
    return len(set(dates)) < len(dates)


def steps_within(
    times: list[str], start: datetime, end: datetime, *, whole_days: bool = True
) -> tuple[str, str] | None:
    """The first step on or after ``start`` and the last on or before ``end``; with
    ``whole_days`` (dates picked without a time of day) the end date's steps all count."""
    if whole_days:
        start = datetime.combine(start.date(), time(0))
        end = datetime.combine(end.date(), time(0)) + timedelta(days=1, microseconds=-1)
    inside = [t for t in times if start <= _parse(t) <= end]
    return (inside[0], inside[-1]) if inside else None


class TimeRangePicker(Viewer):
    """A ``DatetimeRangePicker`` over the session's store times, linked both ways."""

    state = param.ClassSelector(class_=ExplorerState, allow_None=NoNone)

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.picker = pn.widgets.DatetimeRangePicker(
            name="Dates", css_classes=css("time-range"), sizing_mode="stretch_width"
        )
        self._syncing = False
        self.picker.param.watch(self._picked, "value")
        self.state.param.watch(self._follow, ["time_start", "time_end", "handle"])
        self._follow()

    def _follow(self, *_: Any) -> None:
        """The store's times and the session's range, shown in the picker (a widget that cannot
        show them must not stop the session's change: it says so instead)."""
        try:
            self._show_range()
        except Exception as exc:
            self.state.report(exc)

    def _show_range(self) -> None:
        s = self.state
        times = s.times
        if not times or s.time_start is None or s.time_end is None:
            self.picker.visible = False
            return
        value = (_parse(s.time_start), _parse(s.time_end))
        if value[0] > value[1]:  # halfway through a change of store: wait for its end
            return
        first, last = _parse(times[0]), _parse(times[-1])
        bounds = (datetime.combine(first.date(), time(0)), datetime.combine(last.date(), time.max))
        enabled: list[date] = sorted({_parse(t).date() for t in times})
        self._syncing = True
        try:
            picker = self.picker
            if (picker.start, picker.end) != bounds:  # new bounds: no value is checked
                picker.value = None  # against the old ones meanwhile
                picker.param.update(start=bounds[0], end=bounds[1], enabled_dates=enabled)
            picker.param.update(visible=True, enable_time=sub_daily(times), value=value)
        finally:
            self._syncing = False

    def _picked(self, event: param.parameterized.Event) -> None:
        if self._syncing or event.new is None:
            return
        start, end = event.new
        times = self.state.times
        steps = steps_within(times, start, end, whole_days=not sub_daily(times))
        if steps is None:
            self.state.report(
                f"Time range: no step of this store between {start:%Y-%m-%d %H:%M} and "
                f"{end:%Y-%m-%d %H:%M}; pick dates within {times[0][:10]} to {times[-1][:10]}",
                "warning",
            )
            self._follow()
            return
        self.state.param.update(time_start=steps[0], time_end=steps[1])

    def __panel__(self) -> pn.viewable.Viewable:
        return self.picker
