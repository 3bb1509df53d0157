"""The benchmark cases: what is read, as plain data, as a Selection and as xarray by hand.

A :class:`Case` is JSON-able (it travels to the child process that measures it). The explorer path
turns it into a :class:`~vstore_explorer.selection.Selection`; the other paths apply
:func:`by_hand`, the ``sel``/``chunk``/``weighted`` calls a user would write for the same subset.

Example:
    >>> cases = make_cases(["2023-01-01T12:00:00", "2023-01-02T12:00:00"])
    >>> [c.name for c in cases]
    ['open', 'point', 'map', 'box', 'area_mean']
    >>> selection(cases[1]).point
    (-40.0, 35.0)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

VARIABLE = "analysed_sst"
POINT = (-40.0, 35.0)  # (lon, lat): the open North Atlantic
BOX = (-40.0, 30.0, -30.0, 40.0)  # 10 x 10 degrees (west, south, east, north)
NINO34 = (-170.0, -5.0, -120.0, 5.0)  # the Nino 3.4 region, for the area mean
BOX_DAYS = 90  # "three months"
AREA_DAYS = 365  # "a year"
CASE_NAMES = ("open", "point", "map", "box", "area_mean")
CASE_TITLES = {
    "open": "open the store",
    "point": "point time series, full record",
    "map": "one-day global map",
    "box": "10°×10° box, 3 months",
    "area_mean": "area-mean series, 1 year (dask)",
}


@dataclass(frozen=True)
class Case:
    """One measurement: ``open`` only, or open then read a subset.

    Attributes:
        name: one of :data:`CASE_NAMES`.
        time: ``(start, end)`` ISO dates (inclusive) or None for the whole record.
        point: ``(lon, lat)`` for the nearest grid point.
        bbox: ``(west, south, east, north)`` degrees.
        reduction: ``none`` or ``area_mean`` (cos-latitude weighted, with dask).
    """

    name: str
    variable: str = VARIABLE
    time: tuple[str, str] | None = None
    point: tuple[float, float] | None = None
    bbox: tuple[float, float, float, float] | None = None
    reduction: str = "none"

    def __post_init__(self) -> None:
        if self.name not in CASE_NAMES:
            raise ValueError(f"unknown case {self.name!r}; known: {', '.join(CASE_NAMES)}")

    @property
    def reads(self) -> bool:
        return self.name != "open"

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Case:
        def pair(v: Any) -> Any:
            return None if v is None else tuple(v)

        return cls(
            name=data["name"],
            variable=data.get("variable", VARIABLE),
            time=pair(data.get("time")),
            point=pair(data.get("point")),
            bbox=pair(data.get("bbox")),
            reduction=data.get("reduction", "none"),
        )


def _day(value: str | datetime) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(str(value)[:19])


def _within(times: Sequence[str], days: int) -> tuple[str, str]:
    """From the first day to ``days`` days later, clipped to the record (ISO dates)."""
    first, last = _day(times[0]), _day(times[-1])
    end = min(first + timedelta(days=days - 1), last)
    return (first.date().isoformat(), end.date().isoformat())


def make_cases(times: Sequence[str], names: Sequence[str] = CASE_NAMES) -> list[Case]:
    """The cases for a record whose time steps are ``times`` (ISO strings, sorted)."""
    if not times:
        raise ValueError("make_cases needs the record's time steps; the store has none")
    middle = _day(times[len(times) // 2]).date().isoformat()
    every = {
        "open": Case("open"),
        "point": Case("point", point=POINT),
        "map": Case("map", time=(middle, middle)),
        "box": Case("box", time=_within(times, BOX_DAYS), bbox=BOX),
        "area_mean": Case(
            "area_mean", time=_within(times, AREA_DAYS), bbox=NINO34, reduction="area_mean"
        ),
    }
    unknown = [n for n in names if n not in every]
    if unknown:
        raise ValueError(f"unknown case(s) {unknown}; known: {', '.join(CASE_NAMES)}")
    return [every[n] for n in names]


def selection(case: Case) -> Any:
    """The explorer's :class:`~vstore_explorer.selection.Selection` for ``case``."""
    from vstore_explorer.selection import Selection

    return Selection(
        variables=(case.variable,),
        time=case.time,
        point=case.point,
        bbox=case.bbox,
        reduction=case.reduction,
    )


def by_hand(ds: Any, case: Case) -> Any:
    """The same subset with plain xarray (lazy): what a user writes without the explorer.

    The area mean goes through dask on the store's own chunks (``preferred_chunks``) when the
    dataset is not dask-backed yet, as the explorer does.
    """
    import numpy as np

    da = ds[case.variable]
    if case.reduction == "area_mean" and da.chunks is None:
        da = da.chunk(dict(da.encoding.get("preferred_chunks") or {"time": 1}))
    if case.time is not None:
        da = da.sel(time=slice(*case.time))
    if case.point is not None:
        lon, lat = case.point
        da = da.sel(lat=lat, lon=lon, method="nearest")
    if case.bbox is not None:
        west, south, east, north = case.bbox
        da = da.sel(lat=slice(south, north), lon=slice(west, east))
    if case.reduction == "area_mean":
        weights = np.cos(np.deg2rad(da["lat"].astype("float64")))
        da = da.weighted(weights).mean(("lat", "lon"))
    return da
