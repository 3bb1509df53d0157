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

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vstore_explorer.catalog.base import MalformedRecordError
from vstore_explorer.catalog.discovery import (
    Override,
    OverrideError,
    discover_stores,
    store_kinds,
)
from vstore_explorer.catalog.geometry import BoundingBox, _geometry_boxes, envelope
from vstore_explorer.catalog.links import StoreLink
from vstore_explorer.catalog.related_urls import RelatedUrl, S3Access, _data_links, _related_urls
from vstore_explorer.catalog.umm_values import (
    _collection_time,
    _day,
    _doi,
    _granule_size,
    _iso,
    _platforms,
    _processing_level,
    _revision,
    _science_keywords,
    _split_item,
    _text,
    freeze,
    parse_datetime,
    thaw,
)
from vstore_explorer.errors import InvalidInputError

__all__ = [
    "BoundingBox",
    "Collection",
    "Granule",
    "RelatedUrl",
    "S3Access",
    "envelope",
    "freeze",
    "parse_datetime",
    "record_kind",
    "thaw",
]

_EMPTY: Mapping[str, Any] = MappingProxyType({})


@dataclass(frozen=True)
class Collection:
    """A CMR collection (UMM-C), with its parsed virtual store links.

    ``stores`` are the links vstore_explorer can open; ``unknown_stores`` are virtual-store links
    whose kind could not be inferred (listed and flagged, never opened). ``time_end`` is ``None``
    for an ongoing collection. ``platforms``, ``instruments`` (each once, in record order) and
    ``processing_level`` (``ProcessingLevel.Id``) are what search facets count. ``umm`` and
    ``meta`` are the raw record, read-only.
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
    platforms: tuple[str, ...] = ()
    instruments: tuple[str, ...] = ()
    processing_level: str | None = None
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
        raw_tags = meta.get("tags")
        tags = raw_tags if isinstance(raw_tags, Mapping) else {}
        start, end = _collection_time(umm)
        found = discover_stores({"meta": meta, "umm": umm}, override=override, base_path=base_path)
        platforms, instruments = _platforms(umm)
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
            platforms=platforms,
            instruments=instruments,
            processing_level=_processing_level(umm),
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
            "platforms": list(self.platforms),
            "instruments": list(self.instruments),
            "processing_level": self.processing_level,
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
            platforms=tuple(data.get("platforms", ())),
            instruments=tuple(data.get("instruments", ())),
            processing_level=data.get("processing_level"),
            umm=freeze(data.get("umm") or {}),
            meta=freeze(data.get("meta") or {}),
        )


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
