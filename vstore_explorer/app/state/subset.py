"""What part of the data the user asks for: variable, time range, box or point, level, stride.

The subset is turned into one :class:`~vstore_explorer.selection.Selection` (``selection()``);
the views derive theirs from it. Derived choices (the levels of the variable, the map's time
steps inside the range) follow the subset.

Example:
    >>> part.param.update(where="point", lon=-40.0, lat=30.0)  # doctest: +SKIP
    >>> part.selection().point  # doctest: +SKIP
    (-40.0, 30.0)
"""

from __future__ import annotations

import re
from typing import Any

import numpy as np
import pandas as pd
import param
import xarray as xr

from vstore_explorer.app.state.messages import MessagesPart
from vstore_explorer.app.state.params import selector
from vstore_explorer.axes import Axes, find_axes
from vstore_explorer.catalog.records import Collection
from vstore_explorer.errors import InvalidInputError
from vstore_explorer.selection import Selection
from vstore_explorer.stores.open import StoreHandle

SUBSET_PARAMS = (
    "variable",
    "compare",
    "time_start",
    "time_end",
    "where",
    "west",
    "south",
    "east",
    "north",
    "lon",
    "lat",
    "level",
    "stride",
    "mask_invalid",
    "mask_flags",
)
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S"
_AUXILIARY = ("error", "mask", "flag", "flags", "uncertainty", "quality", "qc", "count")


def time_labels(index: pd.Index) -> list[str]:
    """ISO labels (to the second) of a time index: what Selection time bounds are made of."""
    if isinstance(index, pd.DatetimeIndex):
        return list(index.strftime(TIME_FORMAT))
    return [t.strftime(TIME_FORMAT) for t in index]


class SubsetPart(MessagesPart):
    """The subset parameters, the axes and time steps of the open store."""

    variable: str | None = selector(default=None, objects=[], allow_None=True)
    compare: str = selector(  # "" is none (a None option shows blank in the browser)
        default="",
        objects={"(none)": ""},
        label="Compare with",
        doc="A second variable: on the time series' second axis, and the scatter's y",
    )
    time_start: str | None = selector(default=None, objects=[], allow_None=True, label="From")
    time_end: str | None = selector(default=None, objects=[], allow_None=True, label="To")
    where: str = selector(
        default="all", objects=["all", "box", "point"], doc="Whole grid, a box or a point"
    )
    west = param.Number(default=None, allow_None=True, doc="Box west longitude")
    south = param.Number(default=None, allow_None=True, doc="Box south latitude")
    east = param.Number(default=None, allow_None=True, doc="Box east longitude")
    north = param.Number(default=None, allow_None=True, doc="Box north latitude")
    lon = param.Number(default=None, allow_None=True, doc="Point longitude")
    lat = param.Number(default=None, allow_None=True, doc="Point latitude")
    level: float | None = selector(default=None, objects=[], allow_None=True, doc="Vertical level")
    stride = param.Integer(default=1, bounds=(1, 64), doc="Keep one grid point in N (preview)")
    mask_invalid = param.Boolean(
        default=True, doc="Mask values outside the CF valid range (as netCDF4 reads them)"
    )
    mask_flags = param.Boolean(
        default=True, doc="Mask a measurement's CF flag codes (flag_values: land, ice, no data...)"
    )
    map_mean = param.Boolean(
        default=False,
        label="Time mean map",
        doc="Map the mean over the time range, not one time step",
    )
    map_time: str | None = selector(default=None, objects=[], allow_None=True, label="Map time")

    handle: StoreHandle | None
    collection: Collection | None

    def __init__(self, **params: Any) -> None:
        super().__init__(**params)
        self.axes: Axes | None = None
        self.times: list[str] = []

    # -- the selection ----------------------------------------------------------------------------

    def selection(self) -> Selection:
        """The user's selection (what 'Download subset' writes and the URL carries).

        Raises:
            ValueError: an invalid box, point or time range (the message says what to fix).
        """
        if self.variable is None:
            raise InvalidInputError("pick a collection and a variable first")
        time_range = None
        if self.times and (self.time_start, self.time_end) != (self.times[0], self.times[-1]):
            time_range = (self.time_start, self.time_end)
        bbox = point = None
        if self.where == "box":
            west, south, east, north = self.west, self.south, self.east, self.north
            if west is None or south is None or east is None or north is None:
                raise InvalidInputError(
                    "the box needs west, south, east and north (or draw it on the map)"
                )
            bbox = (west, south, east, north)
        elif self.where == "point":
            if self.lon is None or self.lat is None:
                raise InvalidInputError(
                    "the point needs a longitude and a latitude (or tap the map)"
                )
            point = (self.lon, self.lat)
        compare = self.compare if self.compare not in ("", self.variable) else None
        return Selection(
            variables=(self.variable,) if compare is None else (self.variable, compare),
            time=time_range,
            bbox=bbox,
            point=point,
            level=self.level,
            stride=self.stride,
            invalid="mask" if self.mask_invalid else "keep",
            flags="mask" if self.mask_flags else "keep",
        )

    # -- map interactions -------------------------------------------------------------------------

    def set_box(self, west: float, south: float, east: float, north: float) -> None:
        """Use a box (e.g. drawn on the map): ``where`` becomes ``box``."""
        south, north = max(-90.0, min(south, north)), min(90.0, max(south, north))
        west, east = (max(-180.0, min(v, 360.0)) for v in (west, east))
        self.param.update(west=west, south=south, east=east, north=north, where="box")

    def set_point(self, lon: float, lat: float) -> None:
        """Use a point (e.g. tapped on the map): ``where`` becomes ``point``."""
        self.param.update(lon=float(lon), lat=float(lat), where="point")

    # -- following a new store --------------------------------------------------------------------

    def subset_for(self, handle: StoreHandle, *, same: bool) -> dict[str, Any]:
        """Set the choices (variables, time steps) of a newly opened store; returns the values to
        update with the handle (the current ones kept when ``same`` collection and still valid)."""
        # what is shown now, read before the new choices are set: a widget whose choices change
        # may reset itself (and, through its link, this state) to its first choice
        variable, start, end = self.variable, self.time_start, self.time_end
        ds = handle.dataset
        axes = find_axes(ds)
        horizontal = set(axes.spatial()) if axes.grid else {None}
        variables = [
            str(name)
            for name, var in ds.data_vars.items()
            if horizontal <= set(var.dims)
            and name not in (axes.geo_lat, axes.geo_lon)
            and np.issubdtype(var.dtype, np.number)
        ]
        times = time_labels(ds.indexes[axes.time]) if axes.time else []
        keep = same and variable in variables
        self.axes, self.times = axes, times
        self.param.variable.objects = variables
        compare = self.compare if same and self.compare in variables else ""
        self.param.compare.objects = {"(none)": "", **{v: v for v in variables}}
        self.param.time_start.objects = times
        self.param.time_end.objects = times
        updates: dict[str, Any] = {
            "variable": variable if keep else self._default_variable(ds, variables),
            "compare": compare,
            "time_start": _within(times, start, first=True) if keep else None,
            "time_end": _within(times, end, first=False) if keep else None,
        }
        updates["time_start"] = updates["time_start"] or (times[0] if times else None)
        updates["time_end"] = updates["time_end"] or (times[-1] if times else None)
        if not same:
            updates |= {"where": "all", "stride": 1, "map_time": None, "mask_invalid": True}
            updates["mask_flags"] = True
            updates["map_mean"] = False
        return updates

    def _default_variable(self, ds: xr.Dataset, variables: list[str]) -> str | None:
        """The variable the collection is about: most words shared with its title."""
        title = f"{self.collection.title} {self.collection.short_name}" if self.collection else ""
        words = {w for w in _words(title) if len(w) > 3}

        def score(name: str) -> tuple[int, int, int]:
            attrs = ds[name].attrs
            text = f"{name} {attrs.get('long_name', '')} {attrs.get('standard_name', '')}"
            own = _words(text)
            auxiliary = any(w in own for w in _AUXILIARY)
            return (-len(words & own), int(auxiliary), variables.index(name))

        return min(variables, key=score) if variables else None

    def _update_levels(self) -> None:
        ds = self.handle.dataset if self.handle is not None else None
        if ds is None or self.variable is None or self.axes is None or self.axes.level is None:
            levels: list[float] = []
        elif self.axes.level in ds[self.variable].dims:
            levels = [float(v) for v in np.asarray(ds[self.axes.level].values)]
        else:
            levels = []
        self.param.level.objects = levels
        if self.level not in levels:
            self.level = levels[0] if levels else None

    def _update_map_times(self) -> None:
        if not self.times:
            self.param.map_time.objects = []
            self.map_time = None
            return
        i0 = self.times.index(self.time_start) if self.time_start in self.times else 0
        i1 = self.times.index(self.time_end) if self.time_end in self.times else len(self.times) - 1
        if i0 > i1:
            i0, i1 = i1, i0
        inside = self.times[i0 : i1 + 1]
        self.param.map_time.objects = inside
        if self.map_time not in inside:
            self.map_time = inside[0]


def _words(text: str) -> set[str]:
    return {w for w in re.split(r"[^a-z0-9]+", str(text).lower()) if w}


def _within(times: list[str], value: str | None, *, first: bool) -> str | None:
    """``value`` if the new times hold it, else the nearest inside them (a version whose record
    ends earlier keeps the start and ends at its own last step); None without times or value.

    Example:
        >>> _within(["2024-01-01", "2024-01-02"], "2024-01-05", first=False)
        '2024-01-02'
    """
    if not times or value is None:
        return None
    if value in times:
        return value
    if first:
        return next((t for t in times if t >= value), times[-1])
    return next((t for t in reversed(times) if t <= value), times[0])
