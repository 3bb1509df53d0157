"""Where a granule's time comes from when it has no ``time`` dimension (``--time-from``).

L3 grids of one step (SMAP L4, ATL16, many L3 products) and L2 swaths carry their time as a scalar
coordinate, a global attribute (``time_coverage_start``) or only in the file name. A
:class:`TimeFrom` reads it, so that each granule gets a length-1 ``time`` dimension to concatenate
along, or, for swaths concatenated along their along-track dimension, a value to order them by.

Example:
    >>> TimeFrom.parse("attr:time_coverage_start")
    TimeFrom(source='attr', value='time_coverage_start')
    >>> TimeFrom.parse(r"filename:A(\\d{8})\\.(\\d{4})").from_filename(
    ...     "file:///d/GLDAS_NOAH025_3H.A20160101.0300.021.nc4")
    numpy.datetime64('2016-01-01T03:00:00.000000000')
    >>> parse_time_text("2020-03-22T00:18:31.000000Z")
    numpy.datetime64('2020-03-22T00:18:31.000000000')
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Literal

import numpy as np
import xarray as xr

from vstore_explorer.errors import InvalidInputError

TIME_ENCODING = MappingProxyType(
    {"units": "seconds since 1970-01-01", "calendar": "proleptic_gregorian"}
)
"""How an added ``time`` coordinate is stored (float64 seconds, exact to the microsecond)."""

_DIGIT_FORMATS = MappingProxyType(
    {
        7: "%Y%j",  # year + day of year (MODIS/NASA "A2016001")
        8: "%Y%m%d",
        10: "%Y%m%d%H",
        12: "%Y%m%d%H%M",
        14: "%Y%m%d%H%M%S",
    }
)


def parse_time_text(text: str) -> np.datetime64:
    """A time from text: ISO 8601 (a trailing ``Z`` or offset is converted to UTC) or digits only
    (``YYYYjjj``, ``YYYYMMDD``, ``YYYYMMDDhh``, ``YYYYMMDDhhmm``, ``YYYYMMDDhhmmss``).

    Example:
        >>> parse_time_text("2016001"), parse_time_text("19911203180601")
        (numpy.datetime64('2016-01-01T00:00:00.000000000'), numpy.datetime64('1991-12-03T18:06:01.000000000'))
    """
    import pandas as pd

    raw = text.strip()
    digits = re.sub(r"\D", "", raw)
    try:
        if raw.isdigit() and len(digits) in _DIGIT_FORMATS:
            stamp = pd.to_datetime(digits, format=_DIGIT_FORMATS[len(digits)])
        else:
            stamp = pd.Timestamp(raw)
    except (ValueError, TypeError) as exc:
        raise InvalidInputError(f"cannot read a time from {text!r}: {exc}") from None
    if stamp.tzinfo is not None:
        stamp = stamp.tz_convert("UTC").tz_localize(None)
    return np.datetime64(stamp.to_datetime64(), "ns")


@dataclass(frozen=True)
class TimeFrom:
    """``coord:NAME`` (a variable, e.g. a scalar or length-1 ``time``), ``attr:NAME`` (a group or
    global attribute) or ``filename:REGEX`` (the captured groups of the file name, joined).

    Example:
        >>> TimeFrom.parse("coord:/time").value
        '/time'
        >>> TimeFrom.parse("when:now")
        Traceback (most recent call last):
        ...
        vstore_explorer.errors.InvalidInputError: --time-from 'when:now': use coord:NAME, attr:NAME or filename:REGEX
    """

    source: Literal["coord", "attr", "filename"]
    value: str

    @classmethod
    def parse(cls, text: str | TimeFrom) -> TimeFrom:
        if isinstance(text, TimeFrom):
            return text
        source, sep, value = str(text).partition(":")
        if not sep or source not in ("coord", "attr", "filename") or not value:
            raise InvalidInputError(
                f"--time-from {text!r}: use coord:NAME, attr:NAME or filename:REGEX"
            )
        if source == "filename":
            try:
                re.compile(value)
            except re.error as exc:
                raise InvalidInputError(
                    f"--time-from {text!r}: not a regular expression ({exc})"
                ) from None
        return cls(source, value)  # type: ignore[arg-type]

    def __str__(self) -> str:
        return f"{self.source}:{self.value}"

    def from_filename(self, url: str) -> np.datetime64:
        name = url.rstrip("/").rsplit("/", 1)[-1]
        match = re.search(self.value, name)
        if match is None:
            raise InvalidInputError(f"its file name {name!r} does not match --time-from {self}")
        text = "".join(g for g in match.groups() if g) if match.groups() else match.group(0)
        return parse_time_text(text)

    def from_attribute(self, value: Any) -> np.datetime64:
        if value is None:
            raise InvalidInputError(f"has no attribute {self.value!r} (--time-from {self})")
        if isinstance(value, list | tuple):
            value = value[0] if value else ""
        return parse_time_text(str(value))


def first_time(values: xr.DataArray | xr.Variable, label: str) -> np.datetime64:
    """The first valid time in a decoded CF time variable."""
    data = np.asarray(values.values).ravel()
    if data.dtype.kind != "M":
        raise InvalidInputError(
            f"{label} is not a CF time (no 'units: ... since ...' it can decode)"
        )
    data = data[~np.isnat(data)]
    if not data.size:
        raise InvalidInputError(f"{label} holds no valid time")
    return np.datetime64(data[0], "ns")


def add_time_dimension(ds: xr.Dataset, when: np.datetime64, dim: str = "time") -> xr.Dataset:
    """``ds`` with a length-1 ``dim`` (holding ``when``) in front of every per-granule variable.

    Variables that are the same for every granule stay as they are: dimension coordinates (the
    grid), scalars (grid mappings such as ``crs``) and variables that others name as their
    ``grid_mapping`` or ``bounds``. Virtual non-dimension coordinates (a swath's 2-D latitude and
    longitude) do get the dimension, so that each granule keeps its own.
    """
    if dim in ds.dims or dim in ds.variables:
        raise InvalidInputError(
            f"already has a {dim!r} {'dimension' if dim in ds.dims else 'variable'}: "
            "--time-from adds a new one (drop --time-from, or choose another --dim)"
        )
    shared = {str(n) for n in ds.indexes}
    for var in ds.variables.values():
        for attr in ("grid_mapping", "bounds"):
            value = var.attrs.get(attr)
            if isinstance(value, str):
                shared.update(t.rstrip(":") for t in value.split())
    names = [
        str(n)
        for n, v in ds.variables.items()
        if v.ndim >= 1
        and str(n) not in shared
        and (n in ds.data_vars or not isinstance(v.data, np.ndarray))
    ]
    out = ds.copy()
    for name in names:
        var = out.variables[name]
        # VirtualiZarr's ManifestArray implements expand_dims: the chunk grid gets a leading axis
        data = np.expand_dims(var.data, axis=0)
        out[name] = xr.Variable((dim, *var.dims), data, var.attrs, var.encoding)
    coord = xr.Variable((dim,), np.array([when], dtype="datetime64[ns]"), {"axis": "T"})
    coord.encoding = dict(TIME_ENCODING, dtype="float64")
    return out.assign_coords({dim: coord})
