"""A catalog over a folder (searched recursively) or one JSON file of UMM records.

Accepted JSON: bare UMM-C/UMM-G records, CMR ``{"meta", "umm"}`` items, whole CMR ``umm_json``
result files (``{"hits", "items": [...]}``) and JSON lists of any of these. Other UMM types
(services, variables) are ignored. Relative store URLs/paths and granule data paths are resolved
against the folder of the file that holds the record. Filters mean what they mean on CMR:

- ``keyword``: every word (``*``/``?`` wildcards allowed) appears as a whole word,
  case-insensitively, in the title, short name, abstract or science keywords (a ``"quoted
  phrase"`` as a phrase); results are ranked, best first (:func:`relevance`);
- ``bbox``: intersects the collection's spatial extent (antimeridian-crossing boxes included);
- ``temporal``: overlaps the collection's time range (an ongoing collection has no end);
- ``short_name``/``provider``: equal, ignoring case; ``concept_id``: any of the given ids;
- ``cloud_hosted``, ``has_virtual_store``: equal to the record's flag.

Records without a spatial (temporal) extent do not match a bbox (temporal) filter.

Example:
    >>> LocalCatalog("/path/to/records").search("sea surface", has_virtual_store=True)
    ... # doctest: +SKIP
"""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import MappingProxyType
from typing import Any

from vstore_explorer.catalog.base import (
    BaseCatalog,
    BBox,
    GranuleQuery,
    MalformedRecordError,
    MalformedRecordWarning,
    SearchQuery,
    SearchResults,
    Temporal,
)
from vstore_explorer.catalog.records import BoundingBox, Collection, Granule, record_kind
from vstore_explorer.errors import InvalidInputError

_CONCEPT_ID = re.compile(r"C\d+-[A-Za-z0-9_]+")


@dataclass(frozen=True)
class _Records:
    collections: tuple[Collection, ...]
    granules: tuple[Granule, ...]


def _items_of(data: Any) -> list[Any]:
    """The records in one JSON document (a result page, a list, an item or a bare record)."""
    if isinstance(data, list):
        return [item for entry in data for item in _items_of(entry)]
    if isinstance(data, Mapping) and isinstance(data.get("items"), list) and "umm" not in data:
        return list(data["items"])
    return [data]


def _label(item: Any, path: Path, index: int) -> str:
    meta = item.get("meta") if isinstance(item, Mapping) else None
    cid = meta.get("concept-id") if isinstance(meta, Mapping) else None
    return str(cid) if cid else f"#{index} in {path}"


def _overlaps_time(start: datetime | None, end: datetime | None, query: Temporal) -> bool:
    if start is None:
        return False
    q_start, q_end = query
    if q_end is not None and start > q_end:
        return False
    return not (q_start is not None and end is not None and end < q_start)


def _intersects(boxes: Sequence[BoundingBox], bbox: BBox) -> bool:
    return any(box.intersects(bbox) for box in boxes)


_TERM = re.compile(r'"([^"]*)"|(\S+)')
_WILDCARD = MappingProxyType({"*": r"\w*", "?": r"\w"})


def _terms(keyword: str) -> list[str]:
    """The search terms: each word, and each ``"quoted phrase"`` as one term."""
    return [
        " ".join((quoted or word).lower().split())
        for quoted, word in _TERM.findall(keyword)
        if (quoted or word).strip(' "')
    ]


def _term_pattern(term: str) -> str:
    """Whole words (``sea`` does not match ``seasonal``), a phrase's words in order."""
    words = ("".join(_WILDCARD.get(ch, re.escape(ch)) for ch in word) for word in term.split())
    return r"\b" + r"\W+".join(words) + r"\b"


def _keyword_matcher(keyword: str) -> re.Pattern[str] | None:
    """A regex requiring every term (a whole word with ``*``/``?`` wildcards, or a quoted
    phrase) somewhere in the text.

    Example:
        >>> bool(_keyword_matcher("sea").search("seasonal mean")), bool(
        ...     _keyword_matcher('"surface temperature"').search("sea surface temperature"))
        (False, True)
    """
    terms = _terms(keyword)
    if not terms:
        return None
    return re.compile("".join(f"(?=.*{_term_pattern(t)})" for t in terms), flags=re.DOTALL)


def relevance(c: Collection, keyword: str) -> tuple[int, ...]:
    """How well a collection matches (higher first): the short name is the keyword, the whole
    keyword as a phrase in the title, then anywhere, then how many terms the title holds.

    Example:
        >>> from vstore_explorer.catalog.records import Collection
        >>> a = Collection(short_name="AIRX3", title="AIRS seasonal surface air temperature")
        >>> b = Collection(short_name="SST", title="Global sea surface temperature")
        >>> relevance(b, "sea surface temperature") > relevance(a, "sea surface temperature")
        True
    """
    terms = _terms(keyword)
    if not terms:
        return (0,)
    title = c.title.lower()
    phrase = re.compile(_term_pattern(" ".join(terms)))
    return (
        int(c.short_name.lower() == keyword.strip().strip('"').lower()),
        int(phrase.search(title) is not None),
        int(phrase.search(_haystack(c)) is not None),
        sum(re.search(_term_pattern(t), title) is not None for t in terms),
    )


def _haystack(c: Collection) -> str:
    return "\n".join((c.title, c.short_name, c.abstract, *c.science_keywords)).lower()


class LocalCatalog(BaseCatalog):
    """Search UMM records stored in a folder or a JSON file (no network).

    Args:
        path: a folder (all ``*.json`` below it are read) or one JSON file.

    Records are read on first use and kept by this catalog instance. Duplicated concept ids keep
    the highest ``revision-id``. Malformed records and unreadable files are skipped with a
    :class:`~vstore_explorer.catalog.base.MalformedRecordWarning` naming them.
    """

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path).expanduser()
        if not self.path.exists():
            raise FileNotFoundError(
                f"local catalog {self.path} does not exist; give a folder or a JSON file of UMM "
                "records (or use --cmr to search NASA's CMR)"
            )
        self._records: _Records | None = None

    def __repr__(self) -> str:
        return f"LocalCatalog({str(self.path)!r})"

    # -- loading ----------------------------------------------------------------------------

    def _files(self) -> list[Path]:
        if self.path.is_file():
            return [self.path]
        return sorted(p for p in self.path.rglob("*.json") if p.is_file())

    def _load(self) -> _Records:
        if self._records is not None:
            return self._records
        collections: dict[str, Collection] = {}
        anonymous: list[Collection] = []
        granules: dict[str, Granule] = {}
        loose_granules: list[Granule] = []
        for file in self._files():
            for collection_or_granule in self._read_file(file):
                record = collection_or_granule
                key = record.concept_id
                if isinstance(record, Collection):
                    if key is None:
                        anonymous.append(record)
                    elif key not in collections or _newer(record, collections[key]):
                        collections[key] = record
                elif key is None:
                    loose_granules.append(record)
                elif key not in granules or _newer(record, granules[key]):
                    granules[key] = record
        self._records = _Records(
            collections=(*collections.values(), *anonymous),
            granules=(*granules.values(), *loose_granules),
        )
        return self._records

    def _read_file(self, file: Path) -> Iterator[Collection | Granule]:
        try:
            data = json.loads(file.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            warnings.warn(
                f"skipped {file}: not a readable JSON file ({exc})",
                MalformedRecordWarning,
                stacklevel=4,
            )
            return
        for index, item in enumerate(_items_of(data)):
            kind = record_kind(item)
            try:
                if kind == "collection":
                    yield Collection.from_umm(item, base_path=file.parent)
                elif kind == "granule":
                    yield Granule.from_umm(item, base_path=file.parent)
            except MalformedRecordError as exc:
                warnings.warn(
                    f"skipped record {_label(item, file, index)} ({file.name}): {exc}",
                    MalformedRecordWarning,
                    stacklevel=4,
                )

    def reload(self) -> None:
        """Forget the records read so far (the next search reads the files again)."""
        self._records = None

    @property
    def collections(self) -> tuple[Collection, ...]:
        """Every collection in the catalog."""
        return self._load().collections

    # -- the protocol (BaseCatalog.search/granules build the query, then call these) ---------

    def _search(self, query: SearchQuery) -> SearchResults[Collection]:
        """Collections matching every filter (semantics in the module docstring)."""
        matches = [c for c in self._load().collections if self._matches(c, query)]
        if query.keyword:  # the best matches first (stable: ties keep the records' order)
            matches.sort(key=lambda c: relevance(c, str(query.keyword)), reverse=True)
        return SearchResults(
            matches, count=lambda: len(matches), limit=query.limit, source=str(self.path)
        )

    @staticmethod
    def _matches(c: Collection, q: SearchQuery) -> bool:
        checks = (
            q.short_name is None or c.short_name.lower() == q.short_name.lower(),
            not q.concept_id or c.concept_id in q.concept_id,
            q.provider is None or (c.provider or "").lower() == q.provider.lower(),
            q.cloud_hosted is None or c.cloud_hosted == q.cloud_hosted,
            q.has_virtual_store is None or c.has_virtual_store == q.has_virtual_store,
            q.bbox is None or _intersects(c.bboxes, q.bbox),
            q.temporal is None or _overlaps_time(c.time_start, c.time_end, q.temporal),
        )
        if not all(checks):
            return False
        matcher = _keyword_matcher(q.keyword) if q.keyword else None
        return matcher is None or matcher.match(_haystack(c)) is not None

    def _granules(
        self, collection: Collection | str, query: GranuleQuery
    ) -> SearchResults[Granule]:
        """Granules of a collection (a :class:`Collection`, a concept id or a short name), by time.

        A granule belongs to a collection through its ``CollectionReference`` (ShortName and
        Version, or EntryTitle) or its ``meta["collection-concept-id"]``.
        """
        owner = self._owner(collection)
        matches = [
            g
            for g in self._load().granules
            if _belongs(g, owner)
            and (query.bbox is None or _intersects(g.footprint, query.bbox))
            and (query.temporal is None or _overlaps_time(g.time_start, g.time_end, query.temporal))
        ]
        matches.sort(
            key=lambda g: (g.time_start is None, g.time_start or datetime.min, g.granule_ur)
        )
        return SearchResults(
            matches, count=lambda: len(matches), limit=query.limit, source=str(self.path)
        )

    def _owner(self, collection: Collection | str) -> Collection | str:
        if isinstance(collection, Collection):
            return collection
        if not isinstance(collection, str) or not collection.strip():
            raise InvalidInputError(
                f"collection must be a Collection, a concept id or a short name, not {collection!r}"
            )
        text = collection.strip()
        if _CONCEPT_ID.fullmatch(text):
            found = next((c for c in self._load().collections if c.concept_id == text), None)
            return found or text
        return text


def _newer(candidate: Collection | Granule, current: Collection | Granule) -> bool:
    new = candidate.meta.get("revision-id")
    old = current.meta.get("revision-id")
    return isinstance(new, int) and (not isinstance(old, int) or new > old)


def _belongs(g: Granule, owner: Collection | str) -> bool:
    """Whether granule ``g`` belongs to a collection (object, concept id or short name)."""
    if isinstance(owner, str):
        if _CONCEPT_ID.fullmatch(owner):
            return g.collection_concept_id == owner
        return (g.collection_short_name or "").lower() == owner.lower()
    if owner.concept_id and g.collection_concept_id:
        return g.collection_concept_id == owner.concept_id
    if g.collection_short_name:
        same_name = g.collection_short_name.lower() == owner.short_name.lower()
        return same_name and (not g.collection_version or g.collection_version == owner.version)
    return bool(g.collection_entry_title) and g.collection_entry_title == owner.title
