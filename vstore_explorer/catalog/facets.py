"""Search facets: how many collections have each provider, platform, instrument and processing
level, and narrowing collections to one value of each; pure functions, no I/O.

A collection counts once per value it has (a collection on two platforms counts for both); one
without a value (no provider, no ``ProcessingLevel``) is counted under none.

Example:
    >>> a = Collection("A", provider="POCLOUD", platforms=("Aqua", "Terra"), processing_level="4")
    >>> b = Collection("B", provider="POCLOUD", platforms=("Aqua",), processing_level="3")
    >>> c = Collection("C", provider="GES_DISC", platforms=("GPM",), processing_level="3")
    >>> facets = facet_counts([a, b, c])
    >>> dict(facets.provider), dict(facets.platform)
    ({'POCLOUD': 2, 'GES_DISC': 1}, {'Aqua': 2, 'GPM': 1, 'Terra': 1})
    >>> [x.short_name for x in filter_by([a, b, c], platform="Aqua", level="3")]
    ['B']
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from vstore_explorer.catalog.records import Collection

__all__ = ["FACETS", "FACET_LABELS", "Facets", "facet_counts", "facet_values", "filter_by"]

FACETS: tuple[str, ...] = ("provider", "platform", "instrument", "level")
"""The facet names, in the order they are shown."""

FACET_LABELS: Mapping[str, str] = MappingProxyType(
    {
        "provider": "Provider",
        "platform": "Platform",
        "instrument": "Instrument",
        "level": "Processing level",
    }
)
"""What the explorer calls each facet."""

_EMPTY: Mapping[str, int] = MappingProxyType({})

_VALUES: Mapping[str, Callable[[Collection], tuple[str, ...]]] = MappingProxyType(
    {
        "provider": lambda c: (c.provider,) if c.provider else (),
        "platform": lambda c: c.platforms,
        "instrument": lambda c: c.instruments,
        "level": lambda c: (c.processing_level,) if c.processing_level else (),
    }
)


def facet_values(collection: Collection, facet: str) -> tuple[str, ...]:
    """The values ``collection`` has for ``facet`` (one of :data:`FACETS`).

    >>> facet_values(Collection("A", platforms=("Aqua", "Terra")), "platform")
    ('Aqua', 'Terra')
    >>> facet_values(Collection("A"), "level")
    ()
    """
    if facet not in _VALUES:
        raise KeyError(f"unknown facet {facet!r}; one of {', '.join(FACETS)}")
    return _VALUES[facet](collection)


@dataclass(frozen=True)
class Facets:
    """Value → number of collections, per facet, most frequent first (then by name).

    >>> Facets().provider
    mappingproxy({})
    """

    provider: Mapping[str, int] = field(default=_EMPTY)
    platform: Mapping[str, int] = field(default=_EMPTY)
    instrument: Mapping[str, int] = field(default=_EMPTY)
    level: Mapping[str, int] = field(default=_EMPTY)

    def __getitem__(self, facet: str) -> Mapping[str, int]:
        """The counts of one facet by name (``facets["level"]``)."""
        if facet not in FACETS:
            raise KeyError(f"unknown facet {facet!r}; one of {', '.join(FACETS)}")
        counts: Mapping[str, int] = getattr(self, facet)
        return counts

    def to_dict(self) -> dict[str, dict[str, int]]:
        """Plain dicts, in :data:`FACETS` order (JSON-able)."""
        return {name: dict(self[name]) for name in FACETS}


def _sorted(counter: Counter[str]) -> Mapping[str, int]:
    return MappingProxyType(dict(sorted(counter.items(), key=lambda kv: (-kv[1], kv[0]))))


def facet_counts(collections: Iterable[Collection]) -> Facets:
    """Count the collections having each value of each facet.

    >>> facet_counts([Collection("A", processing_level="4"), Collection("B")]).level
    mappingproxy({'4': 1})
    """
    counters: dict[str, Counter[str]] = {name: Counter() for name in FACETS}
    for c in collections:
        for name in FACETS:
            counters[name].update(facet_values(c, name))
    return Facets(**{name: _sorted(counter) for name, counter in counters.items()})


def filter_by(
    collections: Iterable[Collection],
    provider: str | None = None,
    platform: str | None = None,
    instrument: str | None = None,
    level: str | None = None,
) -> list[Collection]:
    """The collections having every value asked (``None`` or ``""``: any), in their order.

    >>> found = [Collection("A", provider="X"), Collection("B", provider="Y")]
    >>> [c.short_name for c in filter_by(found, provider="Y")]
    ['B']
    >>> len(filter_by(found))
    2
    """
    wanted = {
        name: value
        for name, value in zip(FACETS, (provider, platform, instrument, level), strict=True)
        if value
    }
    return [
        c
        for c in collections
        if all(value in facet_values(c, name) for name, value in wanted.items())
    ]
