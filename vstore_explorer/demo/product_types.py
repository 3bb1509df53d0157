"""The building blocks of the demo products: grid, variable, keyword, platform and product types.

Every type is a frozen dataclass, so products are immutable and picklable (worker processes get
them); ``products`` assembles them into the demo collections.

Example:
    >>> Grid(-89.5, 1.0, 180, -179.5, 1.0, 360).bbox
    (-180.0, -90.0, 180.0, 90.0)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np

from vstore_explorer.errors import InvalidInputError

PROVIDER = "VSTOREDEMO"

Attrs = tuple[tuple[str, Any], ...]
"""Ordered attributes (name, value); tuples of numbers are written as arrays of the variable dtype."""


@dataclass(frozen=True)
class Grid:
    """A regular lat/lon grid: first cell centre, step (negative = descending) and size per axis."""

    lat_first: float
    lat_step: float
    nlat: int
    lon_first: float
    lon_step: float
    nlon: int

    def lat(self) -> np.ndarray:
        """Cell-centre latitudes (float32, in file order)."""
        return (self.lat_first + self.lat_step * np.arange(self.nlat)).astype(np.float32)

    def lon(self) -> np.ndarray:
        """Cell-centre longitudes (float32, in file order)."""
        return (self.lon_first + self.lon_step * np.arange(self.nlon)).astype(np.float32)

    @property
    def resolution(self) -> float:
        """Cell size in degrees (the same on both axes for the demo grids)."""
        return abs(self.lat_step)

    @property
    def shape(self) -> tuple[int, int]:
        return (self.nlat, self.nlon)

    @property
    def bbox(self) -> tuple[float, float, float, float]:
        """(west, south, east, north) of the cell edges, longitudes folded to -180..180."""
        lat, lon = self.lat(), self.lon()
        half = self.resolution / 2
        south, north = float(lat.min()) - half, float(lat.max()) + half
        west, east = float(lon.min()) - half, float(lon.max()) + half
        if east - west >= 360 - 1e-9:
            west, east = -180.0, 180.0
        return (west, max(south, -90.0), east, min(north, 90.0))


@dataclass(frozen=True)
class DemoVariable:
    """One variable as stored: dims, dtype, fill, chunks, zlib level and its attributes.

    ``attrs`` holds every attribute but ``_FillValue`` (given by ``fill_value``) in file order;
    packed variables carry ``scale_factor``/``add_offset`` there. ``keepbits`` rounds float
    mantissas to that many bits before writing (precision well below the synthetic signal; it
    keeps files small and fast to compress). ``minmax_attrs`` adds per-file ``vmin``/``vmax``
    as GLDAS does.
    """

    name: str
    dims: tuple[str, ...]
    dtype: str
    fill_value: float | np.number[Any] | None  # a NumPy scalar: written in the variable's dtype
    chunks: tuple[int, ...] | None
    complevel: int
    attrs: Attrs = ()
    keepbits: int | None = None
    minmax_attrs: bool = False

    def attr(self, name: str, default: Any = None) -> Any:
        """The value of attribute ``name`` (or ``default``)."""
        return dict(self.attrs).get(name, default)

    @property
    def units(self) -> str | None:
        return self.attr("units")

    @property
    def long_name(self) -> str | None:
        return self.attr("long_name")

    @property
    def standard_name(self) -> str | None:
        return self.attr("standard_name")

    @property
    def scale_factor(self) -> float | None:
        return self.attr("scale_factor")

    @property
    def add_offset(self) -> float | None:
        return self.attr("add_offset")

    @property
    def packed(self) -> bool:
        """True when values are stored as scaled integers."""
        return np.dtype(self.dtype).kind in "iu" and self.scale_factor is not None


@dataclass(frozen=True)
class ScienceKeyword:
    """A GCMD science keyword (UMM-C ``ScienceKeywords`` item)."""

    topic: str
    term: str
    variable_level_1: str | None = None
    variable_level_2: str | None = None
    category: str = "EARTH SCIENCE"

    def as_umm(self) -> dict[str, str]:
        out = {"Category": self.category, "Topic": self.topic, "Term": self.term}
        if self.variable_level_1:
            out["VariableLevel1"] = self.variable_level_1
        if self.variable_level_2:
            out["VariableLevel2"] = self.variable_level_2
        return out


@dataclass(frozen=True)
class Platform:
    """A platform and its instruments (UMM-C ``Platforms`` item)."""

    type: str
    short_name: str
    long_name: str
    instruments: tuple[tuple[str, str], ...]  # (short name, long name)

    def as_umm(self) -> dict[str, Any]:
        return {
            "Type": self.type,
            "ShortName": self.short_name,
            "LongName": self.long_name,
            "Instruments": [{"ShortName": s, "LongName": ln} for s, ln in self.instruments],
        }


@dataclass(frozen=True)
class DemoProduct:
    """A synthetic collection modelled on a real NASA product (see the module docstring).

    ``kind`` selects the field generator and the file layout ("ghrsst", "gldas" or "airs").
    ``coords`` are the coordinate (and auxiliary) variables, ``variables`` the science data.
    ``filename_pattern`` is a ``strftime`` pattern of the time step's nominal (UTC) time;
    ``coverage_offset`` is where the period a granule covers starts, relative to that time.
    """

    kind: str
    short_name: str
    alias: str
    version: str
    entry_title: str
    abstract: str
    processing_level: str
    time_step: timedelta
    default_count: int
    start: datetime
    grid: Grid
    coords: tuple[DemoVariable, ...]
    variables: tuple[DemoVariable, ...]
    time_units: str
    filename_pattern: str
    global_attrs: Attrs
    science_keywords: tuple[ScienceKeyword, ...]
    platforms: tuple[Platform, ...]
    levels: tuple[float, ...] = ()
    coverage_offset: timedelta = timedelta(0)
    provider: str = PROVIDER

    @property
    def variable_names(self) -> tuple[str, ...]:
        return tuple(v.name for v in self.variables)

    def variable(self, name: str) -> DemoVariable:
        """The science or coordinate variable called ``name``."""
        for var in (*self.variables, *self.coords):
            if var.name == name:
                return var
        names = ", ".join(v.name for v in (*self.variables, *self.coords))
        raise InvalidInputError(f"{self.short_name} has no variable {name!r}; it has: {names}")

    def filename(self, time: datetime | date | str) -> str:
        """The granule file name of the time step at ``time`` (real naming pattern)."""
        return self._normalize(time).strftime(self.filename_pattern)

    def times(
        self, count: int | None = None, start: datetime | date | str | None = None
    ) -> list[datetime]:
        """``count`` consecutive time steps (UTC) from ``start`` (default: the product's own).

        A date (or a date-only string) means the first step of that day. ``start`` must lie on
        the product's time grid (e.g. 12:00 for daily SST, every 3 h for GLDAS).
        """
        n = self.default_count if count is None else int(count)
        if n < 1:
            raise InvalidInputError(f"count must be at least 1, got {count!r}")
        first = self.start if start is None else self._normalize(start)
        return [first + i * self.time_step for i in range(n)]

    def coverage(self, time: datetime | date | str) -> tuple[datetime, datetime]:
        """(begin, end) of the period the granule at ``time`` covers (e.g. the whole day of a
        daily SST analysis nominally at 12:00; the 3 hours before a GLDAS time step)."""
        begin = self._normalize(time) + self.coverage_offset
        return begin, begin + self.time_step

    def encode_time(self, time: datetime) -> float | int:
        """``time`` as a number in ``time_units`` (int for seconds, float otherwise)."""
        unit, _, epoch = self.time_units.strip().partition(" since ")
        offset = (time - datetime.fromisoformat(epoch).replace(tzinfo=UTC)).total_seconds()
        scale = {"seconds": 1, "minutes": 60, "hours": 3600, "days": 86400}[unit]
        return int(offset) if unit == "seconds" else offset / scale

    def _normalize(self, value: datetime | date | str) -> datetime:
        """A UTC datetime on this product's time grid, from a datetime, date or ISO string."""
        if isinstance(value, str):
            text = value.strip()
            try:
                value = date.fromisoformat(text) if len(text) <= 10 else _parse_iso(text)
            except ValueError as exc:
                raise InvalidInputError(f"not an ISO date or datetime: {text!r}") from exc
        if not isinstance(value, datetime):  # a date: the first step of that day
            midnight = datetime(value.year, value.month, value.day, tzinfo=UTC)
            phase = (self.start - self.start.replace(hour=0, minute=0, second=0)) % self.time_step
            value = midnight + phase
        value = value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
        if (value - self.start) % self.time_step:
            raise InvalidInputError(
                f"{value.isoformat()} is not a time step of {self.short_name} "
                f"(every {self.time_step} from {self.start.isoformat()})"
            )
        return value


def _parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


_F32_FILL = np.float32(-9999.0)
"""The float32 fill value of the GLDAS-like and AIRS-like variables."""
