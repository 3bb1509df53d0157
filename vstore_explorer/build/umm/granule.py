"""UMM-G 1.6.7 records for single granule files."""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

from vstore_explorer.build.umm.values import (
    CHECKSUM_HEX_LENGTHS,
    UMM_G_MIME_TYPES,
    UMM_G_VERSION,
    absolute_url,
    bounding_rectangle,
    cmr_datetime,
    range_date_time,
    temporal_pair,
    to_datetime,
    valid_size,
    valid_text,
)
from vstore_explorer.errors import InvalidInputError

_MB = 1024 * 1024


def granule_umm(
    *,
    granule_ur: str,
    short_name: str,
    version: str,
    begin: Any,
    end: Any,
    bbox: tuple[float, float, float, float],
    size_bytes: int,
    data_url: str | Sequence[str],
    checksum: str | None = None,
    checksum_algorithm: str | None = None,
    production_datetime: Any = None,
    insert_datetime: Any = None,
    file_name: str | None = None,
    data_format: str = "netCDF-4",
    mime_type: str = "application/x-netcdf",
    day_night_flag: str = "Unspecified",
) -> dict[str, Any]:
    """A UMM-G 1.6.7 record for one granule file.

    Args:
        granule_ur: the granule's unique name within the provider (e.g. the file name stem).
        short_name, version: the collection it belongs to (``CollectionReference``).
        begin, end: ``TemporalExtent.RangeDateTime``; ``end=None`` writes only the beginning.
        bbox: ``(west, south, east, north)``; west > east crosses the antimeridian.
        size_bytes: file size (``SizeInBytes``, and ``Size`` in MB = bytes / 1024**2 as CMR does).
        data_url: the file's URL(s): ``https://`` / ``file://`` (or an absolute path) become
            ``GET DATA`` links, ``s3://`` a ``GET DATA VIA DIRECT ACCESS`` link, as in CMR.
        checksum: hex digest of the file; ``checksum_algorithm`` (``MD5``, ``SHA-1``, ``SHA-256``,
            ``SHA-384``, ``SHA-512``) is inferred from its length when not given.
        production_datetime: ``DataGranule.ProductionDateTime`` (required by UMM-G); defaults to
            ``end`` (or ``begin``) so records are deterministic. ``insert_datetime`` (the
            ``ProviderDates`` Insert/Update date) defaults to the production time.
        file_name: defaults to the last path component of the first URL.
        data_format, mime_type: the file's format and MIME type (a UMM-G ``MimeTypeEnum`` value).
    """
    granule_ur = valid_text(granule_ur, "granule_ur", 250)
    short_name = valid_text(short_name, "short_name", 85)
    version = valid_text(version, "version", 80)
    begin_dt, end_dt = temporal_pair((begin, end), "granule time")
    size = valid_size(size_bytes, "size_bytes")
    if mime_type not in UMM_G_MIME_TYPES:
        raise InvalidInputError(
            f"mime_type {mime_type!r} is not allowed by UMM-G; use e.g. application/x-netcdf"
        )
    data_format = valid_text(data_format, "data_format", 80)
    if day_night_flag not in ("Day", "Night", "Both", "Unspecified"):
        raise InvalidInputError(
            f"day_night_flag {day_night_flag!r} is not Day, Night, Both or Unspecified"
        )

    urls = [data_url] if isinstance(data_url, str) else list(data_url)
    if not urls:
        raise InvalidInputError("data_url must give at least one URL of the granule file")
    urls = [absolute_url(u, "data_url") for u in urls]
    name = file_name or unquote(PurePosixPath(urlsplit(urls[0]).path).name)
    name = valid_text(name, "file_name", 1024)

    produced = to_datetime(
        production_datetime if production_datetime is not None else (end_dt or begin_dt),
        "production_datetime",
    )
    inserted = to_datetime(
        insert_datetime if insert_datetime is not None else produced, "insert_datetime"
    )

    file_info: dict[str, Any] = {
        "Name": name,
        "SizeInBytes": size,
        "Size": round(size / _MB, 6),
        "SizeUnit": "MB",
        "Format": data_format,
        "MimeType": mime_type,
    }
    if checksum is not None:
        file_info["Checksum"] = _checksum(checksum, checksum_algorithm)
    elif checksum_algorithm is not None:
        raise InvalidInputError("checksum_algorithm given without a checksum value")

    related = []
    for url in urls:
        direct = urlsplit(url).scheme == "s3"
        related.append(
            {
                "URL": url,
                "Type": "GET DATA VIA DIRECT ACCESS" if direct else "GET DATA",
                "Description": (f"Direct S3 access to {name}" if direct else f"Download {name}"),
                "Format": data_format,
                "MimeType": mime_type,
            }
        )

    return {
        "GranuleUR": granule_ur,
        "ProviderDates": [
            {"Type": "Insert", "Date": cmr_datetime(inserted)},
            {"Type": "Update", "Date": cmr_datetime(inserted)},
        ],
        "CollectionReference": {"ShortName": short_name, "Version": version},
        "DataGranule": {
            "ArchiveAndDistributionInformation": [file_info],
            "DayNightFlag": day_night_flag,
            "ProductionDateTime": cmr_datetime(produced),
        },
        "TemporalExtent": {"RangeDateTime": range_date_time(begin_dt, end_dt)},
        "SpatialExtent": {
            "HorizontalSpatialDomain": {
                "Geometry": {"BoundingRectangles": [bounding_rectangle(bbox)]}
            }
        },
        "RelatedUrls": related,
        "MetadataSpecification": {
            "URL": f"https://cdn.earthdata.nasa.gov/umm/granule/v{UMM_G_VERSION}",
            "Name": "UMM-G",
            "Version": UMM_G_VERSION,
        },
    }


def _checksum(value: Any, algorithm: str | None) -> dict[str, str]:
    if not isinstance(value, str) or not re.fullmatch(r"[0-9a-fA-F]+", value.strip()):
        raise InvalidInputError(f"checksum {value!r} must be a hexadecimal digest")
    value = value.strip().lower()
    if algorithm is None:
        matches = [a for a, n in CHECKSUM_HEX_LENGTHS.items() if n == len(value)]
        if not matches:
            raise InvalidInputError(
                f"checksum has {len(value)} hex digits, which matches no known algorithm; "
                f"pass checksum_algorithm= (one of {', '.join(CHECKSUM_HEX_LENGTHS)})"
            )
        algorithm = matches[0]
    if algorithm not in CHECKSUM_HEX_LENGTHS:
        raise InvalidInputError(
            f"checksum_algorithm {algorithm!r} is not one of {', '.join(CHECKSUM_HEX_LENGTHS)}"
        )
    if len(value) != CHECKSUM_HEX_LENGTHS[algorithm]:
        raise InvalidInputError(
            f"a {algorithm} checksum has {CHECKSUM_HEX_LENGTHS[algorithm]} hex digits, "
            f"got {len(value)}"
        )
    return {"Value": value, "Algorithm": algorithm}
