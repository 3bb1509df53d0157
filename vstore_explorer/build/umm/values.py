"""Shared pieces of the UMM writers: schema constants and small validated conversions.

Every helper raises :class:`~vstore_explorer.errors.InvalidInputError` with a message that says
what to give instead; none does I/O.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

import numpy as np

from vstore_explorer.errors import InvalidInputError

UMM_C_VERSION = "1.18.6"
UMM_G_VERSION = "1.6.7"
UMM_JSON_FORMAT = "application/vnd.nasa.cmr.umm+json"

URL_SCHEMES: tuple[str, ...] = ("file", "s3", "http", "https")
GRANULE_SPATIAL_REPRESENTATIONS: tuple[str, ...] = ("CARTESIAN", "GEODETIC", "NO_SPATIAL")
COLLECTION_PROGRESS: tuple[str, ...] = (
    "ACTIVE",
    "PLANNED",
    "COMPLETE",
    "DEPRECATED",
    "PREPRINT",
    "INREVIEW",
    "SUPERSEDED",
)
# UMM-G 1.6.7 MimeTypeEnum (granule RelatedUrls and files must use one of these).
UMM_G_MIME_TYPES: tuple[str, ...] = (
    "application/json",
    "application/xml",
    "application/x-netcdf",
    "application/x-hdfeos",
    "application/gml+xml",
    "application/vnd.google-earth.kml+xml",
    "image/gif",
    "image/tiff",
    "image/bmp",
    "text/csv",
    "text/xml",
    "application/pdf",
    "application/x-hdf",
    "application/x-hdf5",
    "application/octet-stream",
    "application/vnd.google-earth.kmz",
    "image/jpeg",
    "image/png",
    "image/vnd.collada+xml",
    "text/html",
    "text/plain",
    "application/zip",
    "application/gzip",
    "application/tar",
    "application/tar+gzip",
    "application/tar+zip",
    "application/vnd.opendap.dap4.dmrpp+xml",
    "application/yaml",
    "Not provided",
)
# Hex digest length of the checksum algorithms UMM-G allows that produce hex digests.
CHECKSUM_HEX_LENGTHS: Mapping[str, int] = MappingProxyType(
    {"MD5": 32, "SHA-1": 40, "SHA-256": 64, "SHA-384": 96, "SHA-512": 128}
)
_PROVIDER_RE = re.compile(r"^[A-Z0-9_]{1,10}$")


# ---------------------------------------------------------------------------------------------
# small validated conversions


def cmr_datetime(value: datetime | date | str | np.datetime64) -> str:
    """A datetime as CMR renders it: UTC, milliseconds, ``Z`` (naive values are taken as UTC).

    Example:
        >>> cmr_datetime(datetime(2024, 10, 11))
        '2024-10-11T00:00:00.000Z'
    """
    dt = to_datetime(value, "datetime")
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def to_datetime(value: Any, what: str) -> datetime:
    """``value`` as an aware UTC datetime; a clear ValueError otherwise."""
    if isinstance(value, np.datetime64):
        if np.isnat(value):
            raise InvalidInputError(f"{what} is NaT; give a real time")
        value = value.astype("datetime64[us]").item()
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise InvalidInputError(
                f"{what} {value!r} is not an ISO 8601 time (e.g. 2024-10-11T00:00:00Z)"
            ) from None
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)
    if isinstance(value, date):
        return datetime(value.year, value.month, value.day, tzinfo=UTC)
    raise InvalidInputError(
        f"{what} must be a datetime, date, numpy.datetime64 or ISO string, "
        f"not {type(value).__name__}"
    )


def valid_text(value: Any, what: str, max_len: int) -> str:
    """``value`` stripped; refused when not a non-empty string of at most ``max_len`` chars."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{what} must be a non-empty string, got {value!r}")
    value = value.strip()
    if len(value) > max_len:
        raise InvalidInputError(
            f"{what} is {len(value)} characters long; UMM allows at most {max_len}"
        )
    return value


def valid_provider(provider: Any) -> str:
    """``provider`` when it is a CMR provider id (1-10 characters of A-Z, 0-9 or _)."""
    if not isinstance(provider, str) or not _PROVIDER_RE.match(provider):
        raise InvalidInputError(
            f"provider {provider!r} is not a CMR provider id: 1-10 characters of A-Z, 0-9 or _ "
            "(e.g. 'VSTOREDEMO')"
        )
    return provider


def valid_number(value: Any, what: str) -> float:
    """``value`` as a finite float; booleans and non-numbers are refused."""
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"{what} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidInputError(f"{what} must be finite, got {value}")
    return value


def bounding_rectangle(bbox: Any, what: str = "bbox") -> dict[str, float]:
    """``(west, south, east, north)`` as a UMM BoundingRectangle (west > east: antimeridian)."""
    try:
        values = () if isinstance(bbox, (str, bytes, Mapping)) else tuple(bbox)
    except TypeError:
        values = ()
    if len(values) != 4:
        raise InvalidInputError(
            f"{what} must be (west, south, east, north) in degrees, got {bbox!r}"
        )
    west, south, east, north = (
        valid_number(v, f"{what} {n}")
        for v, n in zip(values, ("west", "south", "east", "north"), strict=True)
    )
    for name, v in (("west", west), ("east", east)):
        if not -180.0 <= v <= 180.0:
            raise InvalidInputError(
                f"{what} {name} = {v} is outside -180..180 (longitudes in degrees)"
            )
    for name, v in (("south", south), ("north", north)):
        if not -90.0 <= v <= 90.0:
            raise InvalidInputError(
                f"{what} {name} = {v} is outside -90..90 (latitudes in degrees)"
            )
    if south > north:
        raise InvalidInputError(
            f"{what} south = {south} is greater than north = {north}; "
            "give (west, south, east, north)"
        )

    def r(v: float) -> float:
        return round(v, 6) + 0.0  # + 0.0 turns -0.0 into 0.0

    return {
        "WestBoundingCoordinate": r(west),
        "NorthBoundingCoordinate": r(north),
        "EastBoundingCoordinate": r(east),
        "SouthBoundingCoordinate": r(south),
    }


def absolute_url(location: Any, what: str) -> str:
    """An absolute URL for a record: URLs with a known scheme kept, absolute paths -> file://."""
    if not isinstance(location, str) or not location.strip():
        raise InvalidInputError(f"{what} must be a non-empty path or URL, got {location!r}")
    if location != location.strip():
        raise InvalidInputError(f"{what} {location!r} has leading or trailing whitespace")
    scheme = urlsplit(location).scheme
    if len(scheme) > 1:  # a one-letter scheme would be a Windows drive letter
        if scheme not in URL_SCHEMES:
            raise InvalidInputError(
                f"{what} {location!r} has unsupported scheme {scheme!r}; use "
                + ", ".join(f"{s}://" for s in URL_SCHEMES)
                + " or an absolute local path"
            )
        url = location
    else:
        path = PurePosixPath(location)
        if not path.is_absolute():
            raise InvalidInputError(
                f"{what} {location!r} is a relative path; a UMM record is read from elsewhere, "
                "so give an absolute path (written as a file:// URL) or an s3:// / https:// URL"
            )
        url = path.as_uri()
    if len(url) > 1024:
        raise InvalidInputError(f"{what} is {len(url)} characters long; UMM allows at most 1024")
    return url


def valid_size(size_bytes: Any, what: str) -> int:
    """``size_bytes`` as a non-negative ``int`` number of bytes."""
    if isinstance(size_bytes, bool) or not isinstance(size_bytes, (int, np.integer)):
        raise InvalidInputError(f"{what} must be an integer number of bytes, got {size_bytes!r}")
    if size_bytes < 0:
        raise InvalidInputError(f"{what} must be >= 0 bytes, got {size_bytes}")
    return int(size_bytes)


def size_with_unit(size_bytes: int) -> tuple[float, str]:
    """Bytes as (size, unit) with the largest UMM unit (KB..PB, 1024-based) giving size >= 1."""
    size, unit = size_bytes / 1024, "KB"
    for next_unit in ("MB", "GB", "TB", "PB"):
        if size < 1024:
            break
        size, unit = size / 1024, next_unit
    return round(size, 3), unit


def temporal_pair(temporal: Any, what: str) -> tuple[datetime, datetime | None]:
    """``(begin, end)`` as UTC datetimes in time order; ``end`` ``None`` means ongoing."""
    if (
        isinstance(temporal, (str, bytes))
        or not isinstance(temporal, Sequence)
        or len(temporal) != 2
    ):
        raise InvalidInputError(
            f"{what} must be (begin, end) with end None for ongoing, got {temporal!r}"
        )
    begin = to_datetime(temporal[0], f"{what} begin")
    end = None if temporal[1] is None else to_datetime(temporal[1], f"{what} end")
    if end is not None and begin > end:
        raise InvalidInputError(
            f"{what} begin {cmr_datetime(begin)} is after end {cmr_datetime(end)}; "
            "give (begin, end) in time order"
        )
    return begin, end


def range_date_time(begin: datetime, end: datetime | None) -> dict[str, str]:
    """A UMM ``RangeDateTime``: the beginning and, when ``end`` is given, the ending time."""
    out = {"BeginningDateTime": cmr_datetime(begin)}
    if end is not None:
        out["EndingDateTime"] = cmr_datetime(end)
    return out
