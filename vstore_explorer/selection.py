"""``Selection``: what a user asks of a dataset, as an immutable, validated record.

A Selection is plain data: it round-trips through a JSON-able dict (``to_dict``/``from_dict``) and a
URL query string (``to_query``/``from_query``), so a dashboard URL can carry it. Turning it into
xarray operations is :mod:`vstore_explorer.ops`' job.

Example:
    >>> sel = Selection(variables=("analysed_sst",), time=("2024-01-01", "2024-02-01"),
    ...                 bbox=(-10, 30, 20, 50), reduction="area_mean")
    >>> sel.to_query()
    'var=analysed_sst&time=2024-01-01/2024-02-01&bbox=-10.0,30.0,20.0,50.0&reduction=area_mean'
    >>> Selection.from_query(sel.to_query()) == sel
    True
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, fields, replace
from types import MappingProxyType
from typing import Any, Literal, get_args
from urllib.parse import parse_qsl, quote

from vstore_explorer.errors import SelectionError

Reduction = Literal["none", "area_mean", "time_mean", "zonal_mean", "meridional_mean"]
REDUCTIONS: tuple[str, ...] = get_args(Reduction)

# ISO 8601 date or date-time, to the second (what both pandas and cftime indexes slice with).
_ISO = re.compile(
    r"(?P<year>\d{4})(?:-(?P<month>\d{2})(?:-(?P<day>\d{2})"
    r"(?:[T ](?P<hour>\d{2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?)?)?)?",
    re.ASCII,
)
_ISO_FORM = "an ISO 8601 date such as '2024-01-31' or '2024-01-31T12:00:00' (or '2024', '2024-01')"
_LIMITS = MappingProxyType(
    {"month": (1, 12), "day": (1, 31), "hour": (0, 23), "minute": (0, 59), "second": (0, 59)}
)
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?", re.ASCII)
_QUERY_KEYS = ("var", "time", "bbox", "point", "level", "reduction", "stride", "invalid", "flags")
INVALID: tuple[str, ...] = ("mask", "keep")


def _iso_bounds(value: str, field: str) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """The earliest and latest (year, month, day, hour, minute, second) a partial date covers."""
    match = _ISO.fullmatch(value)
    if match is None:
        raise SelectionError(f"Selection.{field}: {value!r} is not {_ISO_FORM}")
    parts = match.groupdict()
    low: list[int] = [int(parts["year"])]
    high: list[int] = [int(parts["year"])]
    for key, (least, most) in _LIMITS.items():
        text = parts[key]
        if text is None:
            low.append(least)
            high.append(most)
            continue
        number = int(text)
        if not least <= number <= most:
            raise SelectionError(f"Selection.{field}: {value!r} has {key} {number} out of range")
        low.append(number)
        high.append(number)
    return tuple(low), tuple(high)


def _number(value: Any, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise SelectionError(f"Selection.{field} must hold numbers, got {value!r}")
    try:
        number = float(value)
    except OverflowError as exc:
        raise SelectionError(f"Selection.{field}: {value!r} is too large") from exc
    if not math.isfinite(number):
        raise SelectionError(f"Selection.{field} must hold finite numbers, got {value!r}")
    return number


def _numbers(value: Any, count: int, field: str, form: str) -> tuple[float, ...]:
    if isinstance(value, str | bytes) or not isinstance(value, tuple | list) or len(value) != count:
        raise SelectionError(f"Selection.{field} must be {form}, got {value!r}")
    return tuple(_number(v, field) for v in value)


def _check_lon(value: float, field: str) -> None:
    if not -180.0 <= value <= 360.0:
        raise SelectionError(f"Selection.{field}: longitude {value} is outside [-180, 360] degrees")


def _check_lat(value: float, field: str) -> None:
    if not -90.0 <= value <= 90.0:
        raise SelectionError(f"Selection.{field}: latitude {value} is outside [-90, 90] degrees")


def _is_text(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def bbox_width(west: float, east: float) -> float:
    """Degrees of longitude a box spans eastward from ``west`` to ``east`` (west > east wraps).

    Example:
        >>> bbox_width(-10, 20), bbox_width(170, -170)
        (30, 20.0)
    """
    return east - west if west < east else east - west + 360.0


@dataclass(frozen=True)
class Selection:
    """A subset of a gridded dataset, with an optional reduction.

    Attributes:
        variables: data variable names; one gives a DataArray, several a Dataset, none all of them.
        time: ``(start, end)`` ISO dates (inclusive, partial dates allowed, ``None`` = open end).
        bbox: ``(west, south, east, north)`` degrees; ``west > east`` crosses the antimeridian.
            Longitudes may be given in -180..180 or 0..360, whatever the store uses.
        point: ``(lon, lat)``: the nearest grid point.
        level: a vertical coordinate value: the nearest level.
        reduction: ``none``, ``area_mean`` (cos-latitude weighted), ``time_mean``, ``zonal_mean``
            (over longitude: a latitude-time Hovmöller), ``meridional_mean`` (over latitude,
            cos-latitude weighted: a longitude-time Hovmöller).
        stride: keep every ``stride``-th latitude and longitude (preview decimation).
        invalid: ``mask`` (default) hides values outside a variable's CF ``valid_min`` /
            ``valid_max`` / ``valid_range``, as netCDF4-python does when it reads the file;
            ``keep`` shows them as stored (flag codes, out-of-range fill values included).
        flags: ``mask`` (default) hides a measurement's CF ``flag_values`` codes (land, ice,
            rain, no observation...) that its valid range lets through; ``keep`` shows them.
            Variables that are only categories (a surface-type code) are never masked.

    Example:
        >>> sel = Selection(variables=("sst",), bbox=(170, -10, -170, 10), reduction="area_mean")
        >>> sel.bbox
        (170.0, -10.0, -170.0, 10.0)
        >>> Selection.from_dict(sel.to_dict()) == sel
        True
    """

    variables: tuple[str, ...] = ()
    time: tuple[str | None, str | None] | None = None
    bbox: tuple[float, float, float, float] | None = None
    point: tuple[float, float] | None = None
    level: float | None = None
    reduction: Reduction = "none"
    stride: int = 1
    invalid: str = "mask"
    flags: str = "mask"

    def __post_init__(self) -> None:
        set_ = object.__setattr__
        set_(self, "variables", self._checked_variables(self.variables))
        set_(self, "time", self._checked_time(self.time))
        if self.bbox is not None:
            form = "(west, south, east, north) in degrees"
            west, south, east, north = _numbers(self.bbox, 4, "bbox", form)
            for lon in (west, east):
                _check_lon(lon, "bbox")
            for lat in (south, north):
                _check_lat(lat, "bbox")
            if not south < north:
                raise SelectionError(
                    f"Selection.bbox: south ({south}) must be less than north ({north})"
                )
            if west == east:
                raise SelectionError(
                    f"Selection.bbox: west and east are both {west}; give a box of non-zero "
                    "width (for the whole globe use west=-180, east=180)"
                )
            width = bbox_width(west, east)
            if not 0.0 < width <= 360.0:
                raise SelectionError(
                    f"Selection.bbox: west {west} and east {east} span {width} degrees; "
                    "the box must span more than 0 and at most 360 degrees eastward from west"
                )
            set_(self, "bbox", (west, south, east, north))
        if self.point is not None:
            lon, lat = _numbers(self.point, 2, "point", "(lon, lat) in degrees")
            _check_lon(lon, "point")
            _check_lat(lat, "point")
            set_(self, "point", (lon, lat))
        if self.level is not None:
            set_(self, "level", _number(self.level, "level"))
        if not isinstance(self.reduction, str) or self.reduction not in REDUCTIONS:
            raise SelectionError(
                f"Selection.reduction must be one of {', '.join(REDUCTIONS)}; got {self.reduction!r}"
            )
        if isinstance(self.stride, bool) or not isinstance(self.stride, int) or self.stride < 1:
            raise SelectionError(f"Selection.stride must be an integer >= 1, got {self.stride!r}")
        if self.invalid not in INVALID:
            raise SelectionError(
                f"Selection.invalid must be 'mask' or 'keep' (values outside the CF valid range); "
                f"got {self.invalid!r}"
            )
        if self.flags not in INVALID:
            raise SelectionError(
                f"Selection.flags must be 'mask' or 'keep' (a measurement's CF flag codes); "
                f"got {self.flags!r}"
            )
        if self.point is not None and self.bbox is not None:
            raise SelectionError("Selection: give either point or bbox, not both")
        if self.point is not None and self.reduction in (
            "area_mean",
            "zonal_mean",
            "meridional_mean",
        ):
            raise SelectionError(
                f"Selection: reduction {self.reduction!r} needs an area; a point selection "
                "allows reduction 'none' or 'time_mean'"
            )

    @staticmethod
    def _checked_variables(value: Any) -> tuple[str, ...]:
        if isinstance(value, str):
            value = (value,)
        if not isinstance(value, tuple | list):
            raise SelectionError(f"Selection.variables must be a tuple of names, got {value!r}")
        for name in value:
            if not _is_text(name) or not name:
                raise SelectionError(f"Selection.variables must hold non-empty names, got {name!r}")
        if len(set(value)) != len(value):
            raise SelectionError(f"Selection.variables has duplicate names: {list(value)!r}")
        return tuple(value)

    @staticmethod
    def _checked_time(value: Any) -> tuple[str | None, str | None] | None:
        if value is None:
            return None
        if isinstance(value, str | bytes) or not isinstance(value, tuple | list) or len(value) != 2:
            raise SelectionError(
                f"Selection.time must be (start, end) ISO dates or None, got {value!r}"
            )
        start, end = value
        for item in (start, end):
            if item is not None and not isinstance(item, str):
                raise SelectionError(
                    f"Selection.time must hold ISO date strings or None, got {item!r}"
                )
        if start is None and end is None:
            return None
        low = _iso_bounds(start, "time")[0] if start is not None else None
        high = _iso_bounds(end, "time")[1] if end is not None else None
        if low is not None and high is not None and low > high:
            raise SelectionError(f"Selection.time: start {start!r} is after end {end!r}")
        return (start, end)

    def replace(self, **changes: Any) -> Selection:
        """A copy with some fields changed (validated again)."""
        return replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A plain JSON-able dict (lists for tuples) that :meth:`from_dict` reads back."""
        return {
            "variables": list(self.variables),
            "time": None if self.time is None else list(self.time),
            "bbox": None if self.bbox is None else list(self.bbox),
            "point": None if self.point is None else list(self.point),
            "level": self.level,
            "reduction": self.reduction,
            "stride": self.stride,
            "invalid": self.invalid,
            "flags": self.flags,
        }

    @classmethod
    def from_dict(cls, data: Any) -> Selection:
        """Read a dict written by :meth:`to_dict` (missing keys take defaults).

        Raises:
            ValueError: for anything but a mapping of known keys to values of the right types.
        """
        if not isinstance(data, Mapping):
            raise SelectionError(f"Selection.from_dict needs a dict, got {type(data).__name__}")
        known = {f.name for f in fields(cls)}
        unknown = [key for key in data if key not in known]
        if unknown:
            raise SelectionError(
                f"Selection.from_dict: unknown keys {unknown!r}; known keys are {sorted(known)}"
            )
        try:
            return cls(**{str(key): value for key, value in data.items()})
        except (TypeError, OverflowError, AttributeError) as exc:
            raise SelectionError(f"Selection.from_dict: invalid value ({exc})") from exc

    def to_query(self) -> str:
        """A URL query string holding the non-default fields (``var`` repeats for each variable)."""
        pairs: list[tuple[str, str]] = [("var", name) for name in self.variables]
        if self.time is not None:
            pairs.append(("time", f"{self.time[0] or ''}/{self.time[1] or ''}"))
        if self.bbox is not None:
            pairs.append(("bbox", ",".join(repr(v) for v in self.bbox)))
        if self.point is not None:
            pairs.append(("point", ",".join(repr(v) for v in self.point)))
        if self.level is not None:
            pairs.append(("level", repr(self.level)))
        if self.reduction != "none":
            pairs.append(("reduction", self.reduction))
        if self.stride != 1:
            pairs.append(("stride", str(self.stride)))
        if self.invalid != "mask":
            pairs.append(("invalid", self.invalid))
        if self.flags != "mask":
            pairs.append(("flags", self.flags))
        return "&".join(f"{key}={quote(value, safe='-_.,/:')}" for key, value in pairs)

    @classmethod
    def from_query(cls, query: Any) -> Selection:
        """Read a query string written by :meth:`to_query` (a leading ``?`` is allowed).

        Raises:
            ValueError: for unknown or repeated keys and malformed values.
        """
        if not isinstance(query, str):
            raise SelectionError(f"Selection.from_query needs a string, got {type(query).__name__}")
        try:
            pairs = parse_qsl(query.removeprefix("?"), keep_blank_values=True, strict_parsing=False)
        except (TypeError, UnicodeError) as exc:
            raise SelectionError(f"Selection.from_query: malformed query ({exc})") from exc
        values: dict[str, Any] = {}
        variables: list[str] = []
        for key, value in pairs:
            if key not in _QUERY_KEYS:
                raise SelectionError(
                    f"Selection.from_query: unknown key {key!r}; known keys are {list(_QUERY_KEYS)}"
                )
            if key == "var":
                variables.append(value)
                continue
            if key in values:
                raise SelectionError(f"Selection.from_query: key {key!r} is repeated")
            values[key] = _parse_query_value(key, value)
        fields_: dict[str, Any] = {"variables": tuple(variables)}
        for key, value in values.items():
            fields_[key] = value
        return cls.from_dict(fields_)


def _query_numbers(key: str, text: str, count: int, form: str) -> tuple[float, ...]:
    parts = text.split(",")
    if len(parts) != count or not all(_NUMBER.fullmatch(p.strip()) for p in parts):
        raise SelectionError(f"Selection.from_query: {key}={text!r} must be {form}")
    return tuple(float(p) for p in parts)


def _parse_query_value(key: str, text: str) -> Any:
    if key == "time":
        if text.count("/") != 1:
            raise SelectionError(
                f"Selection.from_query: time={text!r} must be START/END (ISO dates)"
            )
        start, end = text.split("/")
        return (start or None, end or None)
    if key == "bbox":
        return _query_numbers(key, text, 4, "west,south,east,north")
    if key == "point":
        return _query_numbers(key, text, 2, "lon,lat")
    if key == "level":
        return _query_numbers(key, text, 1, "a number")[0]
    if key == "stride":
        if not re.fullmatch(r"[0-9]{1,6}", text):
            raise SelectionError(f"Selection.from_query: stride={text!r} must be an integer >= 1")
        return int(text)
    return text  # reduction, invalid, flags: validated by Selection
