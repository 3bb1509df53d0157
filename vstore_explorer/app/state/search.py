"""Searching the catalog: the filters, the results, and finding a collection by its key.

``results`` is what the catalog returned; the facet filters (provider, platform, instrument,
processing level; ``""``: any) narrow it to :attr:`SearchPart.filtered_results` at once, without
searching again. The results table shows the filtered results, so a row of the table is an index
into them (:meth:`SearchPart.pick_row`), not into ``results``.

Example:
    >>> part = SearchPart(catalog=LocalCatalog(records_dir))  # doctest: +SKIP
    >>> part.keyword = "sea surface temperature"; part.search()  # doctest: +SKIP
    >>> part.facet_provider = "POCLOUD"; part.filtered_results  # doctest: +SKIP
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import pandas as pd
import param

from vstore_explorer.app.state.messages import MessagesPart
from vstore_explorer.app.state.params import selector
from vstore_explorer.catalog.base import IncompleteResultsWarning
from vstore_explorer.catalog.facets import FACETS, Facets, facet_counts, filter_by
from vstore_explorer.catalog.records import Collection

ANY = "Any"  # the label of the facet choice that filters nothing (its value is "")
COLUMNS = ("title", "short_name", "provider", "level", "time", "bbox", "stores", "concept_id")


def facet_choices(counts: Mapping[str, int]) -> dict[str, str]:
    """A facet's choices as a Select shows them: ``"Any"``, then ``"VALUE (COUNT)"`` -> value.

    Example:
        >>> facet_choices({"POCLOUD": 2, "GES_DISC": 1})
        {'Any': '', 'POCLOUD (2)': 'POCLOUD', 'GES_DISC (1)': 'GES_DISC'}
    """
    return {ANY: ""} | {f"{value} ({n})": value for value, n in counts.items()}


class SearchPart(MessagesPart):
    """The search filters and the collections found (``catalog`` is set by the session)."""

    keyword = param.String(default="", doc="Words to look for in titles, names and abstracts")
    search_bbox = param.String(default="", doc="Search box: west,south,east,north (degrees)")
    search_start = param.CalendarDate(default=None, allow_None=True, doc="Search from this date")
    search_end = param.CalendarDate(default=None, allow_None=True, doc="Search up to this date")
    has_virtual_store = param.Boolean(default=True, doc="Only collections with a virtual store")
    limit = param.Integer(default=50, bounds=(1, 2000), doc="Most results to list")
    source_is_local = param.Boolean(default=True, doc="The catalog is local (searched at start)")
    results = param.List(default=[], doc="Collections found by the last search")
    facet_provider: str = selector(default="", objects={ANY: ""}, doc="Only this provider")
    facet_platform: str = selector(default="", objects={ANY: ""}, doc="Only this platform")
    facet_instrument: str = selector(default="", objects={ANY: ""}, doc="Only this instrument")
    facet_level: str = selector(default="", objects={ANY: ""}, doc="Only this processing level")
    facets = param.ClassSelector(
        class_=Facets,
        default=Facets(),
        instantiate=False,  # frozen: one empty default is shared safely
        doc="Providers, platforms, instruments, levels of the last search's results, counted",
    )

    catalog: Any

    if TYPE_CHECKING:  # from StorePart, beside this part in the session

        def select_collection(self, collection: Collection | str | int | None) -> bool: ...

    def search(self) -> list[Collection]:
        """Run the search with the current filters; results go to ``results``."""
        temporal = None
        if self.search_start or self.search_end:
            temporal = (self.search_start, self.search_end)
        try:
            found = self.catalog.search(
                self.keyword.strip() or None,
                bbox=self.search_bbox.strip() or None,
                temporal=temporal,
                has_virtual_store=True if self.has_virtual_store else None,
                limit=self.limit,
            )
            with warnings.catch_warnings():  # said in the alert below instead
                warnings.simplefilter("ignore", IncompleteResultsWarning)
                results = list(found)
        except Exception as exc:  # the UI boundary: validation, network, malformed records
            self._fail(exc)
            return []
        self._clear()
        facets = facet_counts(results)
        kept = {}  # a facet value the new results still have stays picked
        for name in FACETS:
            key = f"facet_{name}"
            kept[key] = getattr(self, key) if getattr(self, key) in facets[name] else ""
            self.param[key].objects = facet_choices(facets[name])
        self.param.update(
            results=results, facets=facets, status=f"{len(results)} collection(s) found", **kept
        )
        if getattr(found, "incomplete", None):
            self.report(found.incomplete, "warning")
        return results

    @property
    def filtered_results(self) -> list[Collection]:
        """``results`` narrowed by the facet filters, in their order: the rows of the table."""
        return filter_by(
            self.results,
            provider=self.facet_provider,
            platform=self.facet_platform,
            instrument=self.facet_instrument,
            level=self.facet_level,
        )

    def pick_row(self, row: int) -> bool:
        """Open the collection of row ``row`` of the results table (of :attr:`filtered_results`)."""
        shown = self.filtered_results
        if not 0 <= row < len(shown):
            self._fail("no such row in the results; search again")
            return False
        return self.select_collection(shown[row])

    def results_frame(self) -> pd.DataFrame:
        """The filtered results as a table: title, short name, provider, processing level,
        extents, store kinds."""
        rows = []
        for c in self.filtered_results:
            box = c.bbox
            rows.append(
                {
                    "title": c.title,
                    "short_name": c.short_name,
                    "provider": c.provider or "",
                    "level": c.processing_level or "",
                    "time": c.time_range_text(),
                    "bbox": "" if box is None else ", ".join(f"{v:g}" for v in box.as_tuple()),
                    "stores": ", ".join(c.store_kinds) or "none",
                    "concept_id": c.concept_id or "",
                }
            )
        return pd.DataFrame(rows, columns=list(COLUMNS))

    @staticmethod
    def key_of(collection: Collection) -> str:
        """What identifies a collection in a URL: its concept id, else its short name."""
        return collection.concept_id or collection.short_name

    def find_collection(self, key: str) -> Collection | None:
        """A collection by concept id or short name: in the results, else asked of the catalog."""
        for c in self.results:
            if key in (c.concept_id, c.short_name):
                return c
        by_id = re.fullmatch(r"C\d+-[A-Za-z0-9_]+", key) is not None
        try:
            found = self.catalog.search(
                concept_id=key if by_id else None, short_name=None if by_id else key, limit=1
            )
            return next(iter(found), None)
        except Exception as exc:
            self._fail(exc)
            return None
