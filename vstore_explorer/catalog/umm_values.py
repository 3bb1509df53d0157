"""Small UMM parsing helpers shared by the catalog records; pure functions, no I/O.

Read-only copies (:func:`freeze`/:func:`thaw`), UMM dates, text and list fields, CMR items, and
the few UMM-C/UMM-G values (time range, keywords, platforms and instruments, processing level,
DOI, revision, granule size) records read.

Example:
    >>> thaw(freeze({"a": [1, {"b": 2}]}))
    {'a': [1, {'b': 2}]}
    >>> parse_datetime("2020-01-01T00:00:00Z").isoformat()
    '2020-01-01T00:00:00+00:00'
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any

from vstore_explorer.catalog.base import MalformedRecordError
from vstore_explorer.errors import InvalidInputError

_SIZE_UNITS = MappingProxyType(
    {"B": 1, "KB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4, "PB": 1024**5}
)

KEYWORD_LEVELS: tuple[str, ...] = (  # UMM-CMN ScienceKeyword levels, read and written in order
    "Category",
    "Topic",
    "Term",
    "VariableLevel1",
    "VariableLevel2",
    "VariableLevel3",
    "DetailedVariable",
)


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
    out = []
    for kw in _list(umm.get("ScienceKeywords"), "ScienceKeywords"):
        if isinstance(kw, Mapping):
            out.append(" > ".join(_text(kw.get(k)) for k in KEYWORD_LEVELS if _text(kw.get(k))))
    return tuple(k for k in out if k)


def _names(value: Any) -> list[str]:
    """The ``ShortName`` of each object of a UMM list; anything else (not a list, not an
    object, no name) is skipped: a facet value never makes a record unreadable."""
    items = value if isinstance(value, list | tuple) else ()
    return [n for n in (_text(i.get("ShortName")) for i in items if isinstance(i, Mapping)) if n]


def _platforms(umm: Mapping[str, Any]) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """``Platforms[].ShortName`` and their ``Instruments[].ShortName``, each once, in order.

    >>> _platforms({"Platforms": [{"ShortName": "Aqua", "Instruments": [{"ShortName": "MODIS"}]},
    ...     {"ShortName": "Terra", "Instruments": [{"ShortName": "MODIS"}]}, "junk"]})
    (('Aqua', 'Terra'), ('MODIS',))
    """
    raw = umm.get("Platforms")
    items = [p for p in (raw if isinstance(raw, list | tuple) else ()) if isinstance(p, Mapping)]
    platforms = dict.fromkeys(_names(items))
    instruments = dict.fromkeys(n for p in items for n in _names(p.get("Instruments")))
    return tuple(platforms), tuple(instruments)


def _processing_level(umm: Mapping[str, Any]) -> str | None:
    """``ProcessingLevel.Id`` as written (``"4"``, ``"2P"``, ``"Level 1"``), else ``None``."""
    level = umm.get("ProcessingLevel")
    return (_text(level.get("Id")) or None) if isinstance(level, Mapping) else None


def _doi(umm: Mapping[str, Any]) -> str | None:
    doi = umm.get("DOI")
    return (_text(doi.get("DOI")) or None) if isinstance(doi, Mapping) else None


def _revision(meta: Mapping[str, Any]) -> int | None:
    rev = meta.get("revision-id")
    return rev if isinstance(rev, int) and not isinstance(rev, bool) else None


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
