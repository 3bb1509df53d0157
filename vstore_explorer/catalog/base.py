"""What every catalog backend offers, and the filter validation they share.

A catalog answers two questions: which collections match a query (:meth:`Catalog.search`) and which
granules a collection has (:meth:`Catalog.granules`). Filters are validated here, before any request
is made, so a bad bounding box never reaches CMR.

The filters are written once, in :class:`SearchQuery` (and :class:`GranuleQuery`): a backend
derives from :class:`BaseCatalog`, whose public ``search(query_or_keyword, **filters)`` builds the
query once and hands it to the backend's ``_search(query)``.

Example:
    >>> q = SearchQuery.build(keyword="sst", bbox="170,-10,-170,10", temporal=("2020-01-01", None))
    >>> q.bbox
    (170.0, -10.0, -170.0, 10.0)
    >>> q.temporal[0].isoformat()
    '2020-01-01T00:00:00+00:00'
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any, Protocol, runtime_checkable

from vstore_explorer.errors import InvalidInputError, VStoreError

if TYPE_CHECKING:
    from vstore_explorer.catalog.records import Collection, Granule

BBox = tuple[float, float, float, float]
Temporal = tuple[datetime | None, datetime | None]
TemporalLike = str | Sequence[str | date | datetime | None] | None
BBoxLike = str | Sequence[float | int | str] | None

_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class MalformedRecordError(VStoreError, ValueError):
    """A UMM record could not be read (the message names its concept id or file)."""


class MalformedRecordWarning(UserWarning):
    """A malformed record was skipped; the search went on without it."""


class IncompleteResultsWarning(UserWarning):
    """The catalog stopped sending records before the number of hits it reported."""


def validate_bbox(bbox: BBoxLike) -> BBox | None:
    """A ``(west, south, east, north)`` box in degrees, or ``None``.

    Accepts a 4-sequence of numbers or a ``"W,S,E,N"`` string. ``west > east`` is allowed and
    means the box crosses the antimeridian.

    Example:
        >>> validate_bbox("-10, 20, 30, 40")
        (-10.0, 20.0, 30.0, 40.0)
    """
    if bbox is None:
        return None
    parts: Sequence[Any] = bbox.split(",") if isinstance(bbox, str) else bbox
    hint = "give bbox as (west, south, east, north) in degrees, e.g. -10,20,30,40"
    if isinstance(parts, str | bytes) or len(parts) != 4:
        raise InvalidInputError(f"bbox {bbox!r} must have exactly 4 numbers; {hint}")
    try:
        west, south, east, north = (float(p) for p in parts)
    except (TypeError, ValueError):
        raise InvalidInputError(
            f"bbox {bbox!r} contains something that is not a number; {hint}"
        ) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise InvalidInputError(f"bbox {bbox!r} must contain finite numbers; {hint}")
    for name, value in (("west", west), ("east", east)):
        if not -180.0 <= value <= 180.0:
            raise InvalidInputError(f"bbox {name} longitude {value} is outside [-180, 180]; {hint}")
    for name, value in (("south", south), ("north", north)):
        if not -90.0 <= value <= 90.0:
            raise InvalidInputError(f"bbox {name} latitude {value} is outside [-90, 90]; {hint}")
    if south >= north:
        raise InvalidInputError(
            f"bbox south ({south}) must be less than north ({north}); {hint} "
            "(west > east is fine: the box then crosses the antimeridian)"
        )
    return (west, south, east, north)


def _to_datetime(value: str | date | datetime, *, end: bool) -> datetime:
    """An aware UTC datetime; a date-only end means the end of that day."""
    if isinstance(value, str):
        text = value.strip()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise InvalidInputError(
                f"temporal bound {value!r} is not an ISO 8601 date or datetime "
                "(e.g. 2020-01-31 or 2020-01-31T12:00:00Z)"
            ) from None
        if end and _DATE_ONLY.match(text):
            parsed = datetime.combine(parsed.date(), time.max)
        value = parsed
    elif isinstance(value, date) and not isinstance(value, datetime):
        value = datetime.combine(value, time.max if end else time.min)
    elif not isinstance(value, datetime):
        raise InvalidInputError(
            f"temporal bound {value!r} must be a string, date, datetime or None, "
            f"not {type(value).__name__}"
        )
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def validate_temporal(temporal: TemporalLike) -> Temporal | None:
    """A ``(start, end)`` pair of aware UTC datetimes (either may be ``None``: open), or ``None``.

    Accepts a 2-sequence of strings/dates/datetimes/None or a ``"START,END"`` string. A date-only
    end (``2020-12-31``) includes that whole day; naive datetimes are taken as UTC.

    Example:
        >>> start, end = validate_temporal("2020-01-01,2020-12-31")
        >>> end.isoformat()
        '2020-12-31T23:59:59.999999+00:00'
    """
    if temporal is None:
        return None
    parts: Sequence[Any] = temporal.split(",") if isinstance(temporal, str) else temporal
    if isinstance(parts, str | bytes) or len(parts) != 2:
        raise InvalidInputError(
            f"temporal {temporal!r} must be a (start, end) pair, e.g. "
            "('2020-01-01', '2020-12-31') or '2020-01-01,2020-12-31' (leave one side empty/None "
            "for an open range)"
        )
    start_raw, end_raw = (
        None if p is None or (isinstance(p, str) and not p.strip()) else p for p in parts
    )
    start = None if start_raw is None else _to_datetime(start_raw, end=False)
    end = None if end_raw is None else _to_datetime(end_raw, end=True)
    if start is None and end is None:
        raise InvalidInputError(
            "temporal range has neither a start nor an end; pass temporal=None instead"
        )
    if start is not None and end is not None and start > end:
        raise InvalidInputError(
            f"temporal start {start.isoformat()} is after its end {end.isoformat()}; swap them"
        )
    return (start, end)


def validate_limit(limit: int | None) -> int | None:
    """A positive ``int`` or ``None`` (no limit)."""
    if limit is None:
        return None
    if isinstance(limit, bool) or not isinstance(limit, int) or limit < 1:
        raise InvalidInputError(
            f"limit must be a positive integer (or None for no limit), not {limit!r}"
        )
    return limit


def _validate_text(name: str, value: str | None) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(f"{name} must be a string, not {type(value).__name__}")
    value = value.strip()
    return value or None


def _validate_flag(name: str, value: bool | None) -> bool | None:
    if value is not None and not isinstance(value, bool):
        raise InvalidInputError(f"{name} must be True, False or None, not {value!r}")
    return value


@dataclass(frozen=True)
class SearchQuery:
    """A validated collection query; build it with :meth:`build`."""

    keyword: str | None = None
    short_name: str | None = None
    concept_id: tuple[str, ...] = ()
    provider: str | None = None
    bbox: BBox | None = None
    temporal: Temporal | None = None
    has_virtual_store: bool | None = None
    cloud_hosted: bool | None = None
    limit: int | None = None

    @classmethod
    def build(
        cls,
        keyword: str | None = None,
        short_name: str | None = None,
        concept_id: str | Sequence[str] | None = None,
        provider: str | None = None,
        bbox: BBoxLike = None,
        temporal: TemporalLike = None,
        has_virtual_store: bool | None = None,
        cloud_hosted: bool | None = None,
        limit: int | None = None,
    ) -> SearchQuery:
        """Validate every filter (raises ``ValueError`` naming the bad one)."""
        if concept_id is None:
            ids: tuple[str, ...] = ()
        elif isinstance(concept_id, str):
            ids = (concept_id.strip(),)
        else:
            ids = tuple(str(c).strip() for c in concept_id)
        for cid in ids:
            if not re.fullmatch(r"C\d+-[A-Za-z0-9_]+", cid):
                raise InvalidInputError(
                    f"concept_id {cid!r} is not a collection concept id (like C1996881146-POCLOUD)"
                )
        return cls(
            keyword=_validate_text("keyword", keyword),
            short_name=_validate_text("short_name", short_name),
            concept_id=ids,
            provider=_validate_text("provider", provider),
            bbox=validate_bbox(bbox),
            temporal=validate_temporal(temporal),
            has_virtual_store=_validate_flag("has_virtual_store", has_virtual_store),
            cloud_hosted=_validate_flag("cloud_hosted", cloud_hosted),
            limit=validate_limit(limit),
        )

    @classmethod
    def of(cls, query: SearchQuery | str | None = None, /, **filters: Any) -> SearchQuery:
        """The query of a ``search`` call: a :class:`SearchQuery` (``filters`` replace its
        fields), a keyword, or ``None``, and the filters of :meth:`build`.

        Example:
            >>> SearchQuery.of("sst", limit=5) == SearchQuery.build(keyword="sst", limit=5)
            True
            >>> SearchQuery.of(SearchQuery.build(keyword="sst"), limit=2).limit
            2
            >>> SearchQuery.of(keyword="sst").keyword
            'sst'
        """
        if isinstance(query, SearchQuery):
            return cls.build(**{**_fields_of(query), **filters}) if filters else query
        return cls.build(**filters) if query is None else cls.build(query, **filters)


@dataclass(frozen=True)
class GranuleQuery:
    """A validated granule query (the collection is resolved by the backend)."""

    bbox: BBox | None = None
    temporal: Temporal | None = None
    limit: int | None = None

    @classmethod
    def build(
        cls, bbox: BBoxLike = None, temporal: TemporalLike = None, limit: int | None = None
    ) -> GranuleQuery:
        """Validate the filters (raises ``ValueError`` naming the bad one)."""
        return cls(
            bbox=validate_bbox(bbox),
            temporal=validate_temporal(temporal),
            limit=validate_limit(limit),
        )

    @classmethod
    def of(cls, query: GranuleQuery | None = None, /, **filters: Any) -> GranuleQuery:
        """The query of a ``granules`` call: a :class:`GranuleQuery` (``filters`` replace its
        fields) or ``None``, and the filters of :meth:`build`."""
        if query is None:
            return cls.build(**filters)
        if not isinstance(query, GranuleQuery):
            raise InvalidInputError(
                f"granules takes its filters as keywords or a GranuleQuery, not {query!r}"
            )
        return cls.build(**{**_fields_of(query), **filters}) if filters else query


def _fields_of(query: SearchQuery | GranuleQuery) -> dict[str, Any]:
    """A validated query's fields, as filters :meth:`SearchQuery.build` accepts again."""
    return {f.name: getattr(query, f.name) for f in fields(query)}


class SearchResults[T]:
    """Lazy results: records are fetched page by page as you iterate, and kept once fetched.

    ``hits`` is the total number of matches reported by the backend. When a filter is applied on
    the client side (``has_virtual_store`` on CMR) it is an upper bound and ``hits_exact`` is False.

    Example:
        >>> r = SearchResults(iter([1, 2, 3]), count=lambda: 3, limit=2)
        >>> list(r), list(r), r.hits
        ([1, 2], [1, 2], 3)
    """

    def __init__(
        self,
        items: Iterable[T],
        *,
        count: Callable[[], int],
        limit: int | None = None,
        hits_exact: bool = True,
        source: str = "",
    ) -> None:
        self._items = items
        self._iterator: Iterator[T] | None = None
        self._count = count
        self._hits: int | None = None
        self._cache: list[T] = []
        self._done = False
        self.limit = limit
        self.hits_exact = hits_exact
        self.source = source

    @property
    def hits(self) -> int:
        """Total matches reported by the backend (may cost one small request)."""
        if self._hits is None:
            self._hits = int(self._count())
        return self._hits

    @property
    def incomplete(self) -> str | None:
        """Why the records stopped before the reported hits (paging broke off), else ``None``."""
        return getattr(self._items, "incomplete", None)

    @property
    def fetched(self) -> int:
        """How many records have been fetched so far."""
        return len(self._cache)

    def __iter__(self) -> Iterator[T]:
        index = 0
        while True:
            if index < len(self._cache):
                yield self._cache[index]
                index += 1
                continue
            if self._done or (self.limit is not None and len(self._cache) >= self.limit):
                return
            if self._iterator is None:
                self._iterator = iter(self._items)
            try:
                item = next(self._iterator)
            except StopIteration:
                self._done = True
                return
            self._cache.append(item)

    def first(self) -> T | None:
        """The first record, or ``None`` when nothing matched."""
        return next(iter(self), None)

    def __repr__(self) -> str:
        hits = "?" if self._hits is None else str(self._hits)
        return (
            f"<SearchResults from {self.source or 'catalog'}: hits={hits}, fetched={self.fetched}>"
        )


@runtime_checkable
class Catalog(Protocol):
    """The small protocol both backends (CMR over HTTP, local folder) implement.

    ``search`` takes a keyword or a :class:`SearchQuery`, and the filters of
    :meth:`SearchQuery.build` as keywords (``bbox=``, ``temporal=``, ``has_virtual_store=``,
    ``limit=`` ...); ``granules`` takes a collection and the filters of :meth:`GranuleQuery.build`.
    """

    def search(
        self, query: SearchQuery | str | None = None, **filters: Any
    ) -> SearchResults[Collection]:
        """Collections matching every given filter."""
        ...

    def granules(
        self, collection: Collection | str, query: GranuleQuery | None = None, **filters: Any
    ) -> SearchResults[Granule]:
        """Granules of a collection (a :class:`Collection`, a concept id or a short name)."""
        ...


class BaseCatalog:
    """The public front every backend shares: the call forms of ``search``/``granules``.

    A backend implements ``_search(query: SearchQuery)`` and
    ``_granules(collection, query: GranuleQuery)``; the filters are validated here, once, before
    the backend sees them.

    Example:
        >>> class Nothing(BaseCatalog):
        ...     def _search(self, query):
        ...         return SearchResults([], count=lambda: 0, limit=query.limit)
        >>> Nothing().search("sea surface", bbox="-10,20,30,40", has_virtual_store=True).hits
        0
    """

    def search(
        self, query: SearchQuery | str | None = None, **filters: Any
    ) -> SearchResults[Collection]:
        """Collections matching every filter: ``search("sst", bbox=..., limit=5)``, or
        ``search(SearchQuery.build(...))``; the filters are those of :meth:`SearchQuery.build`.

        Raises:
            ValueError: for a bad filter (the message names it), before any request.
        """
        return self._search(SearchQuery.of(query, **filters))

    def granules(
        self, collection: Collection | str, query: GranuleQuery | None = None, **filters: Any
    ) -> SearchResults[Granule]:
        """Granules of a collection (a :class:`Collection`, a concept id or a short name); the
        filters (``temporal=``, ``bbox=``, ``limit=``) are those of :meth:`GranuleQuery.build`."""
        return self._granules(collection, GranuleQuery.of(query, **filters))

    def _search(self, query: SearchQuery) -> SearchResults[Collection]:
        raise NotImplementedError(f"{type(self).__name__} cannot search collections")

    def _granules(
        self, collection: Collection | str, query: GranuleQuery
    ) -> SearchResults[Granule]:
        raise NotImplementedError(f"{type(self).__name__} cannot list granules")
