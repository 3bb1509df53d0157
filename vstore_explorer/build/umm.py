"""UMM-C and UMM-G record writers: the CMR metadata of virtual stores and of their granules.

Pure functions returning plain JSON-able dicts (no I/O, no module-level mutable state):

- :func:`collection_umm` – a UMM-C 1.18.6 record whose ``RelatedUrls`` link each virtual store as
  ``{"Type": "GET DATA", "Subtype": "VIRTUAL COLLECTION", "URLContentType": "DistributionURL",
  "URL": ..., "Description": ..., "GetData": {"Format": ..., "MimeType": ..., ...}}``.
- :func:`granule_umm` – a UMM-G 1.6.7 record for one granule file.
- :func:`cmr_item` – a record wrapped as in CMR ``umm_json`` search results (``{"meta", "umm"}``).
- :func:`concept_ids` – deterministic concept ids (``C…-PROVIDER`` / ``G…-PROVIDER``) derived by
  hashing short names, so rebuilding an archive gives the same ids.
- :func:`cmr_datetime` – datetimes rendered as CMR does (``2024-10-11T00:00:00.000Z``).

Schema constraints and the choices they force (checked against the real schemas):

- In UMM-C 1.18.6 a ``RelatedUrl`` has no top-level ``Format``/``MimeType`` (``additionalProperties``
  is false): they live in ``GetData``, which also requires ``Size`` and ``Unit``. When a store's
  size is not known, ``Size`` is ``0`` with ``Unit`` ``"MB"`` – what real CMR records do for "not
  provided". Readers should look at ``GetData.Format`` *and* the ``Description``, which always names
  the store kind (see :data:`STORE_FORMATS`).
- ``GetData.Format`` and ``MimeType`` are free strings in UMM-C (KMS-controlled, not enforced). The
  MIME types used are all members of UMM-CMN's ``URLMimeTypeEnum``: ``application/json`` for
  Kerchunk JSON, ``application/octet-stream`` for Parquet, ``Not provided`` for the directory-like
  Icechunk and Zarr stores (they are prefixes, not files).
- ``URL`` is a plain string (max 1024 chars), but a record is read far from where it was written,
  so store and granule locations are written as absolute URLs: ``s3://``, ``https://``, ``http://``
  and ``file://`` URLs are kept as given, an absolute local path becomes a ``file://`` URL
  (``Path.as_uri``, percent-encoded), and a relative path is refused (this module does no I/O, so it
  cannot resolve it; resolve it first).
- A bounding box crossing the antimeridian is one ``BoundingRectangle`` with west > east, as CMR
  expects. Coordinates are rounded to 6 decimals (about 0.1 m).

Example:
    >>> from datetime import datetime
    >>> from vstore_explorer.catalog.links import StoreLink
    >>> record = collection_umm(
    ...     short_name="SST_DEMO", version="1", entry_title="Demo SST", abstract="Synthetic SST.",
    ...     provider="VSTOREDEMO", processing_level="4", temporal=(datetime(2024, 1, 1), None),
    ...     bbox=(-180, -90, 180, 90), science_keywords=["EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE"],
    ...     stores=[StoreLink(url="s3://bucket/sst/", kind="icechunk", branch="main")])
    >>> link = record["RelatedUrls"][0]
    >>> link["Subtype"], link["GetData"]["Format"]
    ('VIRTUAL COLLECTION', 'Icechunk')
    >>> concept_ids("VSTOREDEMO").collection("SST_DEMO", "1")  # doctest: +ELLIPSIS
    'C...-VSTOREDEMO'
"""

from __future__ import annotations

import copy
import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import PurePosixPath
from types import MappingProxyType
from typing import Any
from urllib.parse import unquote, urlsplit

import numpy as np

from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.errors import InvalidInputError

UMM_C_VERSION = "1.18.6"
UMM_G_VERSION = "1.6.7"
UMM_JSON_FORMAT = "application/vnd.nasa.cmr.umm+json"
VIRTUAL_COLLECTION = "VIRTUAL COLLECTION"

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
_KEYWORD_LEVELS = (
    "Category",
    "Topic",
    "Term",
    "VariableLevel1",
    "VariableLevel2",
    "VariableLevel3",
    "DetailedVariable",
)
_PROVIDER_RE = re.compile(r"^[A-Z0-9_]{1,10}$")
_MB = 1024 * 1024


@dataclass(frozen=True)
class StoreFormat:
    """How one store kind is written in a UMM-C ``VIRTUAL COLLECTION`` link.

    Attributes:
        kind: the :class:`StoreLink` kind.
        format: ``GetData.Format``.
        mime_type: ``GetData.MimeType`` (a UMM-CMN ``URLMimeTypeEnum`` value).
        label: the start of the ``Description``; names the kind explicitly.
    """

    kind: str
    format: str
    mime_type: str
    label: str


STORE_FORMATS: Mapping[str, StoreFormat] = MappingProxyType(
    {
        "icechunk": StoreFormat(
            "icechunk",
            "Icechunk",
            "Not provided",
            "Icechunk repository (virtual Zarr store built with VirtualiZarr)",
        ),
        "kerchunk-json": StoreFormat(
            "kerchunk-json",
            "Kerchunk JSON",
            "application/json",
            "Kerchunk JSON reference file (virtual Zarr store built with VirtualiZarr)",
        ),
        "kerchunk-parquet": StoreFormat(
            "kerchunk-parquet",
            "Kerchunk Parquet",
            "application/octet-stream",
            "Kerchunk Parquet reference store (virtual Zarr store built with VirtualiZarr)",
        ),
        "zarr": StoreFormat("zarr", "Zarr", "Not provided", "Zarr store"),
    }
)


def store_kind_for_format(fmt: str) -> str | None:
    """The store kind written with ``GetData.Format`` ``fmt`` by this module, or ``None``.

    Example:
        >>> store_kind_for_format("kerchunk parquet")
        'kerchunk-parquet'
    """
    wanted = fmt.strip().casefold()
    for spec in STORE_FORMATS.values():
        if spec.format.casefold() == wanted:
            return spec.kind
    return None


# ---------------------------------------------------------------------------------------------
# small validated conversions


def cmr_datetime(value: datetime | date | str | np.datetime64) -> str:
    """A datetime as CMR renders it: UTC, milliseconds, ``Z`` (naive values are taken as UTC).

    Example:
        >>> cmr_datetime(datetime(2024, 10, 11))
        '2024-10-11T00:00:00.000Z'
    """
    dt = _to_datetime(value, "datetime")
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def _to_datetime(value: Any, what: str) -> datetime:
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


def _text(value: Any, what: str, max_len: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(f"{what} must be a non-empty string, got {value!r}")
    value = value.strip()
    if len(value) > max_len:
        raise InvalidInputError(
            f"{what} is {len(value)} characters long; UMM allows at most {max_len}"
        )
    return value


def _provider(provider: Any) -> str:
    if not isinstance(provider, str) or not _PROVIDER_RE.match(provider):
        raise InvalidInputError(
            f"provider {provider!r} is not a CMR provider id: 1-10 characters of A-Z, 0-9 or _ "
            "(e.g. 'VSTOREDEMO')"
        )
    return provider


def _number(value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise InvalidInputError(f"{what} must be a number, got {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise InvalidInputError(f"{what} must be finite, got {value}")
    return value


def _bounding_rectangle(bbox: Any, what: str = "bbox") -> dict[str, float]:
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
        _number(v, f"{what} {n}")
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


def _absolute_url(location: Any, what: str) -> str:
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


def _size(size_bytes: Any, what: str) -> int:
    if isinstance(size_bytes, bool) or not isinstance(size_bytes, (int, np.integer)):
        raise InvalidInputError(f"{what} must be an integer number of bytes, got {size_bytes!r}")
    if size_bytes < 0:
        raise InvalidInputError(f"{what} must be >= 0 bytes, got {size_bytes}")
    return int(size_bytes)


def _size_with_unit(size_bytes: int) -> tuple[float, str]:
    """Bytes as (size, unit) with the largest UMM unit (KB..PB, 1024-based) giving size >= 1."""
    size, unit = size_bytes / 1024, "KB"
    for next_unit in ("MB", "GB", "TB", "PB"):
        if size < 1024:
            break
        size, unit = size / 1024, next_unit
    return round(size, 3), unit


# ---------------------------------------------------------------------------------------------
# UMM-C


def collection_umm(
    *,
    short_name: str,
    version: str,
    entry_title: str,
    abstract: str,
    provider: str,
    processing_level: str | int,
    temporal: tuple[Any, Any],
    bbox: tuple[float, float, float, float],
    stores: Sequence[StoreLink],
    science_keywords: Sequence[str | Sequence[str] | Mapping[str, str]],
    variables: Sequence[Any] = (),
    platforms: Sequence[Any] = ("Not provided",),
    doi: str | None = None,
    doi_explanation: str = "No DOI has been registered for this collection.",
    landing_page: str | None = None,
    granule_spatial_representation: str = "CARTESIAN",
    collection_progress: str | None = None,
    resolution_deg: float | tuple[float, float] | None = None,
    granule_format: str = "netCDF-4",
    average_file_size_bytes: int | None = None,
    data_center: str | None = None,
    data_center_long_name: str | None = None,
    store_sizes: Mapping[str, int] | None = None,
    metadata_date: Any = None,
) -> dict[str, Any]:
    """A UMM-C 1.18.6 collection record linking the collection to its virtual stores.

    Args:
        short_name, version, entry_title, abstract: the collection's identity and description.
        provider: CMR provider id (``VSTOREDEMO``); also the default data center short name.
        processing_level: ``ProcessingLevel.Id`` (e.g. ``"4"``).
        temporal: ``(begin, end)``; ``end=None`` is an ongoing collection (``EndsAtPresentFlag``,
            progress ``ACTIVE``), else progress ``COMPLETE``.
        bbox: ``(west, south, east, north)`` in degrees; west > east crosses the antimeridian.
        stores: one ``GET DATA`` / ``VIRTUAL COLLECTION`` link per store (kind ``unknown`` refused).
            The description is the kind's label (:data:`STORE_FORMATS`), the Icechunk branch
            (``main`` when ``None``), the link's title and description; a link description that
            already starts with the label is used verbatim (so parsed records rebuild unchanged).
        science_keywords: at least one GCMD keyword: ``"EARTH SCIENCE > OCEANS > ..."``, a
            sequence of levels, or a mapping with ``Category``/``Topic``/``Term``/... keys.
        variables: data variable names (strings, mappings or objects with ``name`` and optional
            ``long_name``/``units``). UMM-C has no variable list (that is UMM-V), so they are
            recorded in ``AdditionalAttributes`` (``data_variables``) for catalogs to show.
        platforms: platform short names, ``(platform, [instruments])`` pairs or UMM mappings.
        doi: a DOI (``10.xxxx/...``); when ``None`` the record says ``MissingReason: Not
            Applicable`` with ``doi_explanation``.
        landing_page: a ``DATA SET LANDING PAGE`` URL; defaults to ``https://doi.org/<doi>``.
        granule_spatial_representation: ``CARTESIAN``, ``GEODETIC`` or ``NO_SPATIAL``.
        resolution_deg: grid spacing (one value or ``(dx, dy)``) in decimal degrees.
        granule_format, average_file_size_bytes: ``ArchiveAndDistributionInformation`` of the files.
        store_sizes: bytes of each store (keyed by the StoreLink's ``url``) for ``GetData.Size``;
            missing ones are written as ``0 MB`` (not provided).
        metadata_date: when given, ``MetadataDates`` CREATE/UPDATE (and the default CMR
            revision date of :func:`cmr_item`).
    """
    short_name = _text(short_name, "short_name", 85)
    version = _text(version, "version", 80)
    entry_title = _text(entry_title, "entry_title", 1030)
    abstract = _text(abstract, "abstract", 40000)
    provider = _provider(provider)
    if isinstance(processing_level, int) and not isinstance(processing_level, bool):
        processing_level = str(processing_level)
    level = _text(processing_level, "processing_level", 80)

    begin, end = _temporal_pair(temporal, "temporal")
    progress = collection_progress or ("ACTIVE" if end is None else "COMPLETE")
    if progress not in COLLECTION_PROGRESS:
        raise InvalidInputError(
            f"collection_progress {progress!r} is not one of {', '.join(COLLECTION_PROGRESS)}"
        )
    representation = granule_spatial_representation
    if representation not in GRANULE_SPATIAL_REPRESENTATIONS:
        raise InvalidInputError(
            f"granule_spatial_representation {representation!r} is not one of "
            f"{', '.join(GRANULE_SPATIAL_REPRESENTATIONS)} (ORBIT needs orbit parameters, which "
            "gridded virtual stores do not have)"
        )

    if isinstance(stores, StoreLink) or not stores:
        raise InvalidInputError(
            "stores must be a non-empty sequence of StoreLink: a collection record written by "
            "vstore_explorer links at least one virtual store"
        )
    sizes = dict(store_sizes or {})
    related = [_store_related_url(link, sizes.get(link.url)) for link in stores]
    urls = [r["URL"] for r in related]
    duplicates = sorted({u for u in urls if urls.count(u) > 1})
    if duplicates:
        raise InvalidInputError(f"stores link the same URL more than once: {', '.join(duplicates)}")

    doi_record, doi_landing = _doi(doi, doi_explanation)
    landing = landing_page if landing_page is not None else doi_landing
    if landing is not None:
        related.append(
            {
                "URL": _absolute_url(landing, "landing_page"),
                "URLContentType": "CollectionURL",
                "Type": "DATA SET LANDING PAGE",
                "Description": f"Landing page of {entry_title}",
            }
        )

    temporal_extent: dict[str, Any] = {"RangeDateTimes": [_range(begin, end)]}
    if end is None:
        temporal_extent["EndsAtPresentFlag"] = True

    horizontal: dict[str, Any] = {
        "Geometry": {
            "CoordinateSystem": "GEODETIC" if representation == "GEODETIC" else "CARTESIAN",
            "BoundingRectangles": [_bounding_rectangle(bbox)],
        }
    }
    if resolution_deg is not None:
        horizontal["ResolutionAndCoordinateSystem"] = _resolution(resolution_deg)

    file_info: dict[str, Any] = {
        "Format": _text(granule_format, "granule_format", 80),
        "FormatType": "Native",
    }
    if average_file_size_bytes is not None:
        size, unit = _size_with_unit(_size(average_file_size_bytes, "average_file_size_bytes"))
        file_info.update(AverageFileSize=size, AverageFileSizeUnit=unit)

    center: dict[str, Any] = {
        "Roles": ["ARCHIVER", "DISTRIBUTOR"],
        "ShortName": _text(data_center or provider, "data_center", 85),
    }
    if data_center_long_name:
        center["LongName"] = _text(data_center_long_name, "data_center_long_name", 1024)

    record: dict[str, Any] = {
        "ShortName": short_name,
        "Version": version,
        "EntryTitle": entry_title,
        "Abstract": abstract,
        "DOI": doi_record,
        "DataCenters": [center],
        "ProcessingLevel": {"Id": level},
        "CollectionProgress": progress,
        "ScienceKeywords": _science_keywords(science_keywords),
        "Platforms": _platforms(platforms),
        "TemporalExtents": [temporal_extent],
        "SpatialExtent": {
            "SpatialCoverageType": "HORIZONTAL",
            "HorizontalSpatialDomain": horizontal,
            "GranuleSpatialRepresentation": representation,
        },
        "ArchiveAndDistributionInformation": {
            "FileArchiveInformation": [dict(file_info)],
            "FileDistributionInformation": [dict(file_info)],
        },
        "RelatedUrls": related,
        "MetadataSpecification": {
            "URL": f"https://cdn.earthdata.nasa.gov/umm/collection/v{UMM_C_VERSION}",
            "Name": "UMM-C",
            "Version": UMM_C_VERSION,
        },
    }
    attribute = _variables_attribute(variables)
    if attribute is not None:
        record["AdditionalAttributes"] = [attribute]
    if metadata_date is not None:
        stamp = cmr_datetime(_to_datetime(metadata_date, "metadata_date"))
        record["MetadataDates"] = [
            {"Type": "CREATE", "Date": stamp},
            {"Type": "UPDATE", "Date": stamp},
        ]
    return record


def store_description(link: StoreLink) -> str:
    """The ``Description`` written for a store link; it always names the store kind.

    Example:
        >>> store_description(StoreLink(url="s3://b/sst/", kind="icechunk"))
        'Icechunk repository (virtual Zarr store built with VirtualiZarr), branch main.'
    """
    spec = _store_format(link)
    given = link.description.strip()
    if given.startswith(spec.label):
        return _text(given, "store description", 4000)
    text = spec.label
    if spec.kind == "icechunk":
        text += f", branch {link.branch or 'main'}"
    if link.title.strip():
        text += f": {link.title.strip().rstrip('.')}"
    text += "."
    if given:
        text += f" {given}"
    return _text(text, "store description", 4000)


def _store_format(link: StoreLink) -> StoreFormat:
    if not isinstance(link, StoreLink):
        raise InvalidInputError(f"stores must hold StoreLink objects, got {type(link).__name__}")
    spec = STORE_FORMATS.get(link.kind)
    if spec is None:
        raise InvalidInputError(
            f"store {link.url!r} has kind {link.kind!r}, which cannot be written to a UMM record; "
            f"set StoreLink.kind to one of {', '.join(STORE_FORMATS)}"
        )
    return spec


def _store_related_url(link: StoreLink, size_bytes: int | None) -> dict[str, Any]:
    spec = _store_format(link)
    if size_bytes is None:
        size, unit = 0, "MB"  # CMR's convention for "size not provided"
    else:
        size, unit = _size_with_unit(_size(size_bytes, f"store_sizes[{link.url!r}]"))
    return {
        "URL": _absolute_url(link.url, "store url"),
        "URLContentType": "DistributionURL",
        "Type": "GET DATA",
        "Subtype": VIRTUAL_COLLECTION,
        "Description": store_description(link),
        "GetData": {"Format": spec.format, "MimeType": spec.mime_type, "Size": size, "Unit": unit},
    }


def _temporal_pair(temporal: Any, what: str) -> tuple[datetime, datetime | None]:
    if (
        isinstance(temporal, (str, bytes))
        or not isinstance(temporal, Sequence)
        or len(temporal) != 2
    ):
        raise InvalidInputError(
            f"{what} must be (begin, end) with end None for ongoing, got {temporal!r}"
        )
    begin = _to_datetime(temporal[0], f"{what} begin")
    end = None if temporal[1] is None else _to_datetime(temporal[1], f"{what} end")
    if end is not None and begin > end:
        raise InvalidInputError(
            f"{what} begin {cmr_datetime(begin)} is after end {cmr_datetime(end)}; "
            "give (begin, end) in time order"
        )
    return begin, end


def _range(begin: datetime, end: datetime | None) -> dict[str, str]:
    out = {"BeginningDateTime": cmr_datetime(begin)}
    if end is not None:
        out["EndingDateTime"] = cmr_datetime(end)
    return out


def _doi(doi: str | None, explanation: str) -> tuple[dict[str, str], str | None]:
    if doi is None:
        return {
            "MissingReason": "Not Applicable",
            "Explanation": _text(explanation, "doi_explanation", 1024),
        }, None
    value = _text(doi, "doi", 1024)
    for prefix in ("https://doi.org/", "http://doi.org/", "doi:"):
        if value.lower().startswith(prefix):
            value = value[len(prefix) :]
    if not re.match(r"^10\.\d{4,9}/\S+$", value):
        raise InvalidInputError(f"doi {doi!r} is not a DOI like 10.5067/GHGAM-4FA1A")
    return {"DOI": value, "Authority": "https://doi.org"}, f"https://doi.org/{value}"


def _science_keywords(keywords: Any) -> list[dict[str, str]]:
    if isinstance(keywords, (str, Mapping)) or not isinstance(keywords, Sequence) or not keywords:
        raise InvalidInputError(
            "science_keywords must be a non-empty sequence of GCMD keywords, e.g. "
            "['EARTH SCIENCE > OCEANS > OCEAN TEMPERATURE > SEA SURFACE TEMPERATURE']"
        )
    out = []
    for kw in keywords:
        if isinstance(kw, Mapping):
            unknown = set(kw) - set(_KEYWORD_LEVELS)
            if unknown:
                raise InvalidInputError(
                    f"science keyword {dict(kw)!r} has unknown key(s) {sorted(unknown)}; "
                    f"use {', '.join(_KEYWORD_LEVELS)}"
                )
            levels = [kw.get(k) for k in _KEYWORD_LEVELS]
            while levels and levels[-1] is None:
                levels.pop()
        elif isinstance(kw, str):
            levels = [part.strip() for part in kw.split(">")]
        elif isinstance(kw, Sequence):
            levels = list(kw)
        else:
            raise InvalidInputError(f"science keyword {kw!r} must be a string, sequence or mapping")
        if not 3 <= len(levels) <= len(_KEYWORD_LEVELS):
            raise InvalidInputError(
                f"science keyword {kw!r} needs 3 to 7 levels (Category > Topic > Term > ...)"
            )
        out.append(
            {
                name: _text(value, f"science keyword {name}", 80)
                for name, value in zip(_KEYWORD_LEVELS, levels, strict=False)
            }
        )
    return out


def _platforms(platforms: Any) -> list[dict[str, Any]]:
    if (
        isinstance(platforms, (str, Mapping))
        or not isinstance(platforms, Sequence)
        or not platforms
    ):
        raise InvalidInputError(
            "platforms must be a non-empty sequence of platform names, (platform, instruments) "
            "pairs or UMM platform mappings; use ['Not provided'] for model output"
        )
    out = []
    for p in platforms:
        if isinstance(p, str):
            out.append({"ShortName": _text(p, "platform ShortName", 80)})
        elif isinstance(p, Mapping):
            allowed = {"ShortName", "LongName", "Type", "Instruments"}
            unknown = set(p) - allowed
            if unknown:
                raise InvalidInputError(
                    f"platform {dict(p)!r} has unknown key(s) {sorted(unknown)}; "
                    f"use {', '.join(sorted(allowed))}"
                )
            entry: dict[str, Any] = {
                "ShortName": _text(p.get("ShortName"), "platform ShortName", 80)
            }
            if p.get("LongName"):
                entry["LongName"] = _text(p["LongName"], "platform LongName", 1024)
            if p.get("Type"):
                entry["Type"] = _text(p["Type"], "platform Type", 80)
            if p.get("Instruments"):
                entry["Instruments"] = _instruments(p["Instruments"])
            out.append(entry)
        elif isinstance(p, Sequence) and len(p) == 2:
            entry = {"ShortName": _text(p[0], "platform ShortName", 80)}
            if p[1]:
                entry["Instruments"] = _instruments(p[1])
            out.append(entry)
        else:
            raise InvalidInputError(
                f"platform {p!r} must be a name, (name, instruments) or a mapping"
            )
    return out


def _instruments(instruments: Any) -> list[dict[str, str]]:
    if isinstance(instruments, (str, Mapping)):
        instruments = [instruments]
    out = []
    for i in instruments:
        if isinstance(i, Mapping):
            entry = {"ShortName": _text(i.get("ShortName"), "instrument ShortName", 80)}
            if i.get("LongName"):
                entry["LongName"] = _text(i["LongName"], "instrument LongName", 1024)
            out.append(entry)
        else:
            out.append({"ShortName": _text(i, "instrument ShortName", 80)})
    return out


def _resolution(resolution_deg: float | tuple[float, float]) -> dict[str, Any]:
    if isinstance(resolution_deg, Sequence):
        if len(resolution_deg) != 2:
            raise InvalidInputError(
                f"resolution_deg must be a number or (dx, dy), got {resolution_deg!r}"
            )
        dx, dy = resolution_deg
    else:
        dx = dy = resolution_deg
    dx, dy = _number(dx, "resolution_deg x"), _number(dy, "resolution_deg y")
    if dx <= 0 or dy <= 0:
        raise InvalidInputError(f"resolution_deg must be positive, got ({dx}, {dy})")
    return {
        "Description": f"Regular latitude-longitude grid, {dx:g} x {dy:g} degrees",
        "HorizontalDataResolution": {
            "GriddedResolutions": [{"XDimension": dx, "YDimension": dy, "Unit": "Decimal Degrees"}]
        },
    }


def _variables_attribute(variables: Any) -> dict[str, str] | None:
    if isinstance(variables, (str, Mapping)):
        raise InvalidInputError("variables must be a sequence of variable names or descriptions")
    entries = []
    for v in variables:
        if isinstance(v, str):
            name, long_name, units = v, None, None
        elif isinstance(v, Mapping):
            name, long_name, units = v.get("name"), v.get("long_name"), v.get("units")
        else:
            name = getattr(v, "name", None)
            long_name, units = getattr(v, "long_name", None), getattr(v, "units", None)
        name = _text(name, "variable name", 80)
        detail = ", ".join(str(x) for x in (long_name, units) if x)
        entries.append((name, f"{name} ({detail})" if detail else name))
    if not entries:
        return None
    names = [n for n, _ in entries]
    if len(set(names)) != len(names):
        raise InvalidInputError(f"variables are listed more than once: {names}")
    value = ",".join(names)
    if len(value) > 500:
        raise InvalidInputError(
            f"variable names take {len(value)} characters; a UMM AdditionalAttribute value "
            "holds at most 500: list the main variables only"
        )
    description = "Data variables of the granules and virtual stores: " + "; ".join(
        d for _, d in entries
    )
    if len(description) > 2048:
        description = description[:2044] + " ..."
    return {
        "Name": "data_variables",
        "Description": description,
        "DataType": "STRING",
        "Value": value,
    }


# ---------------------------------------------------------------------------------------------
# UMM-G


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
    granule_ur = _text(granule_ur, "granule_ur", 250)
    short_name = _text(short_name, "short_name", 85)
    version = _text(version, "version", 80)
    begin_dt, end_dt = _temporal_pair((begin, end), "granule time")
    size = _size(size_bytes, "size_bytes")
    if mime_type not in UMM_G_MIME_TYPES:
        raise InvalidInputError(
            f"mime_type {mime_type!r} is not allowed by UMM-G; use e.g. application/x-netcdf"
        )
    data_format = _text(data_format, "data_format", 80)
    if day_night_flag not in ("Day", "Night", "Both", "Unspecified"):
        raise InvalidInputError(
            f"day_night_flag {day_night_flag!r} is not Day, Night, Both or Unspecified"
        )

    urls = [data_url] if isinstance(data_url, str) else list(data_url)
    if not urls:
        raise InvalidInputError("data_url must give at least one URL of the granule file")
    urls = [_absolute_url(u, "data_url") for u in urls]
    name = file_name or unquote(PurePosixPath(urlsplit(urls[0]).path).name)
    name = _text(name, "file_name", 1024)

    produced = _to_datetime(
        production_datetime if production_datetime is not None else (end_dt or begin_dt),
        "production_datetime",
    )
    inserted = _to_datetime(
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
        "TemporalExtent": {"RangeDateTime": _range(begin_dt, end_dt)},
        "SpatialExtent": {
            "HorizontalSpatialDomain": {
                "Geometry": {"BoundingRectangles": [_bounding_rectangle(bbox)]}
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


# ---------------------------------------------------------------------------------------------
# CMR wrapping and concept ids


def cmr_item(
    umm: Mapping[str, Any],
    *,
    concept_id: str,
    provider: str,
    revision_id: int = 1,
    native_id: str | None = None,
    revision_date: Any = None,
    collection_concept_id: str | None = None,
) -> dict[str, Any]:
    """``umm`` wrapped as one item of a CMR ``umm_json`` search result (a deep copy).

    The concept type comes from the record (``GranuleUR`` → granule) and must match the id's
    letter. ``native_id`` defaults to the ``GranuleUR`` or ``<ShortName>___<Version>``;
    ``revision_date`` to the record's own latest date (``ProviderDates`` / ``MetadataDates``), and
    is left out when the record has none.

    Example:
        >>> g = granule_umm(granule_ur="g1", short_name="S", version="1", begin="2024-01-01",
        ...                 end="2024-01-02", bbox=(-180, -90, 180, 90), size_bytes=10,
        ...                 data_url="s3://b/g1.nc")
        >>> cmr_item(g, concept_id="G1000000001-VSTOREDEMO", provider="VSTOREDEMO")["meta"][
        ...     "revision-date"]
        '2024-01-02T00:00:00.000Z'
    """
    provider = _provider(provider)
    if not isinstance(umm, Mapping):
        raise InvalidInputError(f"umm must be a UMM record (a mapping), got {type(umm).__name__}")
    is_granule = "GranuleUR" in umm
    concept_type = "granule" if is_granule else "collection"
    letter = "G" if is_granule else "C"
    if not isinstance(concept_id, str) or not re.fullmatch(rf"{letter}\d+-{provider}", concept_id):
        raise InvalidInputError(
            f"concept_id {concept_id!r} does not fit a {concept_type} of provider {provider}: "
            f"expected {letter}<digits>-{provider} (see concept_ids())"
        )
    if isinstance(revision_id, bool) or not isinstance(revision_id, int) or revision_id < 1:
        raise InvalidInputError(f"revision_id must be an integer >= 1, got {revision_id!r}")
    if native_id is None:
        if is_granule:
            native_id = umm["GranuleUR"]
        else:
            native_id = f"{umm.get('ShortName')}___{umm.get('Version')}"
    meta: dict[str, Any] = {
        "concept-type": concept_type,
        "concept-id": concept_id,
        "revision-id": revision_id,
        "native-id": _text(native_id, "native_id", 1024),
        "provider-id": provider,
        "format": UMM_JSON_FORMAT,
    }
    if collection_concept_id is not None:
        if not is_granule:
            raise InvalidInputError("collection_concept_id only applies to granule records")
        if not re.fullmatch(r"C\d+-[A-Z0-9_]{1,10}", str(collection_concept_id)):
            raise InvalidInputError(
                f"collection_concept_id {collection_concept_id!r} is not C<digits>-<PROVIDER>"
            )
        meta["collection-concept-id"] = collection_concept_id
    date_value = revision_date if revision_date is not None else _record_date(umm)
    if date_value is not None:
        meta["revision-date"] = cmr_datetime(_to_datetime(date_value, "revision_date"))
    return {"meta": meta, "umm": copy.deepcopy(dict(umm))}


def _record_date(umm: Mapping[str, Any]) -> str | None:
    dates = umm.get("ProviderDates") or umm.get("MetadataDates") or []
    by_type = {
        str(d.get("Type", "")).upper(): d.get("Date") for d in dates if isinstance(d, Mapping)
    }
    return by_type.get("UPDATE") or by_type.get("INSERT") or by_type.get("CREATE")


@dataclass(frozen=True)
class ConceptIds:
    """Deterministic CMR-style concept ids for one provider, derived by hashing names.

    Collections get ``C`` + 10 digits; granules ``G`` + 12 digits. With an integer index the
    granule number is the collection's 6-digit hash block followed by the index (unique within
    a collection for index < 1,000,000); with a string key (e.g. the GranuleUR) it is a hash.

    Example:
        >>> ids = concept_ids("VSTOREDEMO")
        >>> ids.collection("SST_DEMO", "1") == ids.collection("SST_DEMO", "1")
        True
        >>> ids.granule("SST_DEMO", 7, "1")[-17:]
        '000007-VSTOREDEMO'
    """

    provider: str

    def __post_init__(self) -> None:
        _provider(self.provider)

    def collection(self, short_name: str, version: str = "") -> str:
        """The collection id of ``short_name`` (and ``version``)."""
        digest = _digest("C", _text(short_name, "short_name", 85), version)
        return f"C{1_000_000_000 + digest % 9_000_000_000}-{self.provider}"

    def granule(self, short_name: str, key: int | str, version: str = "") -> str:
        """The id of a granule of ``short_name``, by index (``int``) or by name (``str``)."""
        short_name = _text(short_name, "short_name", 85)
        if isinstance(key, bool) or not isinstance(key, (int, str, np.integer)):
            raise InvalidInputError(
                f"granule key must be an index (int) or a name (str), got {key!r}"
            )
        if isinstance(key, str):
            digest = _digest("G", short_name, version, _text(key, "granule key", 1024))
            return f"G{100_000_000_000 + digest % 900_000_000_000}-{self.provider}"
        index = int(key)
        if not 0 <= index < 1_000_000:
            raise InvalidInputError(
                f"granule index {index} must be in 0..999999; use a name for more"
            )
        block = 100_000 + _digest("G", short_name, version) % 900_000
        return f"G{block * 1_000_000 + index}-{self.provider}"


def concept_ids(provider: str) -> ConceptIds:
    """Deterministic concept-id maker for ``provider`` (see :class:`ConceptIds`)."""
    return ConceptIds(provider)


def _digest(*parts: str) -> int:
    data = "\x1f".join(parts).encode()
    return int.from_bytes(hashlib.sha256(data).digest()[:8], "big")
