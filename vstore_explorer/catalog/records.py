"""UMM-C / UMM-G JSON → frozen records (:class:`Collection`, :class:`Granule`); no I/O.

Records parse from CMR ``umm_json`` items (``{"meta": {...}, "umm": {...}}``) and from bare UMM
records (then ``concept_id`` is ``None``). The raw UMM is kept, read-only, in ``.umm``.

Example:
    >>> c = Collection.from_umm({"meta": {"concept-id": "C1-DEMO", "provider-id": "DEMO"},
    ...     "umm": {"ShortName": "SST", "Version": "1", "EntryTitle": "Demo SST",
    ...             "TemporalExtents": [{"RangeDateTimes": [{"BeginningDateTime": "2020-01-01"}]}]}})
    >>> c.summary()
    'SST v1 [C1-DEMO, DEMO] Demo SST | 2020-01-01 → present | no virtual store'
    >>> Collection.from_dict(c.to_dict()) == c
    True
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from vstore_explorer.catalog.base import MalformedRecordError
from vstore_explorer.catalog.discovery import (
    Override,
    OverrideError,
    discover_stores,
    store_kinds,
)
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.errors import InvalidInputError

_SIZE_UNITS = {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4, "PB": 1024**5}
_EMPTY: Mapping[str, Any] = MappingProxyType({})


def freeze(value: Any) -> Any:
    """A deep read-only copy: dicts become ``MappingProxyType``, lists become tuples."""
    if isinstance(value, Mapping):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, list | tuple):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    """The inverse of :func:`freeze`: plain dicts and lists (JSON-able)."""
    if isinstance(value, Mapping):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [thaw(v) for v in value]
    return value


def parse_datetime(value: Any) -> datetime | None:
    """An aware UTC datetime from a UMM date string (``None`` for empty values)."""
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"date {value!r} is not a string")
    parsed = datetime.fromisoformat(value.strip())
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def _day(value: datetime | None, default: str) -> str:
    return default if value is None else value.strftime("%Y-%m-%d")


def _text(value: Any) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value: Any, name: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list | tuple):
        raise InvalidInputError(f"{name} must be a list, not {type(value).__name__}")
    return list(value)


def _split_item(record: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """``(umm, meta)`` of a CMR item or a bare UMM record."""
    if not isinstance(record, Mapping):
        raise MalformedRecordError(
            f"a UMM record must be a JSON object, not {type(record).__name__}"
        )
    if "umm" in record:
        umm, meta = record["umm"], record.get("meta") or {}
        if not isinstance(umm, Mapping) or not isinstance(meta, Mapping):
            cid = meta.get("concept-id") if isinstance(meta, Mapping) else None
            raise MalformedRecordError(
                f"record {cid or '?'}: 'umm' and 'meta' must be JSON objects"
            )
        return umm, meta
    return record, {}


@dataclass(frozen=True)
class BoundingBox:
    """A lon/lat box in degrees; ``west > east`` means it crosses the antimeridian.

    Example:
        >>> BoundingBox(170, -10, -170, 10).intersects(BoundingBox(175, 0, 179, 5))
        True
    """

    west: float
    south: float
    east: float
    north: float

    def __post_init__(self) -> None:
        values = (self.west, self.south, self.east, self.north)
        if not all(isinstance(v, int | float) and math.isfinite(v) for v in values):
            raise InvalidInputError(f"bounding box {values} must contain finite numbers")
        if not (-180 <= self.west <= 180 and -180 <= self.east <= 180):
            raise InvalidInputError(
                f"bounding box longitudes {self.west}, {self.east} outside [-180, 180]"
            )
        if not (-90 <= self.south <= self.north <= 90):
            raise InvalidInputError(f"bounding box latitudes {self.south}, {self.north} invalid")

    @classmethod
    def from_umm(cls, rect: Mapping[str, Any]) -> BoundingBox:
        """From a UMM ``BoundingRectangles`` entry."""
        return cls(
            float(rect["WestBoundingCoordinate"]),
            float(rect["SouthBoundingCoordinate"]),
            float(rect["EastBoundingCoordinate"]),
            float(rect["NorthBoundingCoordinate"]),
        )

    @classmethod
    def around(cls, points: Sequence[tuple[float, float]]) -> BoundingBox:
        """The smallest box around ``(lon, lat)`` points (crossing the antimeridian if shorter)."""
        if not points:
            raise InvalidInputError("no points to bound")
        lons = sorted(float(p[0]) for p in points)
        lats = [float(p[1]) for p in points]
        west, east = lons[0], lons[-1]
        gaps = [(lons[i + 1] - lons[i], i) for i in range(len(lons) - 1)]
        if gaps:
            gap, i = max(gaps)
            if gap > 360 - (lons[-1] - lons[0]):  # the widest empty arc is inside: wrap around
                west, east = lons[i + 1], lons[i]
        return cls(west, min(lats), east, max(lats))

    @property
    def crosses_antimeridian(self) -> bool:
        """Whether the box spans the 180° meridian."""
        return self.west > self.east

    def _lon_intervals(self) -> list[tuple[float, float]]:
        if self.crosses_antimeridian:
            return [(self.west, 180.0), (-180.0, self.east)]
        return [(self.west, self.east)]

    def intersects(self, other: BoundingBox | Sequence[float]) -> bool:
        """Whether two boxes overlap (touching edges count), antimeridian included."""
        if not isinstance(other, BoundingBox):
            other = BoundingBox(*(float(v) for v in other))
        if self.south > other.north or other.south > self.north:
            return False
        return any(
            a0 <= b1 and b0 <= a1
            for a0, a1 in self._lon_intervals()
            for b0, b1 in other._lon_intervals()
        )

    def as_tuple(self) -> tuple[float, float, float, float]:
        """``(west, south, east, north)``."""
        return (self.west, self.south, self.east, self.north)


def envelope(boxes: Sequence[BoundingBox]) -> BoundingBox | None:
    """One box around ``boxes`` (``None`` when empty)."""
    if not boxes:
        return None
    if len(boxes) == 1:
        return boxes[0]
    south, north = min(b.south for b in boxes), max(b.north for b in boxes)
    if not any(b.crosses_antimeridian for b in boxes):
        return BoundingBox(min(b.west for b in boxes), south, max(b.east for b in boxes), north)
    merged: list[list[float]] = []
    for west, east in sorted(iv for b in boxes for iv in b._lon_intervals()):
        if merged and west <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], east)
        else:
            merged.append([west, east])
    if len(merged) == 1:
        return BoundingBox(merged[0][0], south, merged[0][1], north)
    gap, i = max((merged[k + 1][0] - merged[k][1], k) for k in range(len(merged) - 1))
    if merged[0][0] + 360 - merged[-1][1] >= gap:  # the widest empty arc is at the antimeridian
        return BoundingBox(merged[0][0], south, merged[-1][1], north)
    return BoundingBox(merged[i + 1][0], south, merged[i][1], north)


def _geometry_boxes(spatial: Any) -> tuple[BoundingBox, ...]:
    """Boxes of a UMM ``SpatialExtent``: rectangles, and the envelopes of polygons/points/lines."""
    if not isinstance(spatial, Mapping):
        return ()
    domain = spatial.get("HorizontalSpatialDomain") or {}
    geometry = domain.get("Geometry") if isinstance(domain, Mapping) else None
    if not isinstance(geometry, Mapping):
        return ()
    boxes = [BoundingBox.from_umm(r) for r in _list(geometry.get("BoundingRectangles"), "rects")]

    def points_of(seq: Any) -> list[tuple[float, float]]:
        return [(float(p["Longitude"]), float(p["Latitude"])) for p in _list(seq, "Points")]

    for polygon in _list(geometry.get("GPolygons"), "GPolygons"):
        boxes.append(BoundingBox.around(points_of(polygon["Boundary"]["Points"])))
    for line in _list(geometry.get("Lines"), "Lines"):
        boxes.append(BoundingBox.around(points_of(line["Points"])))
    points = points_of(geometry.get("Points"))
    if points:
        boxes.append(BoundingBox.around(points))
    return tuple(boxes)


@dataclass(frozen=True)
class RelatedUrl:
    """One UMM ``RelatedUrls`` entry."""

    url: str
    type: str = ""
    subtype: str = ""
    description: str = ""
    format: str = ""
    mime_type: str = ""
    url_content_type: str = ""

    @classmethod
    def from_umm(cls, entry: Mapping[str, Any]) -> RelatedUrl | None:
        """From a UMM entry; ``None`` for entries without a URL (e.g. old UMM 1.2 ``URLs``)."""
        url = _text(entry.get("URL"))
        if not url:
            return None
        get_data = entry.get("GetData") if isinstance(entry.get("GetData"), Mapping) else {}
        return cls(
            url=url,
            type=_text(entry.get("Type")),
            subtype=_text(entry.get("Subtype")),
            description=_text(entry.get("Description")),
            format=_text(entry.get("Format") or get_data.get("Format")),
            mime_type=_text(entry.get("MimeType") or get_data.get("MimeType")),
            url_content_type=_text(entry.get("URLContentType")),
        )

    def to_dict(self) -> dict[str, str]:
        """A plain dict without empty fields."""
        return {f.name: getattr(self, f.name) for f in fields(self) if getattr(self, f.name)}


def _related_urls(umm: Mapping[str, Any]) -> tuple[RelatedUrl, ...]:
    entries = [
        RelatedUrl.from_umm(e)
        for e in _list(umm.get("RelatedUrls"), "RelatedUrls")
        if isinstance(e, Mapping)
    ]
    return tuple(e for e in entries if e is not None)


@dataclass(frozen=True)
class S3Access:
    """Direct S3 access of a cloud-hosted collection (UMM-C ``DirectDistributionInformation``)."""

    region: str | None = None
    bucket_prefixes: tuple[str, ...] = ()
    credentials_url: str | None = None
    documentation_url: str | None = None

    @classmethod
    def from_umm(cls, ddi: Any) -> S3Access | None:
        """From ``DirectDistributionInformation`` (``None`` when absent)."""
        if not isinstance(ddi, Mapping) or not ddi:
            return None
        return cls(
            region=_text(ddi.get("Region")) or None,
            bucket_prefixes=tuple(
                _text(p)
                for p in _list(ddi.get("S3BucketAndObjectPrefixNames"), "S3 prefixes")
                if _text(p)
            ),
            credentials_url=_text(ddi.get("S3CredentialsAPIEndpoint")) or None,
            documentation_url=_text(ddi.get("S3CredentialsAPIDocumentationURL")) or None,
        )

    @property
    def buckets(self) -> tuple[str, ...]:
        """Bucket names, without prefixes."""
        names = (p.removeprefix("s3://").split("/", 1)[0] for p in self.bucket_prefixes)
        return tuple(dict.fromkeys(names))

    def to_dict(self) -> dict[str, Any]:
        """A plain dict."""
        return {
            "region": self.region,
            "bucket_prefixes": list(self.bucket_prefixes),
            "credentials_url": self.credentials_url,
            "documentation_url": self.documentation_url,
        }


def _collection_time(umm: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """Overall start and end of ``TemporalExtents`` (end ``None``: ongoing)."""
    starts: list[datetime] = []
    ends: list[datetime | None] = []
    for extent in _list(umm.get("TemporalExtents"), "TemporalExtents"):
        ongoing = bool(extent.get("EndsAtPresentFlag"))
        for rng in _list(extent.get("RangeDateTimes"), "RangeDateTimes"):
            start = parse_datetime(rng.get("BeginningDateTime"))
            end = parse_datetime(rng.get("EndingDateTime"))
            if start is not None:
                starts.append(start)
            ends.append(None if ongoing else end)
        for single in _list(extent.get("SingleDateTimes"), "SingleDateTimes"):
            moment = parse_datetime(single)
            if moment is not None:
                starts.append(moment)
                ends.append(None if ongoing else moment)
    if not starts:
        return None, None
    end = None if (not ends or any(e is None for e in ends)) else max(e for e in ends if e)
    return min(starts), end


def _science_keywords(umm: Mapping[str, Any]) -> tuple[str, ...]:
    levels = (
        "Category",
        "Topic",
        "Term",
        "VariableLevel1",
        "VariableLevel2",
        "VariableLevel3",
        "DetailedVariable",
    )
    out = []
    for kw in _list(umm.get("ScienceKeywords"), "ScienceKeywords"):
        if isinstance(kw, Mapping):
            out.append(" > ".join(_text(kw.get(k)) for k in levels if _text(kw.get(k))))
    return tuple(k for k in out if k)


def _doi(umm: Mapping[str, Any]) -> str | None:
    doi = umm.get("DOI")
    return (_text(doi.get("DOI")) or None) if isinstance(doi, Mapping) else None


def _revision(meta: Mapping[str, Any]) -> int | None:
    rev = meta.get("revision-id")
    return rev if isinstance(rev, int) and not isinstance(rev, bool) else None


@dataclass(frozen=True)
class Collection:
    """A CMR collection (UMM-C), with its parsed virtual store links.

    ``stores`` are the links vstore_explorer can open; ``unknown_stores`` are virtual-store links
    whose kind could not be inferred (listed and flagged, never opened). ``time_end`` is ``None``
    for an ongoing collection. ``umm`` and ``meta`` are the raw record, read-only.
    """

    short_name: str
    version: str = ""
    concept_id: str | None = None
    title: str = ""
    provider: str | None = None
    abstract: str = ""
    time_start: datetime | None = None
    time_end: datetime | None = None
    bboxes: tuple[BoundingBox, ...] = ()
    doi: str | None = None
    landing_page: str | None = None
    cloud_hosted: bool = False
    s3: S3Access | None = None
    science_keywords: tuple[str, ...] = ()
    related_urls: tuple[RelatedUrl, ...] = ()
    stores: tuple[StoreLink, ...] = ()
    unknown_stores: tuple[StoreLink, ...] = ()
    revision_id: int | None = None
    umm: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)
    meta: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)

    @classmethod
    def from_umm(
        cls,
        record: Mapping[str, Any],
        *,
        base_path: str | Path | None = None,
        override: Override | None = None,
    ) -> Collection:
        """Parse a CMR ``umm_json`` item or a bare UMM-C record.

        Args:
            record: ``{"meta": ..., "umm": ...}`` or the UMM-C record itself.
            base_path: folder that relative store paths are resolved against (local catalogs).
            override: store-kind overrides, see :func:`~vstore_explorer.catalog.discovery.discover_stores`.

        Raises:
            MalformedRecordError: (a ``ValueError``) naming the record's concept id and the problem.
        """
        umm, meta = _split_item(record)
        cid = _text(meta.get("concept-id")) or None
        try:
            return cls._parse(umm, meta, cid, base_path, override)
        except (MalformedRecordError, OverrideError):
            raise
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            name = cid or _text(umm.get("ShortName")) or "without concept id"
            raise MalformedRecordError(f"malformed UMM-C record {name}: {exc!r}") from exc

    @classmethod
    def _parse(
        cls,
        umm: Mapping[str, Any],
        meta: Mapping[str, Any],
        cid: str | None,
        base_path: str | Path | None,
        override: Override | None,
    ) -> Collection:
        short_name = umm.get("ShortName")
        if not isinstance(short_name, str) or not short_name.strip():
            raise InvalidInputError("ShortName is missing or not a string")
        if meta.get("concept-type") not in (None, "collection"):
            raise InvalidInputError(
                f"concept-type is {meta.get('concept-type')!r}, not 'collection'"
            )
        related = _related_urls(umm)
        doi = _doi(umm)
        landing = next((r.url for r in related if r.type.upper() == "DATA SET LANDING PAGE"), None)
        s3 = S3Access.from_umm(umm.get("DirectDistributionInformation"))
        tags = meta.get("tags") if isinstance(meta.get("tags"), Mapping) else {}
        start, end = _collection_time(umm)
        found = discover_stores({"meta": meta, "umm": umm}, override=override, base_path=base_path)
        return cls(
            short_name=short_name.strip(),
            version=str(umm.get("Version") or "").strip(),
            concept_id=cid,
            title=_text(umm.get("EntryTitle")) or short_name.strip(),
            provider=_text(meta.get("provider-id")) or None,
            abstract=_text(umm.get("Abstract")),
            time_start=start,
            time_end=end,
            bboxes=_geometry_boxes(umm.get("SpatialExtent")),
            doi=doi,
            landing_page=landing or (f"https://doi.org/{doi}" if doi else None),
            cloud_hosted=s3 is not None or "gov.nasa.earthdatacloud.s3" in tags,
            s3=s3,
            science_keywords=_science_keywords(umm),
            related_urls=related,
            stores=found.stores,
            unknown_stores=found.unknown,
            revision_id=_revision(meta),
            umm=freeze(umm),
            meta=freeze(meta),
        )

    @property
    def entry_title(self) -> str:
        """The UMM ``EntryTitle`` (same as :attr:`title`)."""
        return self.title

    @property
    def has_virtual_store(self) -> bool:
        """Whether the collection has at least one virtual store of a known kind."""
        return bool(self.stores)

    @property
    def store_kinds(self) -> tuple[str, ...]:
        """Distinct kinds of the known stores, in record order."""
        return store_kinds(self.stores)

    @property
    def bbox(self) -> BoundingBox | None:
        """One box around the whole spatial extent (``None`` when the record has none)."""
        return envelope(self.bboxes)

    @property
    def ongoing(self) -> bool:
        """Whether the collection's time range has no end."""
        return self.time_start is not None and self.time_end is None

    def time_range_text(self) -> str:
        """``"2002-05-31 → present"``, ``"2020-01-01 → 2020-12-31"`` or ``"-"``."""
        if self.time_start is None:
            return "-"
        return f"{_day(self.time_start, '?')} → {_day(self.time_end, 'present')}"

    def summary(self) -> str:
        """One readable line."""
        ids = ", ".join(x for x in (self.concept_id, self.provider) if x)
        head = f"{self.short_name} v{self.version}" if self.version else self.short_name
        stores = ", ".join(self.store_kinds) if self.stores else "no virtual store"
        if self.unknown_stores:
            stores += f" (+{len(self.unknown_stores)} of unknown kind)"
        parts = [head + (f" [{ids}]" if ids else ""), self.title]
        return f"{' '.join(parts)} | {self.time_range_text()} | {stores}"

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self, *, include_umm: bool = True) -> dict[str, Any]:
        """A plain JSON-able dict; :meth:`from_dict` rebuilds the same record."""
        out: dict[str, Any] = {
            "concept_id": self.concept_id,
            "short_name": self.short_name,
            "version": self.version,
            "title": self.title,
            "provider": self.provider,
            "abstract": self.abstract,
            "time_start": _iso(self.time_start),
            "time_end": _iso(self.time_end),
            "bboxes": [list(b.as_tuple()) for b in self.bboxes],
            "doi": self.doi,
            "landing_page": self.landing_page,
            "cloud_hosted": self.cloud_hosted,
            "s3": self.s3.to_dict() if self.s3 else None,
            "science_keywords": list(self.science_keywords),
            "related_urls": [r.to_dict() for r in self.related_urls],
            "stores": [s.to_dict() for s in self.stores],
            "unknown_stores": [s.to_dict() for s in self.unknown_stores],
            "revision_id": self.revision_id,
        }
        if include_umm:
            out["umm"] = thaw(self.umm)
            out["meta"] = thaw(self.meta)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Collection:
        """Rebuild a collection from :meth:`to_dict` output."""
        s3 = data.get("s3")
        return cls(
            short_name=data["short_name"],
            version=data.get("version", ""),
            concept_id=data.get("concept_id"),
            title=data.get("title", ""),
            provider=data.get("provider"),
            abstract=data.get("abstract", ""),
            time_start=parse_datetime(data.get("time_start")),
            time_end=parse_datetime(data.get("time_end")),
            bboxes=tuple(BoundingBox(*b) for b in data.get("bboxes", ())),
            doi=data.get("doi"),
            landing_page=data.get("landing_page"),
            cloud_hosted=bool(data.get("cloud_hosted", False)),
            s3=S3Access(**{**s3, "bucket_prefixes": tuple(s3["bucket_prefixes"])}) if s3 else None,
            science_keywords=tuple(data.get("science_keywords", ())),
            related_urls=tuple(RelatedUrl(**r) for r in data.get("related_urls", ())),
            stores=tuple(StoreLink.from_dict(s) for s in data.get("stores", ())),
            unknown_stores=tuple(StoreLink.from_dict(s) for s in data.get("unknown_stores", ())),
            revision_id=data.get("revision_id"),
            umm=freeze(data.get("umm") or {}),
            meta=freeze(data.get("meta") or {}),
        )


def _granule_size(umm: Mapping[str, Any]) -> int | None:
    """Total bytes of the granule's files (``None`` when a size has an unknown unit)."""
    granule = umm.get("DataGranule")
    if not isinstance(granule, Mapping):
        return None
    entries = _list(granule.get("ArchiveAndDistributionInformation"), "ArchiveAndDistribution")
    if not entries:
        return None
    total = 0
    for entry in entries:
        if isinstance(entry.get("SizeInBytes"), int | float):
            total += int(entry["SizeInBytes"])
            continue
        unit = _text(entry.get("SizeUnit")).upper()
        if not isinstance(entry.get("Size"), int | float) or unit not in _SIZE_UNITS:
            return None
        total += round(entry["Size"] * _SIZE_UNITS[unit])
    return total


def _resolve_data_link(url: str, base_path: str | Path | None) -> str:
    if urlsplit(url).scheme and len(urlsplit(url).scheme) > 1:
        return url
    path = Path(url).expanduser()
    if not path.is_absolute() and base_path is not None:
        path = Path(base_path) / path
    return path.resolve().as_uri() if path.is_absolute() else url


def _data_links(
    related: Iterable[RelatedUrl], base_path: str | Path | None
) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """``(https, s3, file)`` data links (``GET DATA`` and ``GET DATA VIA DIRECT ACCESS``)."""
    https: list[str] = []
    s3: list[str] = []
    local: list[str] = []
    for r in related:
        if r.type.upper() not in ("GET DATA", "GET DATA VIA DIRECT ACCESS"):
            continue
        url = _resolve_data_link(r.url, base_path)
        scheme = urlsplit(url).scheme.lower()
        target = {"https": https, "http": https, "s3": s3, "file": local}.get(scheme)
        if target is not None and url not in target:
            target.append(url)
    return tuple(https), tuple(s3), tuple(local)


@dataclass(frozen=True)
class Granule:
    """A CMR granule (UMM-G): one file (or a few) of a collection."""

    granule_ur: str
    concept_id: str | None = None
    collection_short_name: str | None = None
    collection_version: str | None = None
    collection_entry_title: str | None = None
    collection_concept_id: str | None = None
    provider: str | None = None
    time_start: datetime | None = None
    time_end: datetime | None = None
    footprint: tuple[BoundingBox, ...] = ()
    size_bytes: int | None = None
    https_links: tuple[str, ...] = ()
    s3_links: tuple[str, ...] = ()
    file_links: tuple[str, ...] = ()
    related_urls: tuple[RelatedUrl, ...] = ()
    umm: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)
    meta: Mapping[str, Any] = field(default=_EMPTY, compare=False, repr=False)

    @classmethod
    def from_umm(cls, record: Mapping[str, Any], *, base_path: str | Path | None = None) -> Granule:
        """Parse a CMR ``umm_json`` item or a bare UMM-G record.

        Raises:
            MalformedRecordError: naming the record's concept id and the problem.
        """
        umm, meta = _split_item(record)
        cid = _text(meta.get("concept-id")) or None
        try:
            return cls._parse(umm, meta, cid, base_path)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            name = cid or _text(umm.get("GranuleUR")) or "without concept id"
            raise MalformedRecordError(f"malformed UMM-G record {name}: {exc!r}") from exc

    @classmethod
    def _parse(
        cls,
        umm: Mapping[str, Any],
        meta: Mapping[str, Any],
        cid: str | None,
        base_path: str | Path | None,
    ) -> Granule:
        ur = umm.get("GranuleUR")
        if not isinstance(ur, str) or not ur.strip():
            raise InvalidInputError("GranuleUR is missing or not a string")
        ref = umm.get("CollectionReference") or {}
        if not isinstance(ref, Mapping):
            raise InvalidInputError("CollectionReference must be an object")
        temporal = umm.get("TemporalExtent") or {}
        rng = temporal.get("RangeDateTime") or {}
        start = parse_datetime(rng.get("BeginningDateTime"))
        end = parse_datetime(rng.get("EndingDateTime"))
        if start is None and temporal.get("SingleDateTime"):
            start = end = parse_datetime(temporal["SingleDateTime"])
        related = _related_urls(umm)
        https, s3, local = _data_links(related, base_path)
        return cls(
            granule_ur=ur.strip(),
            concept_id=cid,
            collection_short_name=_text(ref.get("ShortName")) or None,
            collection_version=str(ref["Version"]).strip() if ref.get("Version") else None,
            collection_entry_title=_text(ref.get("EntryTitle")) or None,
            collection_concept_id=_text(meta.get("collection-concept-id")) or None,
            provider=_text(meta.get("provider-id")) or None,
            time_start=start,
            time_end=end,
            footprint=_geometry_boxes(umm.get("SpatialExtent")),
            size_bytes=_granule_size(umm),
            https_links=https,
            s3_links=s3,
            file_links=local,
            related_urls=related,
            umm=freeze(umm),
            meta=freeze(meta),
        )

    @property
    def bbox(self) -> BoundingBox | None:
        """One box around the footprint (``None`` when the record has no geometry)."""
        return envelope(self.footprint)

    @property
    def data_links(self) -> tuple[str, ...]:
        """All data links: https, then s3, then local files."""
        return self.https_links + self.s3_links + self.file_links

    def summary(self) -> str:
        """One readable line."""
        size = "size ?" if self.size_bytes is None else f"{self.size_bytes / 1024**2:.2f} MiB"
        when = (
            "-"
            if self.time_start is None
            else (f"{_iso(self.time_start)} → {_iso(self.time_end) or '?'}")
        )
        links = f"{len(self.https_links)} https, {len(self.s3_links)} s3"
        if self.file_links:
            links += f", {len(self.file_links)} file"
        head = f"{self.concept_id} {self.granule_ur}" if self.concept_id else self.granule_ur
        return f"{head} | {when} | {size} | {links}"

    def __str__(self) -> str:
        return self.summary()

    def to_dict(self, *, include_umm: bool = True) -> dict[str, Any]:
        """A plain JSON-able dict; :meth:`from_dict` rebuilds the same record."""
        out: dict[str, Any] = {
            "granule_ur": self.granule_ur,
            "concept_id": self.concept_id,
            "collection_short_name": self.collection_short_name,
            "collection_version": self.collection_version,
            "collection_entry_title": self.collection_entry_title,
            "collection_concept_id": self.collection_concept_id,
            "provider": self.provider,
            "time_start": _iso(self.time_start),
            "time_end": _iso(self.time_end),
            "footprint": [list(b.as_tuple()) for b in self.footprint],
            "size_bytes": self.size_bytes,
            "https_links": list(self.https_links),
            "s3_links": list(self.s3_links),
            "file_links": list(self.file_links),
            "related_urls": [r.to_dict() for r in self.related_urls],
        }
        if include_umm:
            out["umm"] = thaw(self.umm)
            out["meta"] = thaw(self.meta)
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Granule:
        """Rebuild a granule from :meth:`to_dict` output."""
        return cls(
            granule_ur=data["granule_ur"],
            concept_id=data.get("concept_id"),
            collection_short_name=data.get("collection_short_name"),
            collection_version=data.get("collection_version"),
            collection_entry_title=data.get("collection_entry_title"),
            collection_concept_id=data.get("collection_concept_id"),
            provider=data.get("provider"),
            time_start=parse_datetime(data.get("time_start")),
            time_end=parse_datetime(data.get("time_end")),
            footprint=tuple(BoundingBox(*b) for b in data.get("footprint", ())),
            size_bytes=data.get("size_bytes"),
            https_links=tuple(data.get("https_links", ())),
            s3_links=tuple(data.get("s3_links", ())),
            file_links=tuple(data.get("file_links", ())),
            related_urls=tuple(RelatedUrl(**r) for r in data.get("related_urls", ())),
            umm=freeze(data.get("umm") or {}),
            meta=freeze(data.get("meta") or {}),
        )


def record_kind(record: Mapping[str, Any]) -> str | None:
    """``"collection"``, ``"granule"`` or ``None`` (another UMM type, e.g. UMM-S/UMM-V)."""
    if not isinstance(record, Mapping):
        return None
    umm, meta = (record["umm"], record.get("meta")) if "umm" in record else (record, {})
    meta = meta if isinstance(meta, Mapping) else {}
    concept_type = meta.get("concept-type")
    cid = str(meta.get("concept-id") or "")
    if concept_type in ("collection", "granule"):
        return str(concept_type)
    if cid[:1] == "C":
        return "collection"
    if cid[:1] == "G":
        return "granule"
    if not isinstance(umm, Mapping):
        return None
    if "GranuleUR" in umm:
        return "granule"
    if "EntryTitle" in umm or ("ShortName" in umm and "Version" in umm and "Name" not in umm):
        return "collection"
    return None
